/**
 * `npm run local`: Herald end to end on this machine. Starts (or reuses) the emulator, deploys the
 * stack, starts a webhook receiver that verifies signatures and an SMTP catcher with STARTTLS and AUTH,
 * configures demo channels (a webhook and an e-mail) and a policy,
 * sends one event over HTTPS and one through EventBridge, and prints deliveries as they arrive.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { parse as parseYaml } from 'yaml';
import { apiUrl, deployStack, EMULATOR_LOG, ROOT, startEmulator, useEmulator } from './lib/local-aws.ts';
import { type CaughtMail, MAIL_CATCHER_CA_FILE, MailCatcher } from './lib/mail-catcher.ts';
import { type ReceivedDelivery, WebhookReceiver } from './lib/receiver.ts';
import { signedFetch } from './lib/signed-fetch.ts';

const RECEIVER_PORT = Number(process.env.HERALD_RECEIVER_PORT ?? 8787);
/** The local SMTP catcher; examples/herald.local.yaml points the demo e-mail channel here. */
const SMTP_PORT = 2525;
const SMTP_CREDENTIALS = { username: 'herald', password: 'local-demo-only' };
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

const printMail = (mail: CaughtMail) => {
  const firstLines = (mail.parsed.text ?? '')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(0, 3);
  console.log(
    `\n✉️  [${elapsed()}] e-mail "${mail.parsed.subject ?? ''}" from ${mail.mailFrom} to ${mail.rcptTo.join(', ')} ` +
      `(${mail.secure ? 'STARTTLS' : 'PLAIN'}, AUTH ${mail.user ?? 'none'})\n${firstLines.map((line) => `   │ ${line}`).join('\n')}`,
  );
};

const main = async () => {
  const { endpoint } = await startEmulator(step);
  useEmulator(endpoint);
  const outputs = await deployStack(
    endpoint,
    { retrySchedule: [0, 5, 30, 120], configCacheSeconds: 2, smtpTrustedCaFile: MAIL_CATCHER_CA_FILE },
    step,
  );
  const required = (name: string) => {
    const value = outputs[name];
    if (value === undefined) throw new Error(`stack output ${name} is missing`);
    return value;
  };

  const receiver = new WebhookReceiver();
  try {
    await receiver.start(RECEIVER_PORT, printDelivery);
  } catch {
    throw new Error(
      `port ${RECEIVER_PORT} is busy: stop what uses it (the demo channel in examples/herald.local.yaml points there)`,
    );
  }
  step(`Webhook receiver listening on ${receiver.url('/demo')} (verifies Standard Webhooks signatures)`);
  const catcher = new MailCatcher(SMTP_CREDENTIALS, printMail);
  try {
    await catcher.start(SMTP_PORT);
  } catch {
    throw new Error(
      `port ${SMTP_PORT} is busy: stop what uses it (the demo e-mail channel in examples/herald.local.yaml points there)`,
    );
  }
  step(
    `SMTP catcher listening on 127.0.0.1:${SMTP_PORT} (requires STARTTLS and AUTH, like a real mail server)`,
  );

  const exampleFile = join(ROOT, 'examples', 'herald.local.yaml');
  step('Configuring the demo channels and policy: herald apply -f examples/herald.local.yaml --local');
  const apply = spawnSync(
    process.execPath,
    [join(ROOT, 'bin', 'herald.mjs'), 'apply', '-f', exampleFile, '--local'],
    {
      cwd: ROOT,
      env: { ...process.env, AWS_ENDPOINT_URL: endpoint },
      stdio: 'inherit',
    },
  );
  if (apply.status !== 0) throw new Error('herald apply failed (see above)');
  const example = parseYaml(readFileSync(exampleFile, 'utf8')) as {
    channels?: { config?: { url?: string; signingSecret?: string } }[];
  };
  for (const channel of example.channels ?? []) {
    const { url, signingSecret } = channel.config ?? {};
    if (url !== undefined && signingSecret !== undefined)
      receiver.expect(new URL(url).pathname, signingSecret);
  }
  await new Promise((resolve) => setTimeout(resolve, 2500));

  const eventsUrl = apiUrl(endpoint, outputs, '/v1/events');
  const body = JSON.stringify({
    type: 'demo.hello',
    source: 'npm-run-local',
    subject: 'Hello from HTTPS',
    severity: 'info',
    attributes: { environment: 'local' },
    data: { sentBy: 'npm run local' },
  });
  const keyResponse = await signedFetch({
    method: 'POST',
    url: apiUrl(endpoint, outputs, '/v1/api-keys'),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'npm-run-local' }),
  });
  const { key } = (await keyResponse.json()) as { key?: string };
  if (keyResponse.status !== 201 || key === undefined)
    throw new Error(`creating an API key failed (${keyResponse.status})`);
  step('Created an ingest API key through the admin API (POST /v1/api-keys)');
  const response = await fetch(eventsUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body,
  });
  step(`Sent an event over HTTPS with the key: ${response.status} ${await response.text()}`);

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
  step('Waiting for both deliveries and their e-mails…');
  await receiver.waitFor('/demo', 2, 60_000);
  await catcher.waitFor('Hello from', 2, 60_000);

  console.log(`
✅ Herald is running locally (both webhook deliveries and both e-mails arrived ${elapsed()} after start).

Send more events with the API key created for this demo:

  curl -X POST '${eventsUrl}' \\
    -H 'authorization: Bearer ${key}' \\
    -H 'content-type: application/json' \\
    -d '{"type":"deploy.finished","source":"me","subject":"It works","attributes":{"environment":"local"}}'

Change channels and policies as code: edit examples/herald.local.yaml, then
  npx herald apply -f examples/herald.local.yaml --local [--dry-run] [--prune]
Inspect: npx herald deliveries list --local · npx herald events get <id> --local · npx herald dlq list --local
Test every channel: npx herald channels test --all --local
Press Ctrl-C to stop the receiver and the SMTP catcher; "npm run local:down" stops the emulator (log: ${EMULATOR_LOG}).
`);
  if (exitAfterDemo) {
    await Promise.all([receiver.stop(), catcher.stop()]);
    return;
  }
  process.on('SIGINT', () => {
    void Promise.all([receiver.stop(), catcher.stop()]).then(() => process.exit(0));
  });
};

main().catch((error: unknown) => {
  console.error(`\n✖ npm run local failed: ${error instanceof Error ? error.message : String(error)}`);
  console.error(`  Emulator log: ${EMULATOR_LOG}. Try "npm run local:down" and run again.`);
  process.exit(1);
});
