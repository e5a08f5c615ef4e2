/**
 * Every channel type through the deployed stack, configured with `herald apply` as a user does, to real
 * peers: an SMTP server requiring STARTTLS and AUTH, the emulator's SES and SNS (to an SQS queue), and
 * local HTTP receivers playing Slack, Discord, Teams and PagerDuty.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { EMULATOR_LOG } from '../../scripts/lib/local-aws.ts';
import { MailCatcher } from '../../scripts/lib/mail-catcher.ts';
import { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { admin, configPropagated, herald, postEvents, sleep, unique, waitForDead } from './support.ts';

const DELIVERY_TIMEOUT_MS = 30_000;

const run = unique('chan');
const receiver = new WebhookReceiver();
const SMTP_USER = 'herald-test';
const SMTP_PASSWORD = `pw-${run}-correct`;
const WRONG_PASSWORD = `pw-${run}-WRONG`;
const catcher = new MailCatcher({ username: SMTP_USER, password: SMTP_PASSWORD });
const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const dir = mkdtempSync(join(tmpdir(), 'herald-channels-'));
const sns = new SNSClient({});
const sqs = new SQSClient({});
let topicArn = '';
let topicQueueUrl = '';

const ids = {
  slack: `${run}-slack`,
  slow: `${run}-slack-429`,
  discord: `${run}-discord`,
  teams: `${run}-teams`,
  pagerduty: `${run}-pd`,
  smtp: `${run}-smtp`,
  badSmtp: `${run}-smtp-bad`,
  ses: `${run}-ses`,
  sns: `${run}-sns`,
};

const smtpConfig = (password: string) => ({
  transport: 'smtp',
  host: '127.0.0.1',
  port: catcher.port,
  tls: 'starttls',
  username: SMTP_USER,
  password,
  from: 'Herald <herald@example.com>',
  to: ['oncall@example.com'],
  cc: ['team@example.com'],
  bcc: ['audit@example.com'],
  subjectPrefix: 'Herald',
});

/** Messages that reached the SNS topic's SQS subscription. */
const topicMessages: Message[] = [];
const waitForTopicMessage = async (needle: string, timeoutMs: number): Promise<Message> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = topicMessages.find((message) => message.Body?.includes(needle));
    if (found) return found;
    const result = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: topicQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const message of result.Messages ?? []) {
      topicMessages.push(message);
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: topicQueueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    }
  }
  throw new Error(`no SNS message containing ${needle} within ${timeoutMs} ms`);
};

interface SesMessage {
  Source?: string;
  To?: string[];
  CC?: string[];
  BCC?: string[];
  Subject?: string;
  BodyText?: string;
  BodyHtml?: string;
}

const waitForSesMail = async (needle: string, timeoutMs: number): Promise<SesMessage> => {
  const deadline = Date.now() + timeoutMs;
  const endpoint = process.env.AWS_ENDPOINT_URL ?? '';
  while (Date.now() < deadline) {
    const response = await fetch(new URL('/_ministack/ses/messages', endpoint));
    // The emulator groups what SES kept by account.
    const body = (await response.json()) as { messages?: Record<string, SesMessage[]> };
    const messages = Object.values(body.messages ?? {}).flat();
    const found = messages.find((message) => message.Subject?.includes(needle));
    if (found) return found;
    await sleep(500);
  }
  throw new Error(`no SES mail with ${needle} within ${timeoutMs} ms`);
};

