/**
 * Digests on the deployed stack, configured with `herald apply`: a period's notifications arrive as one
 * digest when the scheduled flush finds the period closed (a signed webhook, an e-mail through the
 * SMTP peer with STARTTLS and AUTH, a Slack message), critical events go out at once, every digested
 * notification names its digest in `GET /v1/events/{id}`, and changing a channel's `digest` sends what
 * its open period holds at once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { MailCatcher } from '../../scripts/lib/mail-catcher.ts';
import { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { newSigningSecret } from '../../shared/channels/webhook/index.ts';
import { admin, configPropagated, herald, postEvents, sleep, unique } from './support.ts';

const run = unique('dg');
const receiver = new WebhookReceiver();
const SMTP_USER = 'herald-digest';
const SMTP_PASSWORD = `pw-${run}`;
const catcher = new MailCatcher({ username: SMTP_USER, password: SMTP_PASSWORD });
const dir = mkdtempSync(join(tmpdir(), 'herald-digests-'));
const file = join(dir, 'herald.yaml');

const ids = {
  hook: `${run}-hook`,
  mail: `${run}-mail`,
  slack: `${run}-slack`,
  change: `${run}-change`,
};
const secrets = { hook: newSigningSecret(), change: newSigningSecret() };
/** The period of the scheduled test: short, so that the test waits for one flush (once a minute). */
const PERIOD_SECONDS = 20;
/** A period's end, plus the flush's minute and the emulator's 10 s scheduler tick, plus delivery. */
const DIGEST_TIMEOUT_MS = (PERIOD_SECONDS + 60 + 10 + 30) * 1000;
const EVENTS = 30;

/** The apply file; `changeDigest` is the `change` channel's digest (absent: none). */
const applyFile = (changeDigest: Record<string, unknown> | undefined) =>
  stringify({
    channels: [
      {
        id: ids.hook,
        type: 'webhook',
        config: { url: receiver.url(`/${ids.hook}`), signingSecret: secrets.hook },
        digest: { every: `${PERIOD_SECONDS}s` },
      },
      {
        id: ids.mail,
        type: 'email',
        config: {
          transport: 'smtp',
          host: '127.0.0.1',
          port: catcher.port,
          tls: 'starttls',
          username: SMTP_USER,
          password: SMTP_PASSWORD,
          from: 'herald@herald.test',
          to: ['oncall@herald.test'],
          subjectPrefix: run,
        },
        digest: { every: `${PERIOD_SECONDS}s`, timezone: 'Europe/Berlin' },
      },
      {
        id: ids.slack,
        type: 'slack',
        config: { webhookUrl: receiver.url(`/${ids.slack}`) },
        digest: { every: `${PERIOD_SECONDS}s` },
      },
      {
        id: ids.change,
        type: 'webhook',
        config: { url: receiver.url(`/${ids.change}`), signingSecret: secrets.change },
        ...(changeDigest === undefined ? {} : { digest: changeDigest }),
      },
    ],
    policies: [
      {
        id: `${run}-batch`,
        events: [`${run}.batch.*`, `${run}.alarm`],
        channels: [ids.hook, ids.mail, ids.slack],
      },
      { id: `${run}-change`, events: [`${run}.change.*`], channels: [ids.change] },
    ],
  });

const apply = async (changeDigest: Record<string, unknown> | undefined) => {
  writeFileSync(file, applyFile(changeDigest));
  const applied = await herald('apply', '-f', file);
  if (applied.status !== 0) throw new Error(`herald apply failed: ${applied.stdout}${applied.stderr}`);
  await configPropagated();
};

/** The events a digest webhook body lists, newest first. */
interface DigestBody {
  readonly id: string;
  readonly type: string;
  readonly data: {
    readonly total: number;
    readonly more: number;
    readonly period: { readonly start: string; readonly end: string };
    readonly events: readonly { readonly eventId: string; readonly subject: string; readonly time: string }[];
  };
}

beforeAll(async () => {
  await receiver.start();
  await catcher.start();
  receiver.expect(`/${ids.hook}`, secrets.hook);
  receiver.expect(`/${ids.change}`, secrets.change);
  receiver.answer(`/${ids.slack}`, () => ({ status: 200, body: 'ok' }));
  await apply({ every: '1h' });
});

afterAll(async () => {
  await receiver.stop();
  await catcher.stop();
});

