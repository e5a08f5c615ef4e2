import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  escapeMrkdwn,
  mrkdwnText,
  refineSlackOutcome,
  renderSlack,
  SLACK_LIMITS,
  type SlackMessage,
  type SlackSettings,
  sendSlack,
  slack,
} from '#shared/channels/slack/index.ts';
import type { DeliveryContext } from '#shared/channels/types.ts';
import { type HeraldEvent, SEVERITIES } from '#shared/domain/event.ts';
import { RequestTimeoutError, type SafeRequest, type SafeResponse } from '#shared/http/safe-request.ts';
import { type LocalServer, startLocalServer, testTransports } from '../support.ts';

const WEBHOOK_URL = 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';
const NOW = new Date('2026-11-23T09:00:05Z');

const event: HeraldEvent = {
  id: 'evt-1',
  type: 'request_created',
  source: 'dbward',
  time: '2026-11-23T09:00:00Z',
  subject: 'Break-glass access used on app/production',
  severity: 'critical',
  attributes: {
    database: 'app',
    environment: 'production',
    requester: 'alice <alice@example.com>',
    url: 'https://dbward.example.com/requests/42',
  },
  data: { requestedBy: 'alice', reason: 'Incident INC-7 & rollback', tables: ['orders', 'payments'] },
};
const { data: _data, ...withoutData } = event;
const context: DeliveryContext = {
  deliveryId: 'msg_abc',
  attempt: 1,
  channelId: 'ops-slack',
  policyIds: ['prod-ops'],
};
const settings: SlackSettings = {
  mentions: { critical: ['<!subteam^S0123ABCD>', '<!here>'], error: ['<@U0123ABCD>'] },
  prefix: '[prod]',
  timeoutMs: 5000,
};

const render = (
  e: HeraldEvent,
  s: SlackSettings = settings,
  template: { subject?: string; text?: string } | undefined = undefined,
): SlackMessage =>
  renderSlack({ event: e, context, settings: s, secrets: { webhookUrl: WEBHOOK_URL }, template, now: NOW });

/** A transport that answers every request with `response` and keeps what it was sent. */
const answering = (response: SafeResponse) => {
  const sent: SafeRequest[] = [];
  return {
    sent,
    transports: {
      http: async (request: SafeRequest) => {
        sent.push(request);
        return response;
      },
    },
  };
};

interface TextObject {
  readonly type: string;
  readonly text: string;
  readonly verbatim?: boolean;
}
interface AnyBlock {
  readonly type: string;
  readonly text?: TextObject;
  readonly fields?: TextObject[];
  readonly elements?: (TextObject & { url?: string; text: TextObject | string })[];
}

/** Every block of a message, top level and attachment. */
const blocksOf = (message: SlackMessage): AnyBlock[] => [
  ...(message.payload.blocks as AnyBlock[]),
  ...message.payload.attachments.flatMap((attachment) => attachment.blocks as AnyBlock[]),
];

/** Every mrkdwn text built from event data (the mention section is configuration). */
const eventMrkdwnTexts = (message: SlackMessage): string[] =>
  blocksOf(message).flatMap((block) => {
    const texts: TextObject[] = [
      ...(block.text === undefined ? [] : [block.text]),
      ...(block.fields ?? []),
      ...(block.type === 'context' ? ((block.elements ?? []) as TextObject[]) : []),
    ];
    return texts.filter((text) => text.type === 'mrkdwn' && text.verbatim === true).map((text) => text.text);
  });

/** Every string in a value. */
const strings = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : typeof value === 'object' && value !== null
      ? Object.values(value).flatMap(strings)
      : [];

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const DATE_TOKEN = /<!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^<>|]*>/g;
/** An `&` that does not start one of the three entities Slack knows. */
const BARE_AMPERSAND = /&(?!amp;|lt;|gt;)/;

/** Fails when escaped text still holds a control character of its own (a mention, a link, an entity). */
const expectEscaped = (text: string) => {
  const outside = text.replace(DATE_TOKEN, '');
  expect(outside).not.toMatch(/[<>]/);
  expect(outside).not.toMatch(BARE_AMPERSAND);
};

