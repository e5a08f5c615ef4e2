import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTENT_LIMIT,
  type DiscordMessage,
  type DiscordSecret,
  type DiscordSettings,
  discord,
  EMBED_LIMITS,
  embedLength,
  escapeMarkdown,
  renderDiscord,
  sendDiscord,
  waitUrl,
} from '#shared/channels/discord/index.ts';
import type { StoredTemplate } from '#shared/channels/record.ts';
import { ELLIPSIS, oneLine } from '#shared/channels/text.ts';
import type { DeliveryContext } from '#shared/channels/types.ts';
import { HeraldEvent, SEVERITIES, type Severity } from '#shared/domain/event.ts';
import { RequestTimeoutError, type SafeRequest, type SafeResponse } from '#shared/http/safe-request.ts';
import { type LocalServer, startLocalServer, testTransports } from '../support.ts';

const USER = '123456789012345678';
const ROLE = '234567890123456789';
const ONCALL_ROLE = '345678901234567890';
const WEBHOOK_URL = 'https://discord.com/api/webhooks/1234567890123456789/secret-webhook-token';

const event: HeraldEvent = {
  id: '01JDBWARD0000000000000042',
  type: 'request_created',
  source: 'dbward',
  time: '2026-11-23T09:00:00Z',
  subject: 'Break-glass access used on app/production',
  severity: 'critical',
  attributes: { database: 'app', environment: 'production', requested_by: 'alice' },
  data: {
    url: 'https://dbward.example.com/requests/42',
    reason: 'INC-1234: replica lag',
    durationMinutes: 30,
  },
};
const context: DeliveryContext = {
  deliveryId: 'msg_abc',
  attempt: 1,
  channelId: 'ops-discord',
  policyIds: ['prod-ops'],
};
const settings: DiscordSettings = {
  mentions: {
    critical: { users: [USER], roles: [ROLE] },
    error: { users: [], roles: [ONCALL_ROLE] },
  },
  timeoutMs: 5000,
};
const secrets: DiscordSecret = { webhookUrl: WEBHOOK_URL };
const now = new Date('2026-11-23T09:00:01Z');

const render = (
  e: HeraldEvent,
  options: { settings?: DiscordSettings; template?: StoredTemplate; webhookUrl?: string } = {},
): DiscordMessage =>
  renderDiscord({
    event: e,
    context,
    settings: options.settings ?? settings,
    secrets: { webhookUrl: options.webhookUrl ?? WEBHOOK_URL },
    template: options.template,
    now,
  });

const embedOf = (message: DiscordMessage) => {
  const [embed] = message.payload.embeds ?? [];
  if (embed === undefined) throw new Error('the message has no embed');
  return embed;
};

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MARKDOWN = new Set(['\\', '*', '_', '~', '`', '|', '>', '#', '-', '[', ']', '<']);

/** A URL Discord links by itself: `_`, `-` and `#` in it are part of the link. */
const LINKED_URL = /(?<!\S)https?:\/\/[^\s<>]+/g;

