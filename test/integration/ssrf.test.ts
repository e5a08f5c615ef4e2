/**
 * Save-time address checks on a stack as production runs it (no private targets): every target form
 * that reaches loopback, private, link-local or metadata addresses, however it is spelled, is refused
 * with a 400 naming the field, for every channel type that makes HTTP requests. (The main test stack
 * allows private targets so that it can reach its local receivers; this file deploys a strict one.)
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { apiUrl, deployStack, type StackOutputs, useEmulator } from '../../scripts/lib/local-aws.ts';
import { signedFetch } from '../../scripts/lib/signed-fetch.ts';

const endpoint = inject('endpoint');
let strict: StackOutputs;

useEmulator(endpoint);

beforeAll(async () => {
  strict = await deployStack(
    endpoint,
    { stackName: 'HeraldStrict', eventBusName: 'herald-strict', allowPrivateTargets: false },
    (message) => console.log(`[ssrf] ${message}`),
  );
}, 300_000);

const put = async (id: string, body: unknown) => {
  const outputs = strict;
  const response = await signedFetch({
    method: 'PUT',
    url: apiUrl(endpoint, outputs.ApiId ?? '', `/v1/channels/${id}`),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as { details?: { path: string }[] } };
};

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
