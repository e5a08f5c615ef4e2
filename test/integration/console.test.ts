/**
 * `herald console` in a real browser: Debian's headless Chromium driven by `playwright-core`, against
 * the console started as a user does (`herald console --local`) over the test stack. With
 * `HERALD_CONSOLE_SCREENSHOTS=docs` (`npm run console:screenshots`) the screenshots of every page at
 * 1280 and 390 pixels go to `docs/console/` for the README; otherwise to `.local/console-screenshots/`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/local-aws.ts';
import { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { admin, postEvents, sleep, unique, webhookRoute } from './support.ts';

const CHROMIUM = process.env.HERALD_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOTS =
  process.env.HERALD_CONSOLE_SCREENSHOTS === 'docs'
    ? join(ROOT, 'docs', 'console')
    : join(ROOT, '.local', 'console-screenshots');
const WIDTHS = [1280, 390] as const;

const receiver = new WebhookReceiver();
let consoleProcess: ChildProcess | undefined;
let consoleUrl = '';
let base = '';
let context: BrowserContext | undefined;
let page: Page | undefined;
let userDataDir = '';

/** The bad channel's receiver refuses (400: dead-lettered at once) until the test fixes it. */
let badFixed = false;
const eventType = unique('console.deploy');
let good = '';
let bad = '';
let policy = '';
let eventId = '';

/** Starts `herald console --local --port 0` as a user does; resolves to the URL it prints. */
const startConsole = (): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'herald.mjs'), 'console', '--local', '--port', '0'],
      {
        cwd: ROOT,
        env: { ...process.env, HERALD_STACK: 'HeraldTest' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    consoleProcess = child;
    let output = '';
    const timer = setTimeout(() => reject(new Error(`herald console printed no URL:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const url = /Open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(output)?.[1];
      if (url !== undefined) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`herald console exited with ${code}:\n${output}`));
    });
  });

/** A raw request with the headers a browser on another site, or a DNS-rebound name, would send. */
const raw = (
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string }> =>
  new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const call = request(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    call.on('error', reject);
    call.end(options.body);
  });

/** Waits until `check` holds for the event's deliveries (read through the admin API). */
const waitForDeliveries = async (id: string, check: (statuses: Record<string, string>) => boolean) => {
  const deadline = Date.now() + 45_000;
  let statuses: Record<string, string> = {};
  while (Date.now() < deadline) {
    const answer = await admin('GET', `/v1/events/${id}`);
    if (answer.status === 200) {
      const detail = answer.json as { deliveries: { channelId: string; status: string }[] };
      statuses = Object.fromEntries(
        detail.deliveries.map((delivery) => [delivery.channelId, delivery.status]),
      );
      if (check(statuses)) return statuses;
    }
    await sleep(500);
  }
  throw new Error(`deliveries of ${id} never got there: ${JSON.stringify(statuses)}`);
};

const open = async (hash: string) => {
  const page = browserPage();
  await page.goto(`${base}/${hash}`);
  await page.locator('main h1').first().waitFor();
  await page.locator('main:not([aria-busy])').waitFor();
};

/** Screenshots of the page at both widths; checks nothing overflows sideways. */
const screenshots = async (name: string, hash: string, prepare?: (page: Page) => Promise<void>) => {
  const page = browserPage();
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: width === 390 ? 780 : 720 });
    await open(hash);
    await prepare?.(page);
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    expect(overflow, `${name} at ${width} px is wider than the window`).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`) });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
};

/** Set when Chromium is missing: every test fails with it (none is skipped). */
let missingBrowser: Error | undefined;

/** The browser page; throws the clear "install Chromium" error when there is none. */
const browserPage = (): Page => {
  if (missingBrowser !== undefined) throw missingBrowser;
  if (page === undefined) throw new Error('the browser did not start');
  return page;
};

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    missingBrowser = new Error(
      `Chromium is not installed at ${CHROMIUM}: the console's browser tests need it. ` +
        'Install it with: apt-get update && apt-get install -y --no-install-recommends chromium ' +
        '(or set HERALD_CHROMIUM to a Chromium executable).',
    );
    return;
  }
  await receiver.start();
  ({ channelId: good, policyId: policy } = await webhookRoute(receiver, {
    eventType,
    path: '/console-good',
  }));
  ({ channelId: bad } = await webhookRoute(receiver, {
    eventType,
    path: '/console-bad',
    responder: () => (badFixed ? 200 : 400),
  }));
  consoleUrl = await startConsole();
  base = new URL(consoleUrl).origin;
  userDataDir = mkdtempSync(join(tmpdir(), 'herald-chromium-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  // A fresh profile per run; playwright-core adds its own automation flags to these.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
  page = context.pages()[0] ?? (await context.newPage());
});

