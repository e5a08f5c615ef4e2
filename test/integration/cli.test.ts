import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ROOT } from '../../scripts/lib/local-aws.ts';
import { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { newSigningSecret } from '../../shared/channels/webhook/index.ts';
import {
  admin,
  configPropagated,
  output,
  postEvents,
  putEvent,
  sleep,
  unique,
  webhookRoute,
} from './support.ts';

const receiver = new WebhookReceiver();
const dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));

/** Runs `herald …` as a user does, against the test stack on the emulator. */
const herald = (...args: string[]) => {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'herald.mjs'), ...args, '--local'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, HERALD_STACK: 'HeraldTest', AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

const writeFile = (name: string, content: string) => {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
};

beforeAll(async () => {
  await receiver.start();
});

afterAll(async () => {
  await receiver.stop();
});

describe('herald CLI against the deployed stack', () => {
  it('applies channels and policies as code; a second apply changes nothing; --prune removes what the file dropped', async () => {
    // Prepare
    const channelId = unique('cli-ch');
    const keep = unique('cli-keep');
    const drop = unique('cli-drop');
    const signingSecret = newSigningSecret();
    const channel = {
      id: channelId,
      type: 'webhook',
      config: { url: receiver.url('/cli'), headers: { 'x-team': 'platform' }, signingSecret },
    };
    const policy = (id: string) => ({ id, events: [`${id}.*`], channels: [channelId] });
    const full = writeFile(
      'full.yaml',
      stringify({ channels: [channel], policies: [policy(keep), policy(drop)] }),
    );
    const reduced = writeFile('reduced.yaml', stringify({ channels: [channel], policies: [policy(keep)] }));

    // Act
    const first = herald('apply', '-f', full);
    const second = herald('apply', '-f', full);
    const dryPrune = herald('apply', '-f', reduced, '--prune', '--dry-run');
    const afterDryRun = await admin('GET', `/v1/policies/${drop}`);
    const prune = herald('apply', '-f', reduced, '--prune');

    // Assess
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(`+ channel ${channelId} (create)`);
    expect(first.stdout).toContain(`+ policy ${drop} (create)`);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).not.toMatch(/^[+~-] /m);
    expect(second.stdout).toContain(`= channel ${channelId} (unchanged)`);
    expect(dryPrune.stdout).toContain(`- policy ${drop} (delete)`);
    expect(afterDryRun.status).toBe(200);
    expect(prune.status, prune.stderr).toBe(0);
    expect((await admin('GET', `/v1/policies/${drop}`)).status).toBe(404);
    expect((await admin('GET', `/v1/policies/${keep}`)).status).toBe(200);
    expect((await admin('GET', `/v1/channels/${channelId}`)).status).toBe(200);
  });

  it('points a YAML error at its line and exits non-zero', () => {
    const file = writeFile(
      'broken.yaml',
      'channels:\n  - id: ok-id\n    type: webhook\n    config:\n      url: 42\n',
    );
    const result = herald('apply', '-f', file);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/broken\.yaml:5: channels\.0\.config\.url/);
  });

  it('manages channels, sends an event and shows it delivered, with --json for scripts', async () => {
    // Prepare
    const channelId = unique('cli-send');
    const type = unique('cli.sent');
    const signingSecret = newSigningSecret();
    const channelFile = writeFile(
      'channel.json',
      JSON.stringify({
        type: 'webhook',
        events: [type],
        config: { url: receiver.url('/cli-send'), signingSecret },
      }),
    );
    receiver.expect('/cli-send', signingSecret);

    // Act
    const put = herald('channels', 'put', channelId, '-f', channelFile);
    const listed = herald('channels', 'list', '--json');
    await configPropagated();
    const sent = herald('send', '--type', type, '--source', 'cli', '--attr', 'environment=ci', '--json');
    const [delivery] = await receiver.waitFor('/cli-send', 1, 30_000);
    const eventId = (JSON.parse(sent.stdout) as { events: { id: string }[] }).events[0]?.id ?? '';
    await new Promise((resolve) => setTimeout(resolve, 500));
    const shown = herald('events', 'get', eventId, '--json');
    const missing = herald('channels', 'get', unique('absent'));

    // Assess
    expect(put.status, put.stderr).toBe(0);
    expect(listed.stdout).toContain(channelId);
    expect(listed.stdout).not.toContain(signingSecret);
    expect(sent.status, sent.stderr).toBe(0);
    expect(delivery?.verified).toBe(true);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      event: { id: eventId, type },
      deliveries: [{ channelId, status: 'delivered' }],
    });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr.trim()).toMatch(/^herald: 404 not_found: channel \S+ does not exist$/m);
    expect(output('ApiId')).not.toBe('');
  });

  it('lists the ingest dead-letter queue with reasons and redrives it, keeping what the router refused', async () => {
    // Prepare: an EventBridge event whose detail is no valid Herald event.
    const refusedId = await putEvent({
      source: 'tests',
      detailType: unique('cli.refused'),
      detail: { subject: 'two\nlines' },
    });
    const listIngest = () => {
      const listed = herald('dlq', 'list', '--ingest', '--limit', '100', '--json');
      expect(listed.status, listed.stderr).toBe(0);
      return (JSON.parse(listed.stdout) as { items: { eventId: string | null; reason: string }[] }).items;
    };
    const deadline = Date.now() + 30_000;
    while (!listIngest().some((item) => item.eventId === refusedId) && Date.now() < deadline)
      await sleep(500);

    // Act
    const table = herald('dlq', 'list', '--ingest', '--limit', '100');
    const redriven = herald('dlq', 'redrive', '--ingest');
    const both = herald('dlq', 'list', '--ingest', '--queue');

    // Assess
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toContain(refusedId);
    expect(table.stdout).toContain(`invalid EventBridge event ${refusedId}: subject:`);
    expect(redriven.status, redriven.stderr).toBe(0);
    expect(redriven.stdout.trim()).toMatch(/^Redriven: \d+, skipped: [1-9]\d*\.$/);
    expect(listIngest().some((item) => item.eventId === refusedId)).toBe(true);
    expect(both.status).not.toBe(0);
    expect(both.stderr).toContain('give --queue or --ingest, not both');
  });

  it('mutes the next event with a silence made by the CLI, and lets the one after its expiry through', async () => {
    // Prepare
    const type = unique('cli.silenced');
    const path = `/${unique('silenced')}`;
    await webhookRoute(receiver, { eventType: type, path });
    const silenceId = unique('sil');
    const send = async (environment: string) => {
      const answer = await postEvents({ type, source: 'cli-tests', attributes: { environment } });
      return (answer.json as { events: { id: string }[] }).events[0]?.id ?? '';
    };
    const deliveriesOf = async (eventId: string) =>
      (
        (await admin('GET', `/v1/events/${eventId}`)).json as {
          deliveries: { status: string; reason?: string }[];
        }
      ).deliveries;

    // Act: a silence for staging; a staging and a production event; expire it; another staging event.
    const created = herald(
      'silences',
      'create',
      '--id',
      silenceId,
      '--match',
      'environment=staging',
      '--events',
      type,
      '--for',
      '2h',
      '--comment',
      'load test',
    );
    await configPropagated();
    const muted = await send('staging');
    const other = await send('production');
    await receiver.waitFor(path, 1, 30_000);
    await sleep(1_000);
    const listedActive = herald('silences', 'list', '--status', 'active', '--json');
    const expired = herald('silences', 'expire', silenceId);
    await configPropagated();
    const after = await send('staging');
    await receiver.waitFor(path, 2, 30_000);
    const shown = herald('silences', 'get', silenceId, '--json');

    // Assess
    expect(created.status, created.stderr).toBe(0);
    expect(created.stdout).toContain(`Created silence ${silenceId}`);
    expect(await deliveriesOf(muted)).toMatchObject([
      { status: 'suppressed', reason: `silenced by ${silenceId}` },
    ]);
    expect(receiver.deliveriesTo(path).map((delivery) => (delivery.payload as { id: string }).id)).toEqual([
      other,
      after,
    ]);
    expect(JSON.parse(listedActive.stdout).items.map((item: { id: string }) => item.id)).toContain(silenceId);
    expect(expired.status, expired.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      id: silenceId,
      status: 'expired',
      comment: 'load test',
    });
  });

  it('keeps silences as code: apply creates a maintenance window, a second apply changes nothing', async () => {
    // Prepare
    const id = unique('cli-sil');
    const window = { days: ['sat'], from: '22:00', to: '06:00' };
    const file = writeFile(
      'silences.yaml',
      stringify({
        silences: [{ id, match: { team: id }, schedule: { timezone: 'Europe/Berlin', windows: [window] } }],
      }),
    );

    // Act
    const first = herald('apply', '-f', file);
    const second = herald('apply', '-f', file);
    const shown = herald('silences', 'get', id, '--json');
    const deleted = herald('silences', 'delete', id);

    // Assess
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(`+ silence ${id} (create)`);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain(`= silence ${id} (unchanged)`);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      id,
      status: 'active',
      schedule: { timezone: 'Europe/Berlin', windows: [window] },
    });
    expect(deleted.status, deleted.stderr).toBe(0);
  });

  it('mutes during a maintenance window that covers now, and not during one that does not', async () => {
    // Prepare: two windows in UTC, one all of today, one all of tomorrow only.
    const type = unique('cli.window');
    const path = `/${unique('window')}`;
    await webhookRoute(receiver, { eventType: type, path });
    const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    const today = days[new Date().getUTCDay()] ?? 'sun';
    const tomorrow = days[(new Date().getUTCDay() + 1) % 7] ?? 'mon';
    const covering = unique('win');
    const elsewhere = unique('win');

    // Act
    const now = herald(
      'silences',
      'create',
      '--id',
      covering,
      '--match',
      'team=now',
      '--window',
      `${today} 00:00-24:00`,
    );
    const later = herald(
      'silences',
      'create',
      '--id',
      elsewhere,
      '--match',
      'team=later',
      '--window',
      `${tomorrow} 00:00-24:00`,
      '--timezone',
      'UTC',
    );
    await configPropagated();
    const mutedAnswer = await postEvents({ type, source: 'cli-tests', attributes: { team: 'now' } });
    const sentAnswer = await postEvents({ type, source: 'cli-tests', attributes: { team: 'later' } });
    const [arrived] = await receiver.waitFor(path, 1, 30_000);
    await sleep(2_000);
    const listed = herald('silences', 'list');

    // Assess
    expect(now.status, now.stderr).toBe(0);
    expect(later.status, later.stderr).toBe(0);
    const mutedId = (mutedAnswer.json as { events: { id: string }[] }).events[0]?.id;
    const sentId = (sentAnswer.json as { events: { id: string }[] }).events[0]?.id;
    expect(arrived?.payload).toMatchObject({ id: sentId });
    expect(receiver.deliveriesTo(path)).toHaveLength(1);
    expect((await admin('GET', `/v1/events/${mutedId}`)).json).toMatchObject({
      deliveries: [{ status: 'suppressed', reason: `silenced by ${covering}` }],
    });
    expect(listed.stdout).toContain(`${today} 00:00-24:00 UTC`);
    // Windows are kept until deleted: these are removed so other runs see none.
    expect(herald('silences', 'delete', covering).status).toBe(0);
    expect(herald('silences', 'delete', elsewhere).status).toBe(0);
  });
});