/** Whether any markdown character in the text goes without its backslash (outside what a URL may keep). */
const hasUnescapedMarkdown = (escaped: string): boolean => {
  const text = escaped.replace(LINKED_URL, (url) => url.replace(/[_#-]/g, ''));
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] ?? '';
    if (char === '\\') {
      i += 1;
    } else if (MARKDOWN.has(char)) {
      return true;
    }
  }
  return false;
};

/** What a reader sees of escaped text: backslashes and the zero-width spaces after `@` gone. */
const shown = (text: string): string =>
  text.replace(/\\([^A-Za-z0-9\s])/g, '$1').replace(/@\u200b(everyone|here)/gi, '@$1');

describe('renderDiscord golden files', () => {
  it.each(SEVERITIES)('renders a %s event as a native Discord embed', async (severity) => {
    // Act
    const message = render({ ...event, severity });

    // Assess
    await expect(`${JSON.stringify(message, null, 2)}\n`).toMatchFileSnapshot(
      `../../fixtures/channels/discord/${severity}.json`,
    );
  });
});

describe('renderDiscord', () => {
  it('pings only the users and roles configured for the severity, and allows no other mention', () => {
    // Act
    const critical = render(event).payload;
    const error = render({ ...event, severity: 'error' }).payload;
    const info = render({ ...event, severity: 'info' }).payload;

    // Assess
    expect(critical.content).toBe(`<@${USER}> <@&${ROLE}>`);
    expect(critical.allowed_mentions).toEqual({ parse: [], users: [USER], roles: [ROLE] });
    expect(error.content).toBe(`<@&${ONCALL_ROLE}>`);
    expect(error.allowed_mentions).toEqual({ parse: [], users: [], roles: [ONCALL_ROLE] });
    expect(info.content).toBeUndefined();
    expect(info.allowed_mentions).toEqual({ parse: [], users: [], roles: [] });
  });

  it('colours the embed by severity', () => {
    const colors = SEVERITIES.map((severity) => embedOf(render({ ...event, severity })).color);
    expect(colors).toEqual([0x2f80ed, 0xf2a900, 0xe5484d, 0x8b0000]);
  });

  it('links the title to the event link and stamps it with the event time', () => {
    // Act
    const embed = embedOf(render({ ...event, time: '2026-11-23T10:00:00+01:00' }));

    // Assess
    expect(embed.url).toBe('https://dbward.example.com/requests/42');
    expect(embed.timestamp).toBe('2026-11-23T09:00:00.000Z');
    expect(embed.footer?.text).toBe('dbward · request_created · critical');
  });

  it('escapes markdown, masked links and mentions in event text so they show literally', () => {
    // Prepare
    const hostile: HeraldEvent = {
      ...event,
      subject: '**bold** [click](https://evil.example) @everyone <@111111111111111111> ||spoiler||',
      attributes: { 'x_y-z': '# heading\n> quote `code` ~~gone~~ @here' },
    };

    // Act
    const message = render(hostile);
    const embed = embedOf(message);

    // Assess
    expect(embed.title).toBe(
      '\\*\\*bold\\*\\* \\[click\\](https://evil.example) @\u200beveryone \\<@111111111111111111\\> \\|\\|spoiler\\|\\|',
    );
    expect(embed.fields?.[0]).toEqual({
      name: 'x\\_y\\-z',
      value: '\\# heading\n\\> quote \\`code\\` \\~\\~gone\\~\\~ @\u200bhere',
      inline: true,
    });
    expect(JSON.stringify(message)).not.toMatch(/@(everyone|here)/);
    expect(message.payload.allowed_mentions?.parse).toEqual([]);
  });

  it('leaves links in event text clickable: no backslash inside a URL before _ - or #', () => {
    // Act
    const embed = embedOf(
      render({ ...event, attributes: { runbook: 'see https://wiki.example.com/run_book-v2#step_3 *now*' } }),
    );

    // Assess
    expect(embed.fields?.[0]?.value).toBe('see https://wiki.example.com/run_book-v2#step_3 \\*now\\*');
    expect(escapeMarkdown('x_https://a.example/b_c')).toBe('x\\_https://a.example/b\\_c');
    expect(escapeMarkdown('https://a.example/b*c|d')).toBe('https://a.example/b\\*c\\|d');
  });

  it('keeps the data excerpt inside its code block even when data holds backtick fences', () => {
    // Act
    const embed = embedOf(render({ ...event, data: { note: '```\n@everyone **escaped**\n```' } }));

    // Assess
    const description = embed.description ?? '';
    expect(description.startsWith('```json\n')).toBe(true);
    expect(description.endsWith('\n```')).toBe(true);
    expect(description.slice(3, -3)).not.toContain('```');
    expect(description).not.toContain('@everyone');
  });

  it('leaves the description out when the event has no data', () => {
    const { data: _data, ...withoutData } = event;
    expect(embedOf(render(withoutData)).description).toBeUndefined();
  });

  it('shows an empty attribute value as a placeholder, since Discord refuses empty field values', () => {
    const embed = embedOf(render({ ...event, attributes: { ticket: '' } }));
    expect(embed.fields).toEqual([{ name: 'ticket', value: '*(empty)*', inline: true }]);
  });

  it('shows 24 attributes as fields and sums up the rest in a 25th field', () => {
    // Prepare
    const attributes = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`key${i}`, `value ${i}`]));

    // Act
    const fields = embedOf(render({ ...event, attributes })).fields ?? [];

    // Assess
    expect(fields).toHaveLength(EMBED_LIMITS.fields);
    expect(fields[23]).toEqual({ name: 'key23', value: 'value 23', inline: true });
    expect(fields[24]).toEqual({
      name: 'and 6 more',
      value:
        'key24: value 24\nkey25: value 25\nkey26: value 26\nkey27: value 27\nkey28: value 28\nkey29: value 29',
      inline: false,
    });
  });

  it('shrinks the description, then moves attributes into the last field, to stay within 6000 characters', () => {
    // Prepare: 32 attributes whose values double when escaped, and a large data object.
    const attributes = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, '*'.repeat(256)]));
    const big: HeraldEvent = {
      ...event,
      subject: '_'.repeat(256),
      attributes,
      data: { blob: 'x'.repeat(9000) },
    };

    // Act
    const embed = embedOf(render(big));

    // Assess: the description keeps only what one more field would not fit in.
    expect(embedLength(embed)).toBeLessThanOrEqual(EMBED_LIMITS.total);
    const oneField = 'k10'.length + 2 * 256;
    expect(embed.description?.length ?? 0).toBeLessThan(oneField);
    const fields = embed.fields ?? [];
    expect(fields.length).toBeLessThan(EMBED_LIMITS.fields);
    expect(fields.at(-1)?.name).toBe(`and ${32 - (fields.length - 1)} more`);
  });

  it('cuts the data excerpt to the room left and still closes the code block', () => {
    const embed = embedOf(render({ ...event, data: { blob: 'y'.repeat(10_000) } }));
    expect(embed.description?.length).toBeLessThanOrEqual(EMBED_LIMITS.description);
    expect(embed.description?.endsWith(`${ELLIPSIS}\n\`\`\``)).toBe(true);
  });

  it('uses the subject and text templates, escaped like event text', () => {
    // Prepare
    const template = {
      subject: '[{{severity}}] {{subject}} in {{attributes.environment}}',
      text: 'Requested by *{{attributes.requested_by}}*\nDelivery {{herald.deliveryId}}',
    };

    // Act
    const embed = embedOf(render(event, { template }));

    // Assess
    expect(embed.title).toBe('\\[critical\\] Break\\-glass access used on app/production in production');
    expect(embed.description).toBe('Requested by \\*alice\\*\nDelivery msg\\_abc');
  });

  it('falls back to the event subject when the subject template renders empty', () => {
    const embed = embedOf(render(event, { template: { subject: '{{attributes.missing}}' } }));
    expect(embed.title).toBe('Break\\-glass access used on app/production');
  });

  it('shows a subject with a line separator in it on one line', () => {
    const title = embedOf(render({ ...event, subject: 'disk\u2028full' })).title;
    expect(title).toBe('disk full');
  });

  it('sets the configured username', () => {
    const message = render(event, { settings: { ...settings, username: 'Herald alerts' } });
    expect(message.payload.username).toBe('Herald alerts');
  });

  it('posts to the webhook URL with wait=true, keeping a query the URL already has', () => {
    expect(render(event).url).toBe(`${WEBHOOK_URL}?wait=true`);
    expect(waitUrl(`${WEBHOOK_URL}?thread_id=1234567890123456789`)).toBe(
      `${WEBHOOK_URL}?thread_id=1234567890123456789&wait=true`,
    );
    expect(waitUrl(`${WEBHOOK_URL}?wait=false`)).toBe(`${WEBHOOK_URL}?wait=true`);
  });
});

