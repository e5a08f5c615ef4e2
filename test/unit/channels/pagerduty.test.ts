import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_DEDUP_KEY_CHARS,
  MAX_REQUEST_BYTES,
  MAX_SUMMARY_CHARS,
  PAGERDUTY_EVENTS_URL,
  type PagerDutyEvent,
  type PagerDutySettings,
  type PagerDutyTrigger,
  pagerduty,
  renderPagerDuty,
  sendPagerDuty,
} from '#shared/channels/pagerduty/index.ts';
import type { StoredTemplate } from '#shared/channels/record.ts';
import type { DeliveryContext, Transports } from '#shared/channels/types.ts';
import { type HeraldEvent, SEVERITIES } from '#shared/domain/event.ts';
import { RequestTimeoutError, type SafeRequest, type SafeResponse } from '#shared/http/safe-request.ts';
import { type LocalServer, startLocalServer, testTransports } from '../support.ts';

const ROUTING_KEY = 'R0UT1NGKEYTEST000000000000000042';
const now = new Date('2026-11-23T09:00:05Z');
const event: HeraldEvent = {
  id: '01JDX3M6Q3V9Z4K8T2N7R5B1C0',
  type: 'request_created',
  source: 'dbward',
  time: '2026-11-23T09:00:00Z',
  subject: 'Break-glass access used on app/production',
  severity: 'critical',
  attributes: {
    database: 'app',
    environment: 'production',
    alert: 'break-glass/app/production',
    url: 'https://dbward.example.com/requests/481',
  },
  data: { requestedBy: 'alice', reason: 'restore a dropped table', ttlMinutes: 30 },
};
const context: DeliveryContext = {
  deliveryId: 'msg_01JDX3M6Q3',
  attempt: 1,
  channelId: 'ops-pagerduty',
  policyIds: ['prod-ops'],
};

/** Settings as the config table stores them: the schema's output, defaults applied. */
const settingsOf = (input: Record<string, unknown> = {}): PagerDutySettings =>
  pagerduty.settings.parse(input) as PagerDutySettings;

const render = (
  e: HeraldEvent,
  settings: PagerDutySettings = settingsOf(),
  template: StoredTemplate | undefined = undefined,
): PagerDutyEvent =>
  renderPagerDuty({ event: e, context, settings, secrets: { routingKey: ROUTING_KEY }, template, now });

const trigger = (message: PagerDutyEvent): PagerDutyTrigger => {
  if (message.event_action !== 'trigger') throw new Error(`expected a trigger, got ${message.event_action}`);
  return message;
};

const bytes = (message: PagerDutyEvent) => Buffer.byteLength(JSON.stringify(message), 'utf8');

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Every string in a JSON value, keys included. */
const stringsIn = (value: unknown): string[] => {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, inner]) => [key, ...stringsIn(inner)]);
  }
  return [];
};

/** A transport that answers every request with `response` and remembers the request. */
const answering = (response: SafeResponse) => {
  const requests: SafeRequest[] = [];
  const transports: Pick<Transports, 'http'> = {
    http: async (request) => {
      requests.push(request);
      return response;
    },
  };
  return { requests, transports };
};

const sendSettings = { endpoint: PAGERDUTY_EVENTS_URL, timeoutMs: 5000 };

describe('renderPagerDuty golden files', () => {
  const settings = settingsOf({
    severity: { warning: 'warning' },
    dedupKey: 'attributes.alert',
    resolveOn: ['request_closed'],
    customDetails: { runbook: 'https://runbooks.example.com/break-glass' },
    component: 'attributes.database',
    group: 'attributes.environment',
  });

  it.each(SEVERITIES)('renders a native Events API v2 trigger for a %s event', async (severity) => {
    // Act
    const message = render({ ...event, severity }, settings);

    // Assess
    await expect(`${JSON.stringify(message, null, 2)}\n`).toMatchFileSnapshot(
      `../../fixtures/channels/pagerduty/${severity}.json`,
    );
  });

  it('renders a resolve with the same dedup key for a resolveOn event', async () => {
    // Act
    const message = render({ ...event, type: 'request_closed', subject: 'Access closed' }, settings);

    // Assess
    await expect(`${JSON.stringify(message, null, 2)}\n`).toMatchFileSnapshot(
      '../../fixtures/channels/pagerduty/resolve.json',
    );
  });
});

