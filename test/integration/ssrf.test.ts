/**
 * Address checks on a stack as production runs it (no private targets): every target form that
 * reaches loopback, private, link-local or metadata addresses, however it is spelled, is refused with
 * a 400 naming the field, for every channel type that makes HTTP requests; and a name that turns
 * inward after it was saved (DNS rebinding) or answers one public and one private address is refused
 * when it is used. (The main test stack allows private targets so that it can reach its local
 * receivers; this file deploys a strict one, whose functions resolve names through a DNS stub. Its API
 * is on a named stage, `live`, so these calls also show a stage other than `$default` served under its
 * path and found from the stack's outputs.)
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveEndpoint } from '../../cli/endpoint.ts';
import { apiUrl, deployStack, type StackOutputs, useEmulator } from '../../scripts/lib/local-aws.ts';
import { signedFetch } from '../../scripts/lib/signed-fetch.ts';
import { type DnsStub, startDnsStub } from './dns-stub.ts';
import { sleep, unique } from './support.ts';

const endpoint = inject('endpoint');
const STAGE = 'live';
let strict: StackOutputs;
let dns: DnsStub;

useEmulator(endpoint);

beforeAll(async () => {
  dns = await startDnsStub();
  strict = await deployStack(
    endpoint,
    {
      stackName: 'HeraldStrict',
      eventBusName: 'herald-strict',
      stageName: STAGE,
      allowPrivateTargets: false,
      dnsServers: [dns.address],
      retrySchedule: [0, 1, 1],
    },
    (message) => console.log(`[ssrf] ${message}`),
  );
}, 300_000);

afterAll(async () => {
  await dns?.close();
});

interface Answer {
  status: number;
  json: {
    details?: { path: string; message: string }[];
    ok?: boolean;
    error?: string | null;
    events?: { id: string }[];
    deliveries?: { channelId: string; status: string; reason?: string }[];
  };
}

const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
  const response = await signedFetch({
    method,
    url: apiUrl(endpoint, strict, path),
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Answer['json'] };
};

const put = (id: string, body: unknown) => call('PUT', `/v1/channels/${id}`, body);

const FORMS = [
  'https://127.0.0.1/hook',
  'https://127.1/hook',
  'https://2130706433/hook',
  'https://0x7f.1/hook',
  'https://0177.0.0.1/hook',
  'https://localhost./hook',
  'https://[::1]/hook',
  'https://[::ffff:127.0.0.1]/hook',
  'https://[::7f00:1]/hook',
  'https://10.0.0.8/hook',
  'https://user@169.254.169.254/latest/meta-data',
  'https://[fd00:ec2::254]/hook',
  'https://[64:ff9b::a9fe:a9fe]/hook',
  'https://[2002:7f00:1::]/hook',
  'https://100.64.0.1/hook',
  'http://hooks.example.com/hook',
];

/** Each HTTP channel type with its target field set to `url`. */
const CHANNELS: [string, string, (url: string) => unknown][] = [
  ['webhook', 'config.url', (url) => ({ type: 'webhook', config: { url } })],
  ['slack', 'config.webhookUrl', (url) => ({ type: 'slack', config: { webhookUrl: url } })],
  ['discord', 'config.webhookUrl', (url) => ({ type: 'discord', config: { webhookUrl: url } })],
  ['teams', 'config.webhookUrl', (url) => ({ type: 'teams', config: { webhookUrl: url } })],
  [
    'pagerduty',
    'config.endpoint',
    (url) => ({ type: 'pagerduty', config: { routingKey: 'R'.repeat(32), endpoint: url } }),
  ],
];

describe('a named stage', () => {
  it('serves the API under /live only, where the outputs and the CLI find it', async () => {
    // Act
    const cli = await resolveEndpoint({ local: true, stack: 'HeraldStrict' }, { AWS_ENDPOINT_URL: endpoint });
    const onStage = await signedFetch({ method: 'GET', url: `${cli.baseUrl}/v1/policies` });
    const atRoot = await signedFetch({
      method: 'GET',
      url: `${endpoint}/_aws/execute-api/${strict.ApiId}/v1/policies`,
    });

    // Assess
    expect(strict.ApiUrl).toMatch(new RegExp(`/${STAGE}$`));
    expect(cli.baseUrl).toBe(`${endpoint}/_aws/execute-api/${strict.ApiId}/${STAGE}`);
    expect(apiUrl(endpoint, strict, '/v1/policies')).toBe(`${cli.baseUrl}/v1/policies`);
    expect(onStage.status).toBe(200);
    expect(atRoot.status).toBe(404);
  });
});