beforeAll(async () => {
  await receiver.start();
  await catcher.start();
  receiver.answer(`/${ids.slack}`, () => ({ status: 200, body: 'ok' }));
  receiver.answer(`/${ids.slow}`, (_path, count) =>
    count === 1
      ? { status: 429, headers: { 'retry-after': '2' }, body: 'rate_limited' }
      : { status: 200, body: 'ok' },
  );
  receiver.answer(`/${ids.teams}`, () => ({ status: 202, body: '' }));
  receiver.answer(`/${ids.pagerduty}`, () => ({
    status: 202,
    body: '{"status":"success","message":"Event processed"}',
  }));
  receiver.answer(`/${ids.discord}`, () => ({ status: 204, body: '' }));

  // SES sends only from (and, in the sandbox, to) verified identities, as in a new AWS account.
  await new SESv2Client({}).send(new CreateEmailIdentityCommand({ EmailIdentity: 'herald.test' }));
  const topic = await sns.send(new CreateTopicCommand({ Name: `herald-test-${run}` }));
  topicArn = topic.TopicArn ?? '';
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: `herald-test-${run}-sub` }));
  topicQueueUrl = queue.QueueUrl ?? '';
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: topicQueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: attributes.Attributes?.QueueArn }),
  );

  const file = join(dir, 'herald.yaml');
  writeFileSync(
    file,
    stringify({
      channels: [
        {
          id: ids.slack,
          type: 'slack',
          config: {
            webhookUrl: receiver.url(`/${ids.slack}`),
            prefix: '[test]',
            mentions: { critical: ['<!subteam^S0TEST>'] },
          },
        },
        { id: ids.slow, type: 'slack', config: { webhookUrl: receiver.url(`/${ids.slow}`) } },
        {
          id: ids.discord,
          type: 'discord',
          config: {
            webhookUrl: receiver.url(`/${ids.discord}`),
            mentions: { critical: { users: ['123456789012345678'] } },
          },
        },
        { id: ids.teams, type: 'teams', config: { webhookUrl: receiver.url(`/${ids.teams}`) } },
        {
          id: ids.pagerduty,
          type: 'pagerduty',
          config: {
            routingKey: ROUTING_KEY,
            endpoint: receiver.url(`/${ids.pagerduty}`),
            dedupKey: 'attributes.incident',
            resolveOn: [`${run}.resolved`],
          },
        },
        { id: ids.smtp, type: 'email', config: smtpConfig(SMTP_PASSWORD) },
        { id: ids.badSmtp, type: 'email', config: smtpConfig(WRONG_PASSWORD) },
        {
          id: ids.ses,
          type: 'email',
          config: {
            transport: 'ses',
            from: 'alerts@herald.test',
            to: ['oncall@herald.test'],
            cc: ['team@herald.test'],
          },
        },
        { id: ids.sns, type: 'sns', config: { topicArn } },
      ],
      policies: [
        {
          id: `${run}-all`,
          events: [`${run}.*`],
          channels: [ids.slack, ids.discord, ids.teams, ids.pagerduty, ids.smtp, ids.ses, ids.sns],
        },
        { id: `${run}-slow`, events: [`${run}-slow.*`], channels: [ids.slow] },
        { id: `${run}-bad`, events: [`${run}-bad.*`], channels: [ids.badSmtp] },
      ],
    }),
  );
  const applied = await herald('apply', '-f', file);
  if (applied.status !== 0) throw new Error(`herald apply failed: ${applied.stdout}${applied.stderr}`);
  await configPropagated();
});

afterAll(async () => {
  await receiver.stop();
  await catcher.stop();
});