describe('renderPagerDuty', () => {
  it('maps each Herald severity to itself by default', () => {
    for (const severity of SEVERITIES) {
      expect(trigger(render({ ...event, severity })).payload.severity).toBe(severity);
    }
  });

  it('maps severities through the channel severity map, keeping unlisted ones', () => {
    // Prepare
    const settings = settingsOf({ severity: { warning: 'error', info: 'warning' } });

    // Act
    const mapped = SEVERITIES.map(
      (severity) => trigger(render({ ...event, severity }, settings)).payload.severity,
    );

    // Assess
    expect(mapped).toEqual(['warning', 'error', 'error', 'critical']);
  });

  it('keys the alert by the event id by default', () => {
    expect(render(event).dedup_key).toBe(event.id);
  });

  it('keys the alert by the named attribute', () => {
    const message = render(event, settingsOf({ dedupKey: 'attributes.alert' }));
    expect(message.dedup_key).toBe('break-glass/app/production');
  });

  it('falls back to the event id when the dedup attribute is absent or empty', () => {
    // Prepare
    const settings = settingsOf({ dedupKey: 'attributes.incident' });

    // Act
    const absent = render(event, settings);
    const empty = render({ ...event, attributes: { incident: '' } }, settings);

    // Assess
    expect(absent.dedup_key).toBe(event.id);
    expect(empty.dedup_key).toBe(event.id);
  });

  it('cuts a dedup key longer than 255 characters', () => {
    // Prepare
    const settings = settingsOf({ dedupKey: 'attributes.alert' });

    // Act
    const message = render({ ...event, attributes: { alert: 'k'.repeat(256) } }, settings);

    // Assess
    expect(message.dedup_key).toHaveLength(MAX_DEDUP_KEY_CHARS);
  });

  it('resolves with only the routing key, action and dedup key when the type matches a resolveOn glob', () => {
    // Prepare
    const settings = settingsOf({ dedupKey: 'attributes.alert', resolveOn: ['request.*', 'request_closed'] });

    // Act
    const dotted = render({ ...event, type: 'request.approved' }, settings);
    const exact = render({ ...event, type: 'request_closed' }, settings);
    const other = render({ ...event, type: 'request_created' }, settings);

    // Assess
    const resolve = {
      routing_key: ROUTING_KEY,
      event_action: 'resolve',
      dedup_key: 'break-glass/app/production',
    };
    expect(dotted).toEqual(resolve);
    expect(exact).toEqual(resolve);
    expect(other.event_action).toBe('trigger');
  });

  it('fills component and group from attributes, or literals, and leaves them out when the attribute is absent', () => {
    // Act
    const fromAttributes = trigger(
      render(event, settingsOf({ component: 'attributes.database', group: 'attributes.environment' })),
    );
    const literal = trigger(render(event, settingsOf({ component: 'postgres', group: 'prod-datapipe' })));
    const absent = trigger(
      render(event, settingsOf({ component: 'attributes.host', group: 'attributes.zone' })),
    );

    // Assess
    expect(fromAttributes.payload).toMatchObject({ component: 'app', group: 'production' });
    expect(literal.payload).toMatchObject({ component: 'postgres', group: 'prod-datapipe' });
    expect(absent.payload).not.toHaveProperty('component');
    expect(absent.payload).not.toHaveProperty('group');
  });

  it('sets class to the event type unless the channel names one', () => {
    expect(trigger(render(event)).payload.class).toBe('request_created');
    expect(trigger(render(event, settingsOf({ class: 'access' }))).payload.class).toBe('access');
    expect(trigger(render(event, settingsOf({ class: 'attributes.database' }))).payload.class).toBe('app');
  });

  it('puts attributes, data, customDetails, the text template and herald fields in custom_details', () => {
    // Prepare
    const settings = settingsOf({
      customDetails: { runbook: 'https://runbooks.example.com/x', database: 'fixed' },
    });

    // Act
    const message = trigger(render(event, settings, { text: 'Requested by {{data.requestedBy}}' }));

    // Assess
    expect(message.payload.custom_details).toEqual({
      database: 'fixed',
      environment: 'production',
      alert: 'break-glass/app/production',
      url: 'https://dbward.example.com/requests/481',
      data: event.data,
      runbook: 'https://runbooks.example.com/x',
      text: 'Requested by alice',
      herald: { eventId: event.id, deliveryId: 'msg_01JDX3M6Q3', channel: 'ops-pagerduty' },
    });
  });

  it('leaves data out of custom_details when the event has none', () => {
    const { data: _data, ...withoutData } = event;
    expect(trigger(render(withoutData)).payload.custom_details).not.toHaveProperty('data');
  });

  it('uses the subject template, on one line, as the summary', () => {
    // Act
    const message = trigger(
      render(event, settingsOf(), { subject: '[{{attributes.environment}}]\n{{subject}}' }),
    );

    // Assess
    expect(message.payload.summary).toBe('[production] Break-glass access used on app/production');
  });

  it('falls back to the subject when the subject template renders empty', () => {
    const message = trigger(render(event, settingsOf(), { subject: '{{attributes.missing}}' }));
    expect(message.payload.summary).toBe(event.subject);
  });

  it('cuts a templated summary to 1024 characters', () => {
    const message = trigger(render(event, settingsOf(), { subject: `{{subject}}${'x'.repeat(2000)}` }));
    expect(message.payload.summary).toHaveLength(MAX_SUMMARY_CHARS);
    expect(message.payload.summary.endsWith('…')).toBe(true);
  });

  it('links the event URL and leaves links out when the event has none', () => {
    // Prepare
    const { url: _url, ...attributes } = event.attributes;

    // Act
    const linked = trigger(render(event));
    const unlinked = trigger(render({ ...event, attributes }));

    // Assess
    expect(linked.links).toEqual([
      { href: 'https://dbward.example.com/requests/481', text: 'View in dbward' },
    ]);
    expect(unlinked).not.toHaveProperty('links');
  });

  it('cuts data, as JSON text, to keep the request within 512 KB', () => {
    // Prepare: data that escapes heavily and is bigger than the limit alone.
    const big = { ...event, data: { log: '"\n'.repeat(200_000), lines: ['ü'.repeat(100_000)] } };

    // Act
    const message = trigger(render(big));

    // Assess
    expect(bytes(message)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(bytes(message)).toBeGreaterThan(MAX_REQUEST_BYTES - 16);
    const data = message.payload.custom_details.data;
    expect(typeof data).toBe('string');
    expect(String(data).startsWith('{"log":"\\"\\n')).toBe(true);
    expect(String(data).endsWith('…')).toBe(true);
    expect(message.payload.custom_details.herald).toEqual({
      eventId: event.id,
      deliveryId: context.deliveryId,
      channel: context.channelId,
    });
  });

  it('cuts data first, then the text template, when the text alone is over the limit', () => {
    // Prepare
    const big = { ...event, data: { blob: 'a'.repeat(200_000) } };

    // Act
    const message = trigger(render(big, settingsOf(), { text: '{{data.blob}}{{data.blob}}{{data.blob}}' }));

    // Assess
    expect(bytes(message)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(message.payload.custom_details.data).toBe('…');
    expect(String(message.payload.custom_details.text).length).toBeGreaterThan(400_000);
    expect(String(message.payload.custom_details.text).endsWith('…')).toBe(true);
  });
});

describe('renderPagerDuty properties', () => {
  const META = [
    '&',
    '<',
    '>',
    '*',
    '_',
    '~',
    '`',
    '@',
    '#',
    '"',
    '\\',
    '\n',
    '\u2028',
    '\u0000',
    '😀',
    '👩‍👩‍👧',
    '𝒳',
  ];
  const text = (maxLength: number) =>
    fc.oneof(
      fc.string({ unit: 'grapheme', maxLength }),
      fc.string({ unit: fc.constantFrom(...META), maxLength }),
      fc.string({
        unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom(...META)),
        maxLength,
      }),
    );
  const attributeKey = fc.stringMatching(/^[a-zA-Z0-9_.-]{1,64}$/);
  const arbitraryEvent = fc.record({
    id: fc.stringMatching(/^[A-Za-z0-9_:-]{1,128}$/),
    type: fc.stringMatching(/^[a-z0-9][a-z0-9._:-]{0,127}$/),
    source: fc.stringMatching(/^[a-z0-9][a-z0-9._:-]{0,127}$/),
    time: fc.constant('2026-11-23T09:00:00Z'),
    subject: text(256).map((subject) => subject.replace(/[\r\n]/g, ' ') || 'subject'),
    severity: fc.constantFrom(...SEVERITIES),
    attributes: fc.dictionary(attributeKey, text(256), { maxKeys: 32 }),
    data: fc.option(
      fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        text(2000).map((chunk) => ({ chunk: chunk.repeat(60) })),
      ),
      { nil: undefined },
    ),
  }) as fc.Arbitrary<HeraldEvent>;
  const arbitrarySettings = fc
    .record({
      dedupKey: fc.constantFrom('id', 'attributes.alert'),
      component: fc.constantFrom(undefined, 'attributes.database', 'mysql'),
      customDetails: fc.dictionary(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,63}$/), text(1024), {
        maxKeys: 32,
      }),
    })
    .map((input) => settingsOf(JSON.parse(JSON.stringify(input))));
  const arbitraryTemplate = fc.option(
    fc.record({
      subject: fc.constantFrom('{{subject}}', '{{subject}} {{subject}} {{subject}} {{subject}} {{subject}}'),
      text: fc.constantFrom('{{data}}', '{{data}}{{data}}{{data}}', '{{#attributes}}{{.}}{{/attributes}}'),
    }),
    { nil: undefined },
  );

  it('never goes over PagerDuty limits, never splits a surrogate pair, never alters event text', () => {
    fc.assert(
      fc.property(arbitraryEvent, arbitrarySettings, arbitraryTemplate, (e, settings, template) => {
        // Act
        const message = trigger(render(e, settings, template));

        // Assess
        expect(bytes(message)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
        expect(message.payload.summary.length).toBeLessThanOrEqual(MAX_SUMMARY_CHARS);
        expect(message.payload.summary.length).toBeGreaterThan(0);
        expect(message.dedup_key.length).toBeLessThanOrEqual(MAX_DEDUP_KEY_CHARS);
        expect(message.dedup_key.length).toBeGreaterThan(0);
        for (const value of stringsIn(message)) expect(value).not.toMatch(LONE_SURROGATE);
        // Plain text, as JSON carries it: what PagerDuty shows is exactly the event's text.
        expect(stringsIn(JSON.parse(JSON.stringify(message)))).toEqual(stringsIn(message));
        if (template === undefined) expect(message.payload.summary).toBe(e.subject);
        for (const [key, value] of Object.entries(e.attributes)) {
          if (!['data', 'herald', ...Object.keys(settings.customDetails)].includes(key)) {
            expect(message.payload.custom_details[key]).toBe(value);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('keeps the request within 512 KB for data up to the envelope limit and expanding text templates', () => {
    fc.assert(
      fc.property(
        text(64).filter((chunk) => chunk.length > 0),
        fc.integer({ min: 1, max: 4096 }),
        (chunk, times) => {
          // Prepare: about 256 KiB of data, repeated by the text template.
          const blob = chunk.repeat(Math.ceil(200_000 / chunk.length / times)).repeat(times);
          const e = { ...event, data: { blob } };

          // Act
          const message = trigger(
            render(e, settingsOf(), { text: '{{data.blob}}{{data.blob}}{{data.blob}}' }),
          );

          // Assess
          expect(bytes(message)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
          for (const value of stringsIn(message.payload.custom_details))
            expect(value).not.toMatch(LONE_SURROGATE);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('pagerduty channel type', () => {
  it('applies the default settings', () => {
    expect(pagerduty.settings.parse({})).toEqual({
      severity: {},
      dedupKey: 'id',
      resolveOn: [],
      customDetails: {},
      endpoint: 'https://events.pagerduty.com/v2/enqueue',
      timeoutMs: 10_000,
    });
  });

  it('accepts its example config', () => {
    // Prepare
    const { routingKey, ...settings } = pagerduty.example;

    // Act
    const parsed = pagerduty.settings.safeParse(settings);

    // Assess
    expect(parsed.success).toBe(true);
    expect(pagerduty.secretFields.routingKey?.safeParse(routingKey).success).toBe(true);
    expect(pagerduty.check(settings)).toEqual([]);
  });

  it('takes only a 32-character alphanumeric routing key', () => {
    const schema = pagerduty.secretFields.routingKey;
    expect(schema?.safeParse(ROUTING_KEY).success).toBe(true);
    expect(schema?.safeParse('short').success).toBe(false);
    expect(schema?.safeParse(`${ROUTING_KEY}0`).success).toBe(false);
    expect(schema?.safeParse('R0UT1NGKEYTEST00000000000000004-').success).toBe(false);
  });

  it('refuses unknown settings, unknown severities and a dedupKey that is not id or attributes.<name>', () => {
    expect(pagerduty.settings.safeParse({ url: 'https://example.com' }).success).toBe(false);
    expect(pagerduty.settings.safeParse({ severity: { fatal: 'critical' } }).success).toBe(false);
    expect(pagerduty.settings.safeParse({ severity: { info: 'low' } }).success).toBe(false);
    expect(pagerduty.settings.safeParse({ dedupKey: 'subject' }).success).toBe(false);
    expect(pagerduty.settings.safeParse({ dedupKey: 'attributes.' }).success).toBe(false);
    expect(pagerduty.settings.safeParse({ customDetails: { herald: 'x' } }).success).toBe(false);
  });

  it('refuses resolveOn with dedupKey id, explaining why', () => {
    // Act
    const problems = pagerduty.check({ resolveOn: ['*.resolved'] });

    // Assess
    expect(problems).toEqual([
      { path: 'resolveOn', message: expect.stringContaining('cannot name the alert it resolves') },
    ]);
    expect(problems[0]?.message).toContain('attributes.<name>');
    expect(pagerduty.check({ resolveOn: ['*.resolved'], dedupKey: 'attributes.alert' })).toEqual([]);
    expect(pagerduty.check({})).toEqual([]);
  });

  it('lists the endpoint URL as its target', () => {
    expect(pagerduty.targets({}, { routingKey: ROUTING_KEY })).toEqual([
      { kind: 'url', path: 'config.endpoint', url: 'https://events.pagerduty.com/v2/enqueue' },
    ]);
    expect(pagerduty.targets({ endpoint: 'http://127.0.0.1:9000/v2/enqueue' }, {})).toEqual([
      { kind: 'url', path: 'config.endpoint', url: 'http://127.0.0.1:9000/v2/enqueue' },
    ]);
  });

  it('summarises the endpoint host and dedup key without the routing key', () => {
    // Act
    const summary = pagerduty.summary({ dedupKey: 'attributes.alert' }, { routingKey: ROUTING_KEY });

    // Assess
    expect(summary).toBe('events.pagerduty.com, dedup attributes.alert');
    expect(summary).not.toContain(ROUTING_KEY);
  });

  it('renders stored settings through the sealed interface and refuses an invalid routing key', () => {
    // Prepare
    const input = { event, context, settings: {}, template: undefined, now };

    // Act
    const message = pagerduty.render({ ...input, secrets: { routingKey: ROUTING_KEY } });

    // Assess
    expect(message).toMatchObject({ routing_key: ROUTING_KEY, event_action: 'trigger', dedup_key: event.id });
    expect(() => pagerduty.render({ ...input, secrets: { routingKey: 'nope' } })).toThrow();
  });
});

describe('sendPagerDuty', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('posts the event as JSON to the endpoint and classifies 202 as delivered', async () => {
    // Prepare
    server.respond = (_request, response) =>
      response
        .writeHead(202, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: event.id }));
    const message = render(event);

    // Act
    const result = await pagerduty.send(message, testTransports(true), {
      endpoint: `${server.url}/v2/enqueue`,
      timeoutMs: 5000,
    });

    // Assess
    expect(result.outcome).toEqual({ kind: 'delivered', status: 202 });
    const received = server.received.at(-1);
    expect(received?.method).toBe('POST');
    expect(received?.url).toBe('/v2/enqueue');
    expect(received?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(received?.body ?? '')).toEqual(message);
  });

  it('fails a 400 with PagerDuty status, message and first error', async () => {
    // Prepare
    const { transports } = answering({
      status: 400,
      headers: { 'content-type': 'application/json' },
      bodySnippet: JSON.stringify({
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: ["'payload.summary' is missing or blank", "'payload.source' is missing or blank"],
      }),
    });

    // Act
    const result = await sendPagerDuty(render(event), transports, sendSettings);

    // Assess
    expect(result.outcome).toEqual({
      kind: 'failed',
      status: 400,
      error:
        "receiver answered 400: invalid event: Event object is invalid: 'payload.summary' is missing or blank",
    });
  });

  it('never records the routing key, even when the receiver echoes it', async () => {
    // Prepare
    const { transports } = answering({
      status: 400,
      headers: {},
      bodySnippet: JSON.stringify({
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: [`Invalid routing key ${ROUTING_KEY}`],
      }),
    });

    // Act
    const result = await sendPagerDuty(render(event), transports, sendSettings);

    // Assess
    expect(result.outcome.kind).toBe('failed');
    const error = 'error' in result.outcome ? result.outcome.error : '';
    expect(error).not.toContain(ROUTING_KEY);
    expect(error).toContain('Invalid routing key [routing key]');
  });

  it('shows no part of an echoed routing key that straddles where the reason is cut', async () => {
    // Prepare
    const { transports } = answering({
      status: 400,
      headers: {},
      bodySnippet: `${'x'.repeat(190)}${ROUTING_KEY}`,
    });

    // Act
    const result = await sendPagerDuty(render(event), transports, sendSettings);

    // Assess
    const error = 'error' in result.outcome ? result.outcome.error : '';
    expect(error).not.toContain(ROUTING_KEY.slice(0, 8));
  });

  it('keeps the reason short when the error body is long or not JSON', async () => {
    // Prepare
    const { transports } = answering({ status: 400, headers: {}, bodySnippet: `<html>${'x'.repeat(500)}` });

    // Act
    const result = await sendPagerDuty(render(event), transports, sendSettings);

    // Assess
    expect(result.outcome).toMatchObject({ kind: 'failed', status: 400 });
    expect('error' in result.outcome && result.outcome.error.length).toBeLessThanOrEqual(250);
  });

  it('retries a 429 on the schedule, PagerDuty sending no Retry-After', async () => {
    const { transports } = answering({ status: 429, headers: {}, bodySnippet: '' });
    const result = await sendPagerDuty(render(event), transports, sendSettings);
    expect(result.outcome).toEqual({ kind: 'retry', status: 429, error: 'receiver answered 429' });
  });

  it('retries a 429 after its Retry-After when one comes', async () => {
    const { transports } = answering({ status: 429, headers: { 'retry-after': '30' }, bodySnippet: '' });
    const result = await sendPagerDuty(render(event), transports, sendSettings);
    expect(result.outcome).toMatchObject({ kind: 'retry', status: 429, retryAfterSeconds: 30 });
  });

  it('retries a 5xx with what PagerDuty said', async () => {
    // Prepare
    const { transports } = answering({
      status: 503,
      headers: {},
      bodySnippet: JSON.stringify({ status: 'unavailable', message: 'Service temporarily unavailable' }),
    });

    // Act
    const result = await sendPagerDuty(render(event), transports, sendSettings);

    // Assess
    expect(result.outcome).toEqual({
      kind: 'retry',
      status: 503,
      error: 'receiver answered 503: unavailable: Service temporarily unavailable',
    });
  });

  it('fails a 404 and says the endpoint is wrong', async () => {
    const { transports } = answering({ status: 404, headers: {}, bodySnippet: '' });
    const result = await sendPagerDuty(render(event), transports, sendSettings);
    expect(result.outcome).toEqual({
      kind: 'failed',
      status: 404,
      error: 'receiver answered 404 (is endpoint an Events API v2 enqueue URL?)',
    });
  });

  it('classifies a 410 as gone, so the channel gets disabled', async () => {
    const { transports } = answering({ status: 410, headers: {}, bodySnippet: '' });
    const result = await sendPagerDuty(render(event), transports, sendSettings);
    expect(result.outcome).toMatchObject({ kind: 'gone', status: 410 });
  });

  it('retries a timeout instead of throwing', async () => {
    // Prepare
    const transports: Pick<Transports, 'http'> = {
      http: async () => {
        throw new RequestTimeoutError('no response within 5000 ms');
      },
    };

    // Act
    const result = await sendPagerDuty(render(event), transports, sendSettings);

    // Assess
    expect(result.outcome).toMatchObject({ kind: 'retry', error: expect.stringMatching(/^timeout/) });
  });

  it('keeps the routing key out of the request URL and headers', async () => {
    // Prepare
    const { requests, transports } = answering({ status: 202, headers: {}, bodySnippet: '' });

    // Act
    await sendPagerDuty(render(event), transports, sendSettings);

    // Assess
    const [request] = requests;
    expect(request?.url).toBe(PAGERDUTY_EVENTS_URL);
    expect(JSON.stringify(request?.headers)).not.toContain(ROUTING_KEY);
    expect(request?.timeoutMs).toBe(5000);
  });
});
