import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ROOT } from '../../scripts/lib/local-aws.ts';
import { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { newSigningSecret } from '../../shared/channels/webhook/index.ts';
import { admin, configPropagated, output, putEvent, sleep, unique } from './support.ts';

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
});