describe('every channel type, configured with herald apply, delivering through the stack', () => {
  it('delivers one critical event natively to Slack, Discord, Teams, PagerDuty, SMTP, SES and SNS', async () => {
    // Act
    const response = await postEvents({
      type: `${run}.incident`,
      source: 'checkout',
      subject: `Checkout is down <b>${run}</b>`,
      severity: 'critical',
      attributes: { environment: 'production', incident: `inc-${run}` },
      data: { errorRate: 0.42 },
    });

    // Assess
    expect(response.status).toBe(202);
    const [slack] = (await receiver.waitFor(`/${ids.slack}`, 1, DELIVERY_TIMEOUT_MS)).map((d) =>
      JSON.parse(d.body),
    );
    expect(JSON.stringify(slack)).toContain('<!subteam^S0TEST>');
    expect(JSON.stringify(slack)).toContain('&lt;b&gt;');
    expect(slack.attachments?.[0]?.color ?? slack.blocks).toBeTruthy();

    const [discord] = await receiver.waitFor(`/${ids.discord}`, 1, DELIVERY_TIMEOUT_MS);
    const discordBody = JSON.parse(discord?.body ?? '{}');
    expect(discord?.query).toContain('wait=true');
    expect(discordBody.allowed_mentions).toEqual({ parse: [], users: ['123456789012345678'], roles: [] });
    expect(discordBody.embeds[0]).toMatchObject({ color: expect.any(Number) });

    const [teams] = await receiver.waitFor(`/${ids.teams}`, 1, DELIVERY_TIMEOUT_MS);
    const teamsBody = JSON.parse(teams?.body ?? '{}');
    expect(teamsBody).toMatchObject({
      type: 'message',
      attachments: [
        { contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard' } },
      ],
    });

    const [trigger] = await receiver.waitFor(`/${ids.pagerduty}`, 1, DELIVERY_TIMEOUT_MS);
    expect(JSON.parse(trigger?.body ?? '{}')).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: `inc-${run}`,
      payload: { severity: 'critical', source: 'checkout' },
    });

    const [mail] = await catcher.waitFor(run, 1, DELIVERY_TIMEOUT_MS);
    expect(mail?.secure).toBe(true);
    expect(mail?.user).toBe(SMTP_USER);
    expect(mail?.parsed.subject).toBe(`[Herald] Checkout is down <b>${run}</b>`);
    expect(mail?.rcptTo).toEqual(['oncall@example.com', 'team@example.com', 'audit@example.com']);
    expect(mail?.parsed.headers.has('bcc')).toBe(false);
    expect(mail?.parsed.text).toContain('production');
    expect(mail?.parsed.html).toContain('&lt;b&gt;');
    expect(mail?.parsed.html).not.toContain(`<b>${run}</b>`);

    const ses = await waitForSesMail(run, DELIVERY_TIMEOUT_MS);
    expect(ses).toMatchObject({
      Source: 'alerts@herald.test',
      To: ['oncall@herald.test'],
      CC: ['team@herald.test'],
    });
    expect(ses.BodyText).toContain('production');
    expect(ses.BodyHtml).toContain('&lt;b&gt;');

    const published = await waitForTopicMessage(run, DELIVERY_TIMEOUT_MS);
    const envelope = JSON.parse(published.Body ?? '{}') as {
      Message: string;
      MessageAttributes: Record<string, { Type: string; Value: string }>;
    };
    expect(envelope.MessageAttributes).toMatchObject({
      type: { Value: `${run}.incident` },
      severity: { Value: 'critical' },
      source: { Value: 'checkout' },
    });
    expect(JSON.parse(envelope.Message)).toMatchObject({
      type: `${run}.incident`,
      herald: { channel: ids.sns },
    });
  });

  it('resolves the PagerDuty incident with the same dedup_key when a resolveOn event arrives', async () => {
    // Act
    await postEvents({
      type: `${run}.resolved`,
      source: 'checkout',
      subject: 'Checkout recovered',
      attributes: { incident: `inc-${run}` },
    });

    // Assess
    const bodies = (await receiver.waitFor(`/${ids.pagerduty}`, 2, DELIVERY_TIMEOUT_MS)).map((d) =>
      JSON.parse(d.body),
    );
    expect(bodies.find((body) => body.event_action === 'resolve')).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'resolve',
      dedup_key: `inc-${run}`,
    });
  });

  it('waits as long as Slack asks with 429 Retry-After before the next attempt', async () => {
    // Act
    await postEvents({ type: `${run}-slow.ping`, source: 'checkout', subject: 'Slow down' });

    // Assess
    const [limited, accepted] = await receiver.waitFor(`/${ids.slow}`, 2, DELIVERY_TIMEOUT_MS);
    expect(limited?.answered).toBe(429);
    expect(accepted?.answered).toBe(200);
    expect((accepted?.at.getTime() ?? 0) - (limited?.at.getTime() ?? 0)).toBeGreaterThanOrEqual(2000);
  });

  it('retries a wrong SMTP password, then dead-letters it with an authentication reason and no password anywhere', async () => {
    // Act
    const response = await postEvents({ type: `${run}-bad.mail`, source: 'checkout', subject: 'Bad login' });
    const eventId = (response.json as { events: { id: string }[] }).events[0]?.id ?? '';

    // Assess
    const dead = await waitForDead(eventId, DELIVERY_TIMEOUT_MS);
    const { reason } = dead;
    expect(reason).toMatch(/^gave up after 3 attempts: .*authentication/i);
    expect(catcher.refusedLogins).toBeGreaterThanOrEqual(3);
    const shown = await admin('GET', `/v1/events/${eventId}`);
    expect(shown.text).toMatch(/authentication/i);
    for (const text of [reason, dead.job, shown.text]) expect(text).not.toContain(WRONG_PASSWORD);
    if (existsSync(EMULATOR_LOG)) expect(readFileSync(EMULATOR_LOG, 'utf8')).not.toContain(WRONG_PASSWORD);
  });

  it('test-sends to every type and reports what the provider answered', async () => {
    for (const id of [ids.slack, ids.discord, ids.teams, ids.pagerduty, ids.smtp, ids.ses, ids.sns]) {
      const result = await herald('--json', 'channels', 'test', id);
      expect(result.status, `${id}: ${result.stdout}${result.stderr}`).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, error: null });
    }
    const bad = await herald('--json', 'channels', 'test', ids.badSmtp);
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/authentication/i),
    });
    expect(bad.stdout).not.toContain(WRONG_PASSWORD);
  });

  it('lists each channel with a target summary that holds no secret', async () => {
    const listed = await herald('channels', 'list');
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(ids.sns);
    for (const secret of [SMTP_PASSWORD, WRONG_PASSWORD, ROUTING_KEY, `/${ids.slack}`, `/${ids.discord}`]) {
      expect(listed.stdout).not.toContain(secret);
    }
  });
});