/** Fails when a message breaks one of Slack's documented limits. */
const expectWithinLimits = (message: SlackMessage) => {
  const blocks = blocksOf(message);
  expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  expect(message.payload.text.length).toBeGreaterThan(0);
  expect(message.payload.text.length).toBeLessThanOrEqual(SLACK_LIMITS.text);
  for (const block of blocks) {
    if (block.type === 'header') {
      expect(block.text?.text.trim().length).toBeGreaterThan(0);
      expect(block.text?.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    }
    if (block.type === 'section') {
      if (block.text !== undefined) {
        expect(block.text.text.length).toBeGreaterThan(0);
        expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      }
      expect(block.fields?.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.fieldsPerSection);
      for (const field of block.fields ?? []) {
        expect(field.text.length).toBeGreaterThan(0);
        expect(field.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
      }
    }
    if (block.type === 'context') {
      expect(block.elements?.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
    }
    if (block.type === 'actions') {
      for (const button of block.elements ?? []) {
        const label = button.text as TextObject;
        expect(label.text.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonText);
        expect(button.url?.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonUrl);
      }
    }
  }
  for (const text of strings(message)) expect(text).not.toMatch(LONE_SURROGATE);
};

describe('renderSlack', () => {
  it.each(SEVERITIES)('renders a %s event as the golden Block Kit message', async (severity) => {
    // Act
    const message = render({ ...event, severity });

    // Assess
    await expect(`${JSON.stringify(message, null, 2)}\n`).toMatchFileSnapshot(
      `../../fixtures/channels/slack/${severity}.json`,
    );
  });

  it('puts the severity colour on the attachment bar', () => {
    expect(render({ ...event, severity: 'warning' }).payload.attachments[0].color).toBe('#F2A900');
  });

  it('mentions only who is configured for the event severity, in the blocks and the notification text', () => {
    // Act
    const critical = render(event);
    const info = render({ ...event, severity: 'info' });

    // Assess
    expect(critical.payload.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '<!subteam^S0123ABCD> <!here>' },
    });
    expect(critical.payload.text).toBe(
      '<!subteam^S0123ABCD> <!here> [prod] Break-glass access used on app/production',
    );
    expect(info.payload.blocks).toHaveLength(1);
    expect(info.payload.text).toBe('[prod] Break-glass access used on app/production');
  });

  it('escapes mention and link syntax in event text so it cannot ping or link', () => {
    // Prepare
    const hostile: HeraldEvent = {
      ...event,
      subject: '<!channel> deploy <https://evil.example|click> & more',
      attributes: { note: '<@U999> <!everyone> &amp;' },
      data: { text: '<!here>' },
    };

    // Act
    const message = render(hostile, { ...settings, mentions: {} });

    // Assess
    expect(message.payload.text).toBe(
      '[prod] &lt;!channel&gt; deploy &lt;https://evil.example|click&gt; &amp; more',
    );
    // The header is plain_text, which Slack shows as it is: only mrkdwn could ping or link.
    const json = JSON.stringify([message.payload.text, message.payload.attachments]);
    expect(json).not.toContain('<!channel>');
    expect(json).not.toContain('<@U999>');
    expect(json).not.toContain('<!everyone>');
    expect(json).not.toContain('<!here>');
    expect(json).toContain('&amp;amp;');
    for (const text of eventMrkdwnTexts(message)) expectEscaped(text);
  });

  it('keeps the subject as plain text in the header, where Slack parses nothing', () => {
    const message = render({ ...event, subject: 'a < b & c' });
    expect(message.payload.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '[prod] a < b & c' },
    });
  });

  it('marks every mrkdwn text from event data verbatim, so Slack does not link bare URLs or names', () => {
    // Act
    const message = render(event);

    // Assess
    const details = message.payload.attachments[0].blocks as AnyBlock[];
    const texts = details.flatMap((block) => [
      ...(block.text === undefined ? [] : [block.text]),
      ...(block.fields ?? []),
      ...(block.type === 'context' ? ((block.elements ?? []) as TextObject[]) : []),
    ]);
    expect(texts.length).toBeGreaterThan(0);
    for (const text of texts) expect(text.verbatim).toBe(true);
  });

  it('shows the time as a Slack date token with a UTC fallback', () => {
    const message = render(event);
    expect(JSON.stringify(message)).toContain(
      '<!date^1795424400^{date_short_pretty} at {time}|2026-11-23 09:00 UTC>',
    );
  });

  it('shows an unreadable time as escaped text instead of a date token', () => {
    const message = render({ ...event, time: 'yesterday <3' });
    expect(JSON.stringify(message)).toContain('yesterday &lt;3');
    expect(JSON.stringify(message)).not.toContain('<!date^');
  });

  it('adds a button to the event link, and none when the event has no link', () => {
    // Act
    const linked = render(event);
    const unlinked = render({ ...event, attributes: { database: 'app' }, data: { requestedBy: 'alice' } });

    // Assess
    const actions = blocksOf(linked).find((block) => block.type === 'actions');
    expect(actions?.elements?.[0]).toMatchObject({
      type: 'button',
      url: 'https://dbward.example.com/requests/42',
      text: { type: 'plain_text', text: 'Open dbward.example.com' },
    });
    expect(blocksOf(unlinked).some((block) => block.type === 'actions')).toBe(false);
  });

  it('keeps data inside its code block even when it holds backtick fences', () => {
    // Act
    const message = render({ ...event, data: { text: '```\n<!here> *bold*\n```' } });

    // Assess
    const data = blocksOf(message).find((block) => block.text?.text.startsWith('```'));
    const inner = data?.text?.text.slice(4, -4) ?? '';
    expect(inner).not.toContain('```');
    expect(inner).toContain('&lt;!here&gt;');
  });

  it('leaves out the data block for an event without data', () => {
    const message = render(withoutData);
    expect(blocksOf(message).some((block) => block.text?.text.startsWith('```'))).toBe(false);
  });

  it('splits attributes into sections of at most ten fields', () => {
    // Prepare
    const attributes = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`key${i}`, `value ${i}`]));

    // Act
    const message = render({ ...event, attributes });

    // Assess
    const fieldCounts = blocksOf(message)
      .filter((block) => block.fields !== undefined)
      .map((block) => block.fields?.length);
    expect(fieldCounts).toEqual([10, 10, 10, 2]);
  });

  it('uses the subject and text templates, escaped like event text', () => {
    // Act
    const message = render(event, settings, {
      subject: '{{attributes.environment}}: {{subject}}',
      text: '*{{attributes.database}}* requested by {{attributes.requester}}',
    });

    // Assess
    expect(message.payload.blocks[0]).toMatchObject({
      text: { text: '[prod] production: Break-glass access used on app/production' },
    });
    expect(message.payload.attachments[0].blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '*app* requested by alice &lt;alice@example.com&gt;', verbatim: true },
    });
  });

  it('falls back to the subject when the subject template renders blank', () => {
    const message = render(event, { ...settings, prefix: undefined }, { subject: '{{attributes.missing}}' });
    expect(message.payload.blocks[0]).toMatchObject({ text: { text: event.subject } });
  });

  const metacharacters = fc.constantFrom('&', '<', '>', '*', '_', '~', '`', '@', '#', '|', '!', '^', ':');
  /** Text made to hurt: Slack's metacharacters, emoji, surrogate pairs, any unicode, line breaks. */
  const nastyText = (maxLength: number) =>
    fc.oneof(
      fc.string({
        unit: fc.oneof(metacharacters, fc.constantFrom('😀', '𝄞', 'é', '\n', ' ', 'amp;')),
        maxLength,
      }),
      fc.string({ unit: 'grapheme', maxLength }),
      fc.string({ unit: 'binary', maxLength }),
      fc.string({ unit: fc.constantFrom('&', '😀'), minLength: maxLength, maxLength }),
    );
  const hostileEvent = fc.record({
    subject: nastyText(256).filter((subject) => subject.length > 0),
    severity: fc.constantFrom(...SEVERITIES),
    attributes: fc.dictionary(fc.stringMatching(/^[a-zA-Z0-9_.-]{1,64}$/), nastyText(256), { maxKeys: 32 }),
    data: fc.option(
      fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.record({ text: nastyText(5000), url: fc.webUrl({ withQueryParameters: true }) }),
      ),
      { nil: undefined },
    ),
    prefix: fc.option(
      fc.string({ unit: fc.oneof(metacharacters, fc.constant('a')), minLength: 1, maxLength: 64 }),
      {
        nil: undefined,
      },
    ),
    template: fc.option(
      fc.record({ subject: fc.constant('{{subject}} {{subject}}'), text: nastyText(8192) }),
      {
        nil: undefined,
      },
    ),
  });

  it('never exceeds Slack limits nor lets event text form a mention, a link or a split entity', () => {
    fc.assert(
      fc.property(hostileEvent, ({ subject, severity, attributes, data, prefix, template }) => {
        // Act
        const message = render(
          {
            ...withoutData,
            subject,
            severity,
            attributes,
            ...(data === undefined ? {} : { data: data as HeraldEvent['data'] }),
          },
          { ...settings, prefix },
          template,
        );

        // Assess
        expectWithinLimits(message);
        for (const text of eventMrkdwnTexts(message)) expectEscaped(text);
        const mentions = settings.mentions[severity] ?? [];
        const mentionText = mentions.length === 0 ? '' : `${mentions.join(' ')} `;
        expect(message.payload.text.startsWith(mentionText)).toBe(true);
        expectEscaped(message.payload.text.slice(mentionText.length));
      }),
      { numRuns: 300 },
    );
  });

  it('cuts escaped text within its limit without splitting an entity or a surrogate pair', () => {
    fc.assert(
      fc.property(nastyText(600), fc.integer({ min: 1, max: 400 }), (text, max) => {
        // Act
        const cut = mrkdwnText(text, max);

        // Assess
        expect(cut.length).toBeLessThanOrEqual(max);
        expect(cut).not.toMatch(LONE_SURROGATE);
        expectEscaped(cut);
        if (escapeMrkdwn(text).length <= max) expect(cut).toBe(escapeMrkdwn(text));
        else expect(cut.endsWith('…')).toBe(true);
      }),
    );
  });
});