describe('digests', () => {
  it('sends what an open period holds at once when the channel’s digest is removed, and each event after it on its own', async () => {
    // Prepare: three events into the change channel's hourly digest.
    const posted = await postEvents({
      events: [1, 2, 3].map((n) => ({ type: `${run}.change.step`, source: 'ci', subject: `Step ${n}` })),
    });
    expect(posted.status).toBe(202);
    const deadline = Date.now() + 30_000;
    let collected = 0;
    while (collected < 3 && Date.now() < deadline) {
      await sleep(500);
      const page = await admin('GET', `/v1/deliveries?channel=${ids.change}&status=digested`);
      collected = (page.json as { items: unknown[] }).items.length;
    }
    expect(collected).toBe(3);
    expect(receiver.received.filter((delivery) => delivery.path === `/${ids.change}`)).toEqual([]);

    // Act: the digest goes (herald apply without it).
    await apply(undefined);
    const [digest] = await receiver.waitFor(`/${ids.change}`, 1, 30_000);
    const after = await postEvents({ type: `${run}.change.step`, source: 'ci', subject: 'Step 4' });
    const deliveries = await receiver.waitFor(`/${ids.change}`, 2, 30_000);

    // Assess: one digest of the three, then step 4 as a plain event.
    expect(digest?.verified).toBe(true);
    const body = digest?.payload as DigestBody;
    expect(body.type).toBe('herald.digest');
    // Events of one request share their accepted time: their order among themselves is the ids'.
    expect(body.data.events.map((event) => event.subject).sort()).toEqual(['Step 1', 'Step 2', 'Step 3']);
    expect(after.status).toBe(202);
    expect(deliveries[1]?.payload).toMatchObject({ type: `${run}.change.step`, subject: 'Step 4' });
  });

  it('previews a channel’s digest with herald channels test --digest: three test events, signed like a digest', async () => {
    // Act
    const tested = await herald('--json', 'channels', 'test', ids.change, '--digest');

    // Assess
    expect(tested.status).toBe(0);
    expect(JSON.parse(tested.stdout)).toMatchObject({ ok: true, status: 200 });
    const preview = (await receiver.waitFor(`/${ids.change}`, 3, 30_000))[2];
    expect(preview?.verified).toBe(true);
    expect(String(preview?.headers['webhook-id'])).toMatch(/^dgst_test_/);
    expect(preview?.payload).toMatchObject({
      type: 'herald.digest',
      data: {
        total: 3,
        more: 0,
        bySeverity: [
          { severity: 'warning', count: 1 },
          { severity: 'info', count: 2 },
        ],
      },
    });
  });

  it('delivers 30 events of one period as one digest to a webhook, an SMTP mailbox and Slack, and a critical one at once', {
    timeout: DIGEST_TIMEOUT_MS + 60_000,
  }, async () => {
    // Prepare: start right after a period begins, so that all 30 are routed within it.
    while (Math.floor(Date.now() / 1000) % PERIOD_SECONDS !== 1) await sleep(200);
    const events = Array.from({ length: EVENTS }, (_, n) => ({
      type: `${run}.batch.${n % 3 === 0 ? 'failed' : 'passed'}`,
      source: 'ci',
      subject: `Build ${n + 1} of ${run}`,
      severity: n % 3 === 0 ? 'warning' : 'info',
      attributes: { url: `https://ci.example.com/builds/${n + 1}` },
    }));

    // Act
    const posted = await postEvents({ events });
    const critical = await postEvents({
      type: `${run}.alarm`,
      source: 'ci',
      subject: 'Build farm on fire',
      severity: 'critical',
    });

    // Assess: the critical event goes out at once, on its own.
    expect(posted.status).toBe(202);
    expect(critical.status).toBe(202);
    const [urgent] = await receiver.waitFor(`/${ids.hook}`, 1, 30_000);
    expect(urgent?.payload).toMatchObject({ type: `${run}.alarm`, severity: 'critical' });

    // Assess: one digest listing all 30, newest first, signed, with a webhook-id derived from the period.
    const arrived = await receiver.waitFor(`/${ids.hook}`, 2, DIGEST_TIMEOUT_MS);
    const digest = arrived[1];
    expect(digest?.verified).toBe(true);
    const body = digest?.payload as DigestBody;
    expect(body.type).toBe('herald.digest');
    expect(body.data.total).toBe(EVENTS);
    expect(body.data.more).toBe(0);
    // Every event once, the newest first (events of one request share their accepted time).
    expect(body.data.events.map((event) => event.subject).sort()).toEqual(
      events.map((event) => event.subject).sort(),
    );
    const times = body.data.events.map((event) => Date.parse(event.time));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const webhookId = String(digest?.headers['webhook-id']);
    expect(webhookId).toMatch(/^dgst_/);
    const flushDelayMs = (digest?.at.getTime() ?? 0) - Date.parse(body.data.period.end);
    console.log(`[digests] flush delay: ${(flushDelayMs / 1000).toFixed(1)} s after the period ended`);

    // Assess: the e-mail digest, text and HTML, one line per event.
    const [mail] = await catcher.waitFor(`[${run}] Digest:`, 1, 60_000);
    expect(mail?.secure).toBe(true);
    expect(mail?.user).toBe(SMTP_USER);
    expect(mail?.parsed.subject).toContain(`Digest: ${EVENTS} events (10 warning, 20 info)`);
    const lines = String(mail?.parsed.text)
      .split('\n')
      .filter((line) => line.includes(`of ${run}`));
    expect(lines).toHaveLength(EVENTS);
    expect(String(mail?.parsed.html)).toContain(`Build 30 of ${run}`);

    // Assess: Slack, one message listing them.
    // The critical event went to Slack at once too; the digest is the second message.
    const slack = (await receiver.waitFor(`/${ids.slack}`, 2, 60_000)).find((message) =>
      message.body.includes('Digest:'),
    );
    for (const event of events) expect(slack?.body).toContain(event.subject);

    // Assess: each notification is recorded `digested` with the digest's delivery id, and the digest
    // itself delivered; the period sent one digest, however often the flush ran.
    const eventId = (posted.json as { events: { id: string }[] }).events[0]?.id;
    const shown = await admin('GET', `/v1/events/${eventId}`);
    const hookDelivery = (
      shown.json as { deliveries: { channelId: string; status: string; digest?: unknown }[] }
    ).deliveries.find((delivery) => delivery.channelId === ids.hook);
    expect(hookDelivery).toMatchObject({
      status: 'digested',
      digestId: webhookId,
      digest: { deliveryId: webhookId, status: 'delivered', attempts: [{ outcome: 'delivered' }] },
    });
    const listed = await admin('GET', `/v1/deliveries?channel=${ids.hook}&status=digested&limit=100`);
    expect((listed.json as { items: unknown[] }).items).toHaveLength(EVENTS);
    expect(receiver.received.filter((delivery) => delivery.path === `/${ids.hook}`)).toHaveLength(2);
  });
});