describe('save-time SSRF checks on a strict stack', () => {
  it.each(CHANNELS)(
    'refuses every internal form of a %s target with 400 at %s',
    async (type, path, body) => {
      const refused: string[] = [];
      for (const [index, url] of FORMS.entries()) {
        const response = await put(`ssrf-${type}-${index}`, body(url));
        if (response.status === 400 && response.json.details?.some((detail) => detail.path === path)) {
          refused.push(url);
        } else {
          refused.push(`NOT REFUSED (${response.status}): ${url}`);
        }
      }
      expect(refused).toEqual(FORMS);
    },
    120_000,
  );

  it('accepts a public address on the same stack (the refusals are about the address)', async () => {
    const response = await put('ssrf-public', { type: 'webhook', config: { url: 'https://8.8.8.8/hook' } });
    expect(response.status).toBe(201);
  });
});

/** The target URL of a channel type on a name the DNS stub answers. */
const onName = (name: string) => `https://${name}/hook`;

describe('DNS answers, at save and at connect time (a DNS stub on loopback)', () => {
  it.each(CHANNELS)(
    'refuses a %s target whose name has one public and one private answer, at %s',
    async (type, path, body) => {
      // Prepare
      const name = `${unique('mixed')}.herald.test`;
      dns.answer(name, ['8.8.8.8', '10.0.0.8']);

      // Act
      const response = await put(unique(`mixed-${type}`), body(onName(name)));

      // Assess
      expect(response.status).toBe(400);
      expect(response.json.details).toContainEqual({
        path,
        message: `${name} resolves to a non-public address`,
      });
    },
  );

  it.each(CHANNELS)(
    'refuses a %s target whose name turned to loopback after it was saved (rebinding), at send time',
    async (type, _path, body) => {
      // Prepare: the name is public when the channel is saved…
      const name = `${unique('rebind')}.herald.test`;
      const id = unique(`rebind-${type}`);
      dns.answer(name, ['8.8.8.8']);
      expect((await put(id, body(onName(name)))).status).toBe(201);

      // Act: …then answers loopback, and then one public and one private address.
      dns.answer(name, ['127.0.0.1']);
      const toLoopback = await call('POST', `/v1/channels/${id}/test`);
      dns.answer(name, ['2606:4700:4700::1111', 'fd00:ec2::254']);
      const toMixed = await call('POST', `/v1/channels/${id}/test`);

      // Assess
      expect(toLoopback.json).toMatchObject({
        ok: false,
        error: `target refused: ${name} resolves to a non-public address`,
      });
      expect(toMixed.json).toMatchObject({
        ok: false,
        error: `target refused: ${name} resolves to a non-public address`,
      });
    },
    60_000,
  );

  it('dead-letters an event whose webhook name turned to loopback, with the refusal as its reason', async () => {
    // Prepare
    const name = `${unique('rebind-event')}.herald.test`;
    const channel = unique('rebind-event');
    const type = `ssrf.${unique('rebind')}`;
    dns.answer(name, ['8.8.8.8']);
    expect((await put(channel, { type: 'webhook', config: { url: onName(name) } })).status).toBe(201);
    expect(
      (await call('PUT', `/v1/policies/${channel}`, { events: [type], channels: [channel] })).status,
    ).toBe(201);
    dns.answer(name, ['127.0.0.1']);
    await sleep(2000); // the new policy reaches the router (SPEC §5: within 2 s)

    // Act
    const emitted = await call('POST', '/v1/iam/events', { type, source: 'ssrf-suite', data: {} });
    const eventId = emitted.json.events?.[0]?.id ?? '';
    let delivery: { status: string; reason?: string } | undefined;
    for (let tries = 0; tries < 120 && delivery?.status !== 'dead'; tries += 1) {
      await sleep(500);
      delivery = (await call('GET', `/v1/events/${eventId}`)).json.deliveries?.[0];
    }

    // Assess
    expect(emitted.status).toBe(202);
    expect(delivery).toMatchObject({
      status: 'dead',
      reason: expect.stringContaining(`target refused: ${name} resolves to a non-public address`),
    });
  }, 90_000);

  it('uses a name whose answers are all public (the refusals are about the answers)', async () => {
    const name = `${unique('public')}.herald.test`;
    dns.answer(name, ['8.8.8.8', '2606:4700:4700::1111']);
    expect((await put(unique('public'), { type: 'webhook', config: { url: onName(name) } })).status).toBe(
      201,
    );
  });
});