describe('sendSlack', () => {
  const message = render(event);
  const send = (response: SafeResponse) => {
    const receiver = answering(response);
    return { receiver, result: sendSlack(message, receiver.transports, settings) };
  };

  it('posts the payload as JSON to the webhook URL with the channel timeout', async () => {
    // Act
    const { receiver, result } = send({ status: 200, headers: {}, bodySnippet: 'ok' });

    // Assess
    expect((await result).outcome).toEqual({ kind: 'delivered', status: 200 });
    expect(receiver.sent[0]).toMatchObject({
      url: WEBHOOK_URL,
      method: 'POST',
      timeoutMs: 5000,
      headers: { 'content-type': 'application/json' },
    });
    expect(JSON.parse(receiver.sent[0]?.body ?? '')).toEqual(message.payload);
  });

  it.each([
    [400, 'invalid_blocks'],
    [400, 'invalid_payload'],
    [403, 'action_prohibited'],
    [403, 'invalid_token'],
  ])('records a %i %s as a permanent failure with Slack’s word', async (status, word) => {
    const { result } = send({ status, headers: {}, bodySnippet: word });
    expect((await result).outcome).toEqual({
      kind: 'failed',
      status,
      error: `receiver answered ${status}: ${word}`,
    });
  });

  it.each([
    [404, 'no_service'],
    [404, 'channel_not_found'],
    [410, 'channel_is_archived'],
  ])('treats a %i %s as gone, so the channel gets disabled', async (status, word) => {
    const { result } = send({ status, headers: {}, bodySnippet: word });
    expect((await result).outcome).toEqual({
      kind: 'gone',
      status,
      error: `receiver answered ${status}: ${word}`,
    });
  });

  it('retries a 429 after the Retry-After Slack sends', async () => {
    const { result } = send({ status: 429, headers: { 'retry-after': '30' }, bodySnippet: 'rate_limited' });
    expect((await result).outcome).toEqual({
      kind: 'retry',
      status: 429,
      retryAfterSeconds: 30,
      error: 'receiver answered 429: rate_limited',
    });
  });

  it('retries a 5xx with Slack’s word in the reason', async () => {
    const { result } = send({ status: 500, headers: {}, bodySnippet: 'rollup_error' });
    expect((await result).outcome).toEqual({
      kind: 'retry',
      status: 500,
      error: 'receiver answered 500: rollup_error',
    });
  });

  it('retries a timeout instead of throwing', async () => {
    // Act
    const result = await sendSlack(
      message,
      {
        http: async () => {
          throw new RequestTimeoutError('no response within 5000 ms');
        },
      },
      settings,
    );

    // Assess
    expect(result.outcome).toMatchObject({ kind: 'retry', error: expect.stringMatching(/^timeout/) });
  });

  it('does not turn an unknown 404 into gone', () => {
    const outcome = refineSlackOutcome(
      { kind: 'failed', status: 404, error: 'receiver answered 404' },
      { status: 404, headers: {}, bodySnippet: '<html>Not Found</html>' },
    );
    expect(outcome).toEqual({
      kind: 'failed',
      status: 404,
      error: 'receiver answered 404: <html>Not Found</html>',
    });
  });

  describe('through the real HTTP client', () => {
    let server: LocalServer;
    beforeAll(async () => {
      server = await startLocalServer();
    });
    afterAll(async () => {
      await server.close();
    });

    it('delivers to a receiver that answers ok', async () => {
      // Prepare
      server.respond = (_request, response) => response.writeHead(200).end('ok');
      const local = { ...message, webhookUrl: `${server.url}/services/T0/B0/secret` };

      // Act
      const result = await sendSlack(local, testTransports(true), settings);

      // Assess
      expect(result.outcome).toEqual({ kind: 'delivered', status: 200 });
      expect(JSON.parse(server.received.at(-1)?.body ?? '')).toEqual(message.payload);
    });
  });
});

