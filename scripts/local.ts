/**
 * `npm run local`: Herald end to end on this machine. Starts (or reuses) the emulator, deploys the
 * stack, starts a webhook receiver that verifies signatures, configures a demo channel and policy,
 * sends one event over HTTPS and one through EventBridge, and prints deliveries as they arrive.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { apiUrl, deployStack, EMULATOR_LOG, ROOT, startEmulator, useEmulator } from './lib/local-aws.ts';
import { type ReceivedDelivery, WebhookReceiver } from './lib/receiver.ts';
import { parseSeedYaml, seed } from './lib/seed.ts';
import { signedFetch } from './lib/signed-fetch.ts';

const RECEIVER_PORT = Number(process.env.HERALD_RECEIVER_PORT ?? 8787);
const exitAfterDemo = process.env.HERALD_LOCAL_EXIT_AFTER_DEMO === '1';
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)}s`;
const step = (message: string) => console.log(`• ${message}`);

const printDelivery = (delivery: ReceivedDelivery) => {
  const payload = delivery.payload as { type?: string; id?: string; subject?: string } | undefined;
  const mark = delivery.verified ? '✔ signature valid' : `✖ signature INVALID (${delivery.verifyError})`;
  console.log(
    `\n📬 [${elapsed()}] delivery ${delivery.headers['webhook-id']} to ${delivery.path}: ${payload?.type ?? '?'} ` +
      `(id ${payload?.id ?? '?'}) "${payload?.subject ?? ''}" — ${mark}`,
  );
};

const main = async () => {
  const { endpoint } = await startEmulator(step);
  useEmulator(endpoint);
  const outputs = await deployStack(
    endpoint,
    { retrySchedule: [0, 5, 30, 120], configCacheSeconds: 2 },
    step,
  );
  const required = (name: string) => {
    const value = outputs[name];
    if (value === undefined) throw new Error(`stack output ${name} is missing`);
    return value;
  };

  const receiver = new WebhookReceiver();
  await receiver.start(RECEIVER_PORT, printDelivery).catch(() => receiver.start(0, printDelivery));
  step(`Webhook receiver listening on ${receiver.url('/demo')} (verifies Standard Webhooks signatures)`);

  const file = parseSeedYaml(readFileSync(join(ROOT, 'examples', 'herald.local.yaml'), 'utf8'));
  for (const channel of file.channels)
    channel.config.url = receiver.url(new URL(channel.config.url).pathname);
  const secrets = await seed(file, {
    configTableName: required('ConfigTableName'),
    secretPrefix: required('SecretPrefix'),
  });
  for (const channel of file.channels) {
    const secret = secrets[channel.id];
    if (secret) receiver.expect(new URL(channel.config.url).pathname, secret);
  }
  step(
    `Configured channel(s) ${file.channels.map((c) => c.id).join(', ')} and policy(ies) ${file.policies.map((p) => p.id).join(', ')} from examples/herald.local.yaml`,
  );

  const eventsUrl = apiUrl(endpoint, required('ApiId'), '/v1/events');
  const body = JSON.stringify({
    type: 'demo.hello',
    source: 'npm-run-local',
    subject: 'Hello from HTTPS',
    severity: 'info',
    attributes: { environment: 'local' },
    data: { sentBy: 'npm run local' },
  });
  const response = await signedFetch({
    method: 'POST',
    url: eventsUrl,
    headers: { 'content-type': 'application/json' },
    body,
  });
  step(`Sent an event over HTTPS: ${response.status} ${await response.text()}`);

  const bus = required('EventBusName');
  const put = await new EventBridgeClient({}).send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: bus,
          Source: 'npm-run-local',
          DetailType: 'demo.eventbridge',
          Detail: JSON.stringify({ subject: 'Hello from EventBridge', attributes: { environment: 'local' } }),
        },
      ],
    }),
  );
  step(
    `Put an event on the EventBridge bus "${bus}": ${put.FailedEntryCount ? 'FAILED' : `id ${put.Entries?.[0]?.EventId}`}`,
  );
  step('Waiting for both deliveries…');
  await receiver.waitFor('/demo', 2, 60_000);

  console.log(`
✅ Herald is running locally (both deliveries arrived ${elapsed()} after start).

Send more events (IAM-signed, as the route requires; the emulator accepts the test credentials):

  curl -X POST '${eventsUrl}' \\
    --aws-sigv4 'aws:amz:us-east-1:execute-api' --user test:test \\
    -H 'content-type: application/json' \\
    -d '{"type":"deploy.finished","source":"me","subject":"It works","attributes":{"environment":"local"}}'

Edit examples/herald.local.yaml and run "npm run seed" to change channels and policies.
Press Ctrl-C to stop the receiver; "npm run local:down" stops the emulator (log: ${EMULATOR_LOG}).
`);
  if (exitAfterDemo) {
    await receiver.stop();
    return;
  }
  process.on('SIGINT', () => {
    void receiver.stop().then(() => process.exit(0));
  });
};

main().catch((error: unknown) => {
  console.error(`\n✖ npm run local failed: ${error instanceof Error ? error.message : String(error)}`);
  console.error(`  Emulator log: ${EMULATOR_LOG}. Try "npm run local:down" and run again.`);
  process.exit(1);
});