afterAll(async () => {
  await context?.close();
  consoleProcess?.kill('SIGTERM');
  await receiver.stop();
  if (userDataDir !== '') rmSync(userDataDir, { recursive: true, force: true });
});

describe('herald console in headless Chromium', () => {
  it('refuses requests without the token, and opens with it once', async () => {
    const page = browserPage();
    // Act
    const withoutToken = await raw('/');
    const wrongToken = await raw('/?token=wrong');
    const api = await raw('/api/overview');
    await page.goto(consoleUrl);
    await page.locator('main h1', { hasText: 'Overview' }).waitFor();
    const token = new URL(consoleUrl).searchParams.get('token') ?? '';
    const again = await raw(`/?token=${token}`);

    // Assess
    expect(withoutToken.status).toBe(403);
    expect(wrongToken.status).toBe(403);
    expect(api.status).toBe(403);
    expect(page.url()).toBe(`${base}/`);
    expect(again.status).toBe(403);
    expect(again.text).toContain('used already');
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin, even with the session cookie', async () => {
    browserPage();
    // Prepare
    const [cookie] = (await context?.cookies()) ?? [];
    const session = `${cookie?.name}=${cookie?.value}`;
    const body = JSON.stringify({ event: { type: eventType, source: 'console-test' } });
    const json = { 'content-type': 'application/json', cookie: session };

    // Act
    const rebound = await raw('/api/overview', {
      headers: { host: `evil.example:${new URL(base).port}`, cookie: session },
    });
    const crossSite = await raw('/api/match', {
      method: 'POST',
      headers: { ...json, origin: 'http://evil.example' },
      body,
    });
    const noOrigin = await raw('/api/match', { method: 'POST', headers: json, body });
    const sameOrigin = await raw('/api/match', { method: 'POST', headers: { ...json, origin: base }, body });

    // Assess
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(rebound.status).toBe(403);
    expect(crossSite.status).toBe(403);
    expect(noOrigin.status).toBe(403);
    expect(sameOrigin.status, sameOrigin.text).toBe(200);
  });

  it('shows a delivered and a dead delivery after an event, and the attempt timeline', async () => {
    const page = browserPage();
    // Prepare
    const sent = await postEvents({ type: eventType, source: 'console-test', subject: 'Deployed api' });
    eventId = (sent.json as { events: { id: string }[] }).events[0]?.id ?? '';
    await waitForDeliveries(
      eventId,
      (statuses) => statuses[good] === 'delivered' && statuses[bad] === 'dead',
    );

    // Act
    await open(`#/deliveries?channel=${good}`);
    const goodRow = page.locator('tbody tr', { hasText: eventId });
    await open(`#/deliveries?channel=${bad}`);
    const deadRow = page.locator('tbody tr', { hasText: eventId });
    await expect.poll(() => deadRow.locator('.badge').textContent()).toBe('dead');
    await deadRow.getByRole('link', { name: eventId }).click();
    await page.locator('main h1', { hasText: `Event ${eventId}` }).waitFor();

    // Assess
    await open(`#/deliveries?channel=${good}`);
    expect(await goodRow.locator('.badge').textContent()).toBe('delivered');
    await open(`#/events/${eventId}`);
    const goodTimeline = page.getByRole('region', { name: `Delivery to ${good}` }).locator('ol.timeline li');
    const badTimeline = page.getByRole('region', { name: `Delivery to ${bad}` }).locator('ol.timeline li');
    expect(await goodTimeline.count()).toBe(1);
    expect(await goodTimeline.first().textContent()).toMatch(/delivered.*HTTP 200/);
    expect(await badTimeline.first().textContent()).toMatch(/failed.*HTTP 400.*\d+ ms/);
  });

  it('filters deliveries by status and channel', async () => {
    const page = browserPage();
    // Act
    await open('#/deliveries');
    await page.getByLabel('Status').fill('dead');
    await page.getByLabel('Channel').fill(bad);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('#filter-summary', { hasText: `Status dead, channel ${bad},` }).waitFor();
    const statuses = await page.locator('tbody tr .badge').allTextContents();
    const text = await page.locator('tbody').textContent();

    // Assess
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(['dead']));
    expect(text).toContain(eventId);
    expect(text).not.toContain(good);
  });

  it('sends a test notification from the channel page and shows what the receiver answered', async () => {
    const page = browserPage();
    // Act
    await open(`#/channels/${good}`);
    await page.getByRole('button', { name: 'Send test' }).click();
    const result = page.locator('#test-result');
    await expect.poll(() => result.textContent(), { timeout: 30_000 }).toMatch(/delivered/);

    // Assess
    expect(await result.textContent()).toMatch(/^✔ delivered \(HTTP 200, \d+ ms\)$/);
    expect(await page.locator('main').textContent()).toContain('configured');
  });

  it('shows which channels an event would reach with the router matcher', async () => {
    const page = browserPage();
    // Act
    await open('#/policies');
    await page
      .getByLabel('Event (JSON, as a producer sends it)')
      .fill(JSON.stringify({ type: eventType, source: 'x' }));
    await page.getByRole('button', { name: 'What would match' }).click();
    const result = page.locator('#match-result');
    await result.locator('tbody').waitFor();

    // Assess
    expect(await result.textContent()).toContain('Reaches 2 channels');
    expect(await result.locator('tbody').textContent()).toContain(policy);
  });

  it('redrives a dead letter after the receiver is fixed, and shows it delivered', async () => {
    const page = browserPage();
    // Prepare
    badFixed = true;

    // Act
    await open(`#/dead-letters?channel=${bad}`);
    expect(await page.locator('tbody').textContent()).toContain(eventId);
    await page.getByRole('button', { name: `Redrive ${bad}` }).click();
    const result = page.locator('#redrive-result');
    await expect.poll(() => result.textContent(), { timeout: 30_000 }).toMatch(/^Redriven/);
    await waitForDeliveries(eventId, (statuses) => statuses[bad] === 'delivered');
    await open(`#/events/${eventId}`);

    // Assess
    const badDelivery = page.getByRole('region', { name: `Delivery to ${bad}` });
    expect(await badDelivery.locator('h3 .badge').textContent()).toBe('delivered');
    expect(await badDelivery.locator('ol.timeline li').last().textContent()).toMatch(/delivered.*HTTP 200/);
  });

  it('renders every page at 1280 and 390 pixels wide without sideways scrolling', async () => {
    browserPage();
    // Prepare: one more dead letter (the receiver refuses again) and a silence to show (expired at
    // once, so no other test's notification is muted)
    badFixed = false;
    const sent = await postEvents({ type: eventType, source: 'console-test', subject: 'Deployed web' });
    const deadId = (sent.json as { events: { id: string }[] }).events[0]?.id ?? '';
    await waitForDeliveries(deadId, (statuses) => statuses[bad] === 'dead');
    const silence = unique('console-sil');
    await admin('PUT', `/v1/silences/${silence}`, {
      comment: 'console screenshot',
      events: [eventType],
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      endsAt: new Date(Date.now() - 1000).toISOString(),
    });

    // Act and assess
    await screenshots('overview', '#/');
    await screenshots('channels', '#/channels');
    await screenshots('channel', `#/channels/${good}`);
    await screenshots('policies', `#/policies/${policy}`, async (page) => {
      await page
        .getByLabel('Event (JSON, as a producer sends it)')
        .fill(JSON.stringify({ type: eventType, source: 'ci' }));
      await page.getByRole('button', { name: 'What would match' }).click();
      await page.locator('#match-result tbody').waitFor();
    });
    await screenshots('deliveries', '#/deliveries');
    await screenshots('event', `#/events/${eventId}`);
    await screenshots('dead-letters', '#/dead-letters');
    await screenshots('silences', '#/silences');
    await screenshots('audit', '#/audit');
  });
});