describe('the slack channel type', () => {
  it('defaults to no mentions, no prefix and a 10 s timeout', () => {
    expect(slack.settings.parse({})).toEqual({ mentions: {}, timeoutMs: 10_000 });
  });

  it.each([
    ['<@U0123ABCD>'],
    ['<@W0123ABCD>'],
    ['<!subteam^S0123ABCD>'],
    ['<!here>'],
    ['<!channel>'],
    ['<!everyone>'],
  ])('accepts the mention %s', (mention) => {
    expect(slack.settings.safeParse({ mentions: { critical: [mention] } }).success).toBe(true);
  });

  it.each([
    ['@here'],
    ['<@U1|alice>'],
    ['<https://example.com>'],
    ['<!subteam^S1> <!here>'],
    ['<#C0123ABCD>'],
  ])('refuses %s as a mention', (mention) => {
    expect(slack.settings.safeParse({ mentions: { critical: [mention] } }).success).toBe(false);
  });

  it('refuses mentions keyed by something other than a severity, and a multi-line prefix', () => {
    expect(slack.settings.safeParse({ mentions: { fatal: ['<!here>'] } }).success).toBe(false);
    expect(slack.settings.safeParse({ prefix: '[prod]\n<!here>' }).success).toBe(false);
    expect(slack.settings.safeParse({ unknown: true }).success).toBe(false);
  });

  it('lists the inline webhook URL as its target, and nothing for a referenced one', () => {
    expect(slack.targets({}, { webhookUrl: WEBHOOK_URL })).toEqual([
      { kind: 'url', path: 'config.webhookUrl', url: WEBHOOK_URL },
    ]);
    expect(slack.targets({}, { webhookUrl: { secretRef: 'ops', key: 'slack' } })).toEqual([]);
  });

  it('summarises with the webhook host only, never its secret path', () => {
    // Act
    const inline = slack.summary({}, { webhookUrl: WEBHOOK_URL });
    const referenced = slack.summary({}, { webhookUrl: { secretRef: 'ops', key: 'slack' } });

    // Assess
    expect(inline).toBe('hooks.slack.com');
    expect(inline).not.toContain('XXXXXXXX');
    expect(referenced).toBe('webhook URL in a referenced secret');
  });

  it('renders through the sealed interface, parsing stored settings and refusing a bad secret', () => {
    // Prepare
    const input = { event, context, settings: { prefix: '[prod]' }, template: undefined, now: NOW };

    // Act
    const message = slack.render({ ...input, secrets: { webhookUrl: WEBHOOK_URL } }) as SlackMessage;

    // Assess
    expect(message.webhookUrl).toBe(WEBHOOK_URL);
    expect(message.payload.blocks).toHaveLength(1);
    expect(() => slack.render({ ...input, secrets: { webhookUrl: 'not a url' } })).toThrow();
    expect(slack.templateParts).toEqual(['subject', 'text']);
  });

  it('has an example config its own schemas accept', () => {
    const { webhookUrl, ...rest } = slack.example;
    expect(slack.settings.safeParse(rest).success).toBe(true);
    expect(slack.secretFields.webhookUrl?.safeParse(webhookUrl).success).toBe(true);
  });
});