describe('renderDiscord properties', () => {
  const markup = fc.constantFrom('&', '<', '>', '*', '_', '~', '`', '\\', '@', '#', '|', '[', ']', '-', '\n');
  /** Unicode text (astral characters, emoji) mixed with every character markdown or HTML gives a meaning. */
  const text = (maxLength: number) =>
    fc
      .array(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 4 }),
          fc.string({ unit: 'binary', maxLength: 4 }),
          markup,
          fc.constantFrom(
            '@everyone',
            '@here',
            '😀',
            '👩‍👩‍👧',
            '```',
            '[a](https://x.example)',
            ' https://x.example/a_b#c-d',
          ),
        ),
        { maxLength },
      )
      .map((parts) => parts.join('').slice(0, maxLength))
      // Slicing may leave half a surrogate pair; the envelope would not hold one.
      .map((value) => value.replace(LONE_SURROGATE, ''));
  const attributeKey = fc.stringMatching(/^[a-zA-Z0-9_.-]{1,64}$/);
  const anEvent = fc.record({
    id: fc.constant('evt-1'),
    type: fc.stringMatching(/^[a-z0-9][a-z0-9._:-]{0,127}$/),
    source: fc.stringMatching(/^[a-z0-9][a-z0-9._:-]{0,127}$/),
    time: fc.constant('2026-11-23T09:00:00Z'),
    subject: text(256).map((subject) => subject.replace(/[\r\n]/g, ' ')),
    severity: fc.constantFrom<Severity>(...SEVERITIES),
    attributes: fc.dictionary(attributeKey, text(256), { maxKeys: 32 }),
    data: fc.option(
      fc
        .oneof(
          fc.jsonValue({ maxDepth: 3 }),
          text(300).map((blob) => ({ blob: blob.repeat(40) })),
        )
        // As the envelope's schema reads it.
        .map((value) => HeraldEvent.shape.data.parse(value)),
      { nil: undefined },
    ),
  });
  const mentions = fc.record({
    users: fc.array(fc.stringMatching(/^\d{17,20}$/), { maxLength: 25 }),
    roles: fc.array(fc.stringMatching(/^\d{17,20}$/), { maxLength: 25 }),
  });
  const aTemplate = fc.option(fc.record({ subject: text(300), text: text(5000) }, { requiredKeys: [] }), {
    nil: undefined,
  });

  it('never goes over a Discord limit', () => {
    fc.assert(
      fc.property(anEvent, mentions, aTemplate, (e, m, template) => {
        // Act
        const message = render(e, {
          settings: { mentions: { [e.severity]: m }, timeoutMs: 5000 },
          template,
        });

        // Assess
        const embed = embedOf(message);
        expect(message.payload.embeds).toHaveLength(1);
        expect(message.payload.content?.length ?? 0).toBeLessThanOrEqual(CONTENT_LIMIT);
        expect(embed.title?.length).toBeLessThanOrEqual(EMBED_LIMITS.title);
        expect(embed.title?.length).toBeGreaterThan(0);
        expect(embed.description?.length ?? 0).toBeLessThanOrEqual(EMBED_LIMITS.description);
        expect(embed.footer?.text.length).toBeLessThanOrEqual(EMBED_LIMITS.footer);
        expect(embed.fields?.length ?? 0).toBeLessThanOrEqual(EMBED_LIMITS.fields);
        for (const field of embed.fields ?? []) {
          expect(field.name.length).toBeGreaterThan(0);
          expect(field.name.length).toBeLessThanOrEqual(EMBED_LIMITS.fieldName);
          expect(field.value.length).toBeGreaterThan(0);
          expect(field.value.length).toBeLessThanOrEqual(EMBED_LIMITS.fieldValue);
        }
        expect(embedLength(embed)).toBeLessThanOrEqual(EMBED_LIMITS.total);
      }),
      { numRuns: 200 },
    );
  });

  it('never lets event text format, link, ping or split a surrogate pair', () => {
    fc.assert(
      fc.property(anEvent, aTemplate, (e, template) => {
        // Act
        const message = render(e, { template });

        // Assess
        const embed = embedOf(message);
        const texts = [
          embed.title ?? '',
          ...(embed.fields ?? []).flatMap((field) => [field.name, field.value]),
        ];
        for (const value of texts) {
          expect(hasUnescapedMarkdown(value.replace(/^\*\(empty\)\*$/, ''))).toBe(false);
        }
        const description = embed.description ?? '';
        if (template?.text === undefined && description !== '') {
          expect(description.slice(3, -3)).not.toContain('```');
        } else {
          expect(hasUnescapedMarkdown(description)).toBe(false);
        }
        for (const value of [
          ...texts,
          description,
          embed.footer?.text ?? '',
          message.payload.content ?? '',
        ]) {
          expect(value).not.toMatch(LONE_SURROGATE);
          expect(value).not.toMatch(/@(everyone|here)/i);
        }
        expect(message.payload.content ?? '').toMatch(/^(<@&?\d{17,20}>( (?=<)|$))*$/);
        expect(message.payload.allowed_mentions?.parse).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('shows the subject as it was sent, up to the cut', () => {
    fc.assert(
      fc.property(anEvent, (e) => {
        // Act
        const title = embedOf(render(e)).title ?? '';

        // Assess
        const expected = oneLine(e.subject).trim() || e.type;
        const cut = title.endsWith(ELLIPSIS) ? title.slice(0, -ELLIPSIS.length) : title;
        expect(expected.startsWith(shown(cut).replace(/\\$/, ''))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('escapes text so that a reader sees it unchanged', () => {
    fc.assert(
      fc.property(text(256), (value) => {
        expect(shown(escapeMarkdown(value))).toBe(value);
      }),
    );
  });
});

/** Sends a rendered message through a stub that records the request and gives the answer. */
const sendThrough = async (answer: SafeResponse | Error, message = render(event)) => {
  const requests: SafeRequest[] = [];
  const result = await sendDiscord(
    message,
    {
      http: async (request) => {
        requests.push(request);
        if (answer instanceof Error) throw answer;
        return answer;
      },
    },
    { timeoutMs: 5000 },
  );
  return { outcome: result.outcome, request: requests[0] };
};

const answer = (status: number, body: unknown = '', headers: SafeResponse['headers'] = {}): SafeResponse => ({
  status,
  headers,
  bodySnippet: typeof body === 'string' ? body : JSON.stringify(body),
});

describe('sendDiscord', () => {
  it('posts the payload as JSON to the wait URL with the channel timeout', async () => {
    // Act
    const { outcome, request } = await sendThrough(answer(200, { id: '1', type: 0 }));

    // Assess
    expect(outcome).toEqual({ kind: 'delivered', status: 200 });
    expect(request).toMatchObject({
      url: `${WEBHOOK_URL}?wait=true`,
      method: 'POST',
      timeoutMs: 5000,
      headers: { 'content-type': 'application/json' },
    });
    expect(JSON.parse(request?.body ?? '')).toEqual(render(event).payload);
  });

  it('classifies a 204 as delivered', async () => {
    const { outcome } = await sendThrough(answer(204));
    expect(outcome).toEqual({ kind: 'delivered', status: 204 });
  });

  it('retries a 429 after the larger of retry_after and Retry-After, rounded up', async () => {
    // Act
    const { outcome } = await sendThrough(
      answer(
        429,
        { message: 'You are being rate limited.', retry_after: 1.234, global: false },
        { 'retry-after': '1' },
      ),
    );

    // Assess
    expect(outcome).toEqual({
      kind: 'retry',
      status: 429,
      retryAfterSeconds: 2,
      error: 'receiver answered 429: You are being rate limited.',
    });
  });

  it('retries a global 429 with the Retry-After header when it is the larger', async () => {
    const { outcome } = await sendThrough(
      answer(
        429,
        { message: 'You are being rate limited.', retry_after: 0.5, global: true },
        { 'retry-after': '7' },
      ),
    );
    expect(outcome).toMatchObject({
      kind: 'retry',
      retryAfterSeconds: 7,
      error: expect.stringContaining('global rate limit'),
    });
  });

  it('retries a 429 whose body is not JSON using Retry-After', async () => {
    const { outcome } = await sendThrough(answer(429, '<html>slow down</html>', { 'retry-after': '30' }));
    expect(outcome).toMatchObject({ kind: 'retry', status: 429, retryAfterSeconds: 30 });
  });

  it('marks a deleted webhook (404, code 10015) as gone', async () => {
    const { outcome } = await sendThrough(answer(404, { message: 'Unknown Webhook', code: 10015 }));
    expect(outcome).toEqual({
      kind: 'gone',
      status: 404,
      error: 'Discord answered 404: Unknown Webhook (code 10015): the webhook was deleted',
    });
  });

  it('fails a 404 that is not an unknown webhook', async () => {
    const { outcome } = await sendThrough(answer(404, '404: Not Found'));
    expect(outcome).toEqual({ kind: 'failed', status: 404, error: 'receiver answered 404: 404: Not Found' });
  });

  it('fails an invalid webhook token (401) with Discord’s words', async () => {
    const { outcome } = await sendThrough(answer(401, { message: 'Invalid Webhook Token', code: 50027 }));
    expect(outcome).toEqual({
      kind: 'failed',
      status: 401,
      error: 'receiver answered 401: Invalid Webhook Token (code 50027)',
    });
  });

  it('fails an invalid form body (400) with the code, message and first field problem, kept short', async () => {
    // Prepare
    const body = {
      code: 50035,
      errors: {
        embeds: {
          '0': {
            description: {
              _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 4096 or fewer in length.' }],
            },
          },
        },
      },
      message: 'Invalid Form Body',
    };

    // Act
    const { outcome } = await sendThrough(answer(400, body));

    // Assess
    expect(outcome).toEqual({
      kind: 'failed',
      status: 400,
      error:
        'receiver answered 400: Invalid Form Body (code 50035; embeds.0.description: Must be 4096 or fewer in length.)',
    });
  });

  it('reads the code and message of an error body cut short, and never quotes more than 200 characters of it', async () => {
    // Prepare: the transport keeps only the first bytes of the body.
    const body = JSON.stringify({
      code: 50035,
      message: 'Invalid Form Body',
      errors: { content: { _errors: [{ code: 'X', message: 'z'.repeat(1000) }] } },
    }).slice(0, 512);

    // Act
    const { outcome } = await sendThrough(answer(400, body));

    // Assess
    expect(outcome).toMatchObject({ kind: 'failed', status: 400 });
    const error = 'error' in outcome ? outcome.error : '';
    expect(error).toContain('Invalid Form Body (code 50035)');
    expect(error.length).toBeLessThanOrEqual('receiver answered 400: '.length + 200);
  });

  it.each([500, 502, 503])('retries a %i', async (status) => {
    const { outcome } = await sendThrough(answer(status, { message: 'Internal Server Error', code: 0 }));
    expect(outcome).toMatchObject({ kind: 'retry', status });
  });

  it('retries a timeout instead of throwing', async () => {
    const { outcome } = await sendThrough(new RequestTimeoutError('no response within 5000 ms'));
    expect(outcome).toMatchObject({ kind: 'retry', error: expect.stringMatching(/^timeout/) });
  });

  it('never puts the webhook token in a reason', async () => {
    const results = await Promise.all(
      [
        answer(400, { code: 50035, message: 'Invalid Form Body' }),
        answer(404, { code: 10015 }),
        answer(500),
      ].map((response) => sendThrough(response)),
    );
    for (const { outcome } of results) expect(JSON.stringify(outcome)).not.toContain('secret-webhook-token');
  });
});

describe('sendDiscord over HTTP', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('delivers the embed to a local receiver through the real client', async () => {
    // Prepare
    server.respond = (_request, response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"1"}');
    const message = render(event, { webhookUrl: `${server.url}/api/webhooks/1/token` });

    // Act
    const result = await sendDiscord(message, testTransports(true), { timeoutMs: 5000 });

    // Assess
    expect(result.outcome).toEqual({ kind: 'delivered', status: 200 });
    const received = server.received.at(-1);
    expect(received?.url).toBe('/api/webhooks/1/token?wait=true');
    expect(JSON.parse(received?.body ?? '')).toEqual(message.payload);
  });
});

describe('discord channel type', () => {
  it('fills settings defaults', () => {
    expect(discord.settings.parse({})).toEqual({ mentions: {}, timeoutMs: 10_000 });
    expect(discord.settings.parse({ mentions: { critical: { users: [USER] } } })).toEqual({
      mentions: { critical: { users: [USER], roles: [] } },
      timeoutMs: 10_000,
    });
  });

  it('accepts its own example', () => {
    const { webhookUrl, ...rest } = discord.example;
    expect(discord.settings.safeParse(rest).success).toBe(true);
    expect(discord.secretFields.webhookUrl?.safeParse(webhookUrl).success).toBe(true);
  });

  it.each([
    ['an id that is not a snowflake', { mentions: { critical: { users: ['alice'] } } }],
    ['a severity that does not exist', { mentions: { fatal: { users: [USER] } } }],
    ['an unknown field', { channel: '#ops' }],
    ['a username with "Discord" in it', { username: 'Discord Alerts' }],
    ['a username with "clyde" in it', { username: 'clyde-bot' }],
    ['a username over 80 characters', { username: 'h'.repeat(81) }],
    ['more than 25 users for one severity', { mentions: { error: { users: Array(26).fill(USER) } } }],
  ])('refuses %s', (_what, config) => {
    expect(discord.settings.safeParse(config).success).toBe(false);
  });

  it('refuses a webhook URL that is not http(s)', () => {
    expect(discord.secretFields.webhookUrl?.safeParse('ftp://discord.com/api/webhooks/1/t').success).toBe(
      false,
    );
  });

  it('lists the webhook URL as its target, with its field path', () => {
    expect(discord.targets({}, { webhookUrl: WEBHOOK_URL })).toEqual([
      { kind: 'url', path: 'config.webhookUrl', url: WEBHOOK_URL },
    ]);
    expect(discord.targets({}, {})).toEqual([]);
  });

  it('summarises the target as the host, never the path that holds the token', () => {
    expect(discord.summary({}, { webhookUrl: WEBHOOK_URL })).toBe('discord.com');
    expect(discord.summary({}, {})).not.toContain('token');
  });

  it('templates the subject and text only', () => {
    expect(discord.templateParts).toEqual(['subject', 'text']);
  });

  it('renders and sends through the sealed interface', async () => {
    // Prepare
    const requests: SafeRequest[] = [];
    const transports = {
      ...testTransports(false),
      http: async (request: SafeRequest) => {
        requests.push(request);
        return answer(204);
      },
    };

    // Act
    const message = discord.render({
      event,
      context,
      settings: { mentions: { critical: { roles: [ROLE] } }, timeoutMs: 2000 },
      secrets,
      template: undefined,
      now,
    });
    const result = await discord.send(message, transports, { timeoutMs: 2000 });

    // Assess
    expect(result.outcome).toEqual({ kind: 'delivered', status: 204 });
    expect(requests[0]?.timeoutMs).toBe(2000);
    expect(JSON.parse(requests[0]?.body ?? '')).toMatchObject({
      content: `<@&${ROLE}>`,
      allowed_mentions: { parse: [], users: [], roles: [ROLE] },
    });
  });

  it('refuses to render with a secret that is not a URL', () => {
    expect(() =>
      discord.render({
        event,
        context,
        settings: {},
        secrets: { webhookUrl: 'nope' },
        template: undefined,
        now,
      }),
    ).toThrow();
  });
});
