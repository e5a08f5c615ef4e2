import { createRequire } from 'node:module';
import type * as AdaptiveCardsModule from 'adaptivecards';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { USER_AGENT } from '#shared/channels/http.ts';
import type { StoredTemplate } from '#shared/channels/record.ts';
import {
  ADAPTIVE_CARD_CONTENT_TYPE,
  ADAPTIVE_CARD_SCHEMA,
  escapeMarkdown,
  MAX_PAYLOAD_BYTES,
  renderTeams,
  type TeamsMessage,
  type TeamsPayload,
  type TeamsSecrets,
  teams,
} from '#shared/channels/teams/index.ts';
import { oneLine, truncate } from '#shared/channels/text.ts';
import type { DeliveryContext, Transports } from '#shared/channels/types.ts';
import { type HeraldEvent, jsonBytes, SEVERITIES, type Severity } from '#shared/domain/event.ts';
import { RequestTimeoutError, type SafeRequest, type SafeResponse } from '#shared/http/safe-request.ts';
import { type LocalServer, startLocalServer, testTransports } from '../support.ts';

/**
 * The library's `lib/` build imports without file extensions, which Node's ESM loader refuses; its UMD
 * bundle is the same code and runs in Node without a DOM for parsing and validation.
 */
const AdaptiveCards = createRequire(import.meta.url)(
  'adaptivecards/dist/adaptivecards.js',
) as typeof AdaptiveCardsModule;

const NOW = new Date('2026-11-23T09:00:30Z');
const WEBHOOK_URL =
  'https://prod-12.westus.logic.azure.com:443/workflows/0f1e2d3c/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=s3cr3t-signature-value';
const SECRETS: TeamsSecrets = { webhookUrl: WEBHOOK_URL };
const SETTINGS = { timeoutMs: 5000 };
const CONTEXT: DeliveryContext = {
  deliveryId: 'msg_abc',
  attempt: 1,
  channelId: 'ops-teams',
  policyIds: ['prod-ops'],
};

const eventWith = (severity: Severity, overrides: Partial<HeraldEvent> = {}): HeraldEvent => ({
  id: 'evt-1',
  type: 'request_created',
  source: 'dbward',
  time: '2026-11-23T09:00:00Z',
  subject: 'Break-glass access used on app/production',
  severity,
  attributes: {
    database: 'app',
    environment: 'production',
    url: 'https://dbward.example.com/requests/42',
  },
  data: { requestedBy: 'alice', reason: 'INC-1234: primary is down', approvers: ['bob', 'carol'] },
  ...overrides,
});

const render = (event: HeraldEvent, template?: StoredTemplate): TeamsMessage =>
  renderTeams({ event, context: CONTEXT, settings: SETTINGS, secrets: SECRETS, template, now: NOW });

const cardOf = (payload: TeamsPayload) => payload.attachments[0].content;

// --- Adaptive Cards 1.4 checks -------------------------------------------------------------------

/**
 * What the `adaptivecards` library (3.0.6) reports for a card parsed as Adaptive Cards 1.4: unknown
 * element or action types (including those newer than 1.4), invalid enum values, missing required
 * properties (`Action.OpenUrl.url`).
 */
const libraryIssues = (card: unknown): string[] => {
  const parsed = new AdaptiveCards.AdaptiveCard();
  const context = new AdaptiveCards.SerializationContext(AdaptiveCards.Versions.v1_4);
  parsed.parse(card, context);
  const issues: string[] = [];
  for (let index = 0; index < context.eventCount; index++) {
    issues.push(context.getEventAt(index).message);
  }
  for (const event of parsed.validateProperties().validationEvents) issues.push(event.message);
  return issues;
};

/**
 * The library does not flag unknown properties, empty texts or empty fact sets, so the elements Herald
 * uses are also checked strictly against their Adaptive Cards 1.4 schema definitions
 * (adaptivecards.io/explorer): TextBlock, FactSet and Fact, Container, Action.OpenUrl, AdaptiveCard, and
 * the message wrapper Teams webhooks take.
 */
const TextBlock14 = z.strictObject({
  type: z.literal('TextBlock'),
  text: z.string().min(1),
  wrap: z.boolean().optional(),
  weight: z.enum(['Default', 'Lighter', 'Bolder']).optional(),
  size: z.enum(['Default', 'Small', 'Medium', 'Large', 'ExtraLarge']).optional(),
  color: z.enum(['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention']).optional(),
  fontType: z.enum(['Default', 'Monospace']).optional(),
  isSubtle: z.boolean().optional(),
  spacing: z.enum(['Default', 'None', 'Small', 'Medium', 'Large', 'ExtraLarge', 'Padding']).optional(),
  separator: z.boolean().optional(),
});
const Fact14 = z.strictObject({ title: z.string().min(1), value: z.string().min(1) });
const FactSet14 = z.strictObject({
  type: z.literal('FactSet'),
  facts: z.array(Fact14).min(1),
  separator: z.boolean().optional(),
});
const Container14 = z.strictObject({
  type: z.literal('Container'),
  style: z.enum(['default', 'emphasis', 'good', 'attention', 'warning', 'accent']),
  bleed: z.boolean().optional(),
  items: z.array(TextBlock14).min(1),
});
const OpenUrl14 = z.strictObject({
  type: z.literal('Action.OpenUrl'),
  title: z.string().min(1),
  url: z.url({ protocol: /^https?$/ }),
});
const Card14 = z.strictObject({
  $schema: z.literal(ADAPTIVE_CARD_SCHEMA),
  type: z.literal('AdaptiveCard'),
  version: z.literal('1.4'),
  msteams: z.strictObject({ width: z.literal('Full') }),
  body: z.array(z.union([Container14, TextBlock14, FactSet14])).min(1),
  actions: z.array(OpenUrl14).min(1).optional(),
});
const TeamsMessage14 = z.strictObject({
  type: z.literal('message'),
  attachments: z
    .array(
      z.strictObject({
        contentType: z.literal(ADAPTIVE_CARD_CONTENT_TYPE),
        contentUrl: z.null(),
        content: Card14,
      }),
    )
    .length(1),
});

/** Both checks: what is wrong with a payload as a Teams Adaptive Card 1.4 message. */
const cardProblems = (payload: TeamsPayload): string[] => {
  const strict = TeamsMessage14.safeParse(payload);
  return [
    ...(strict.success
      ? []
      : strict.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)),
    ...libraryIssues(cardOf(payload)),
  ];
};

// --- Escaping checks ----------------------------------------------------------------------------

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MARKUP = /[\\`*_~[\]()<>#&]/;
const LINE_MARKER = /^[ \t]*(?:[-+=]|\d+\.)/m;

/** Text with every backslash escape removed: what a markdown reader shows. */
const shownText = (text: string): string => text.replace(/\\([\s\S])/g, '$1');
/** Text with every escaped character made inert: only what a markdown reader could still act on. */
const unescapedRest = (text: string): string => text.replace(/\\[\s\S]/g, 'x');

/** Every string a Teams client renders as markdown: TextBlock texts and Fact titles and values. */
const markdownTexts = (payload: TeamsPayload): string[] =>
  cardOf(payload).body.flatMap((element) => {
    if (element.type === 'Container') return element.items.map((item) => item.text);
    if (element.type === 'TextBlock') return [element.text];
    return element.facts.flatMap((fact) => [fact.title, fact.value]);
  });

/** Every string leaf of a value. */
const leaves = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : typeof value === 'object' && value !== null
      ? Object.values(value).flatMap(leaves)
      : [];

describe('renderTeams', () => {
  it.each(SEVERITIES)('renders a native-looking %s card (golden file)', async (severity) => {
    // Act
    const message = render(eventWith(severity));

    // Assess
    expect(cardProblems(message.payload)).toEqual([]);
    await expect(`${JSON.stringify(message, null, 2)}\n`).toMatchFileSnapshot(
      `../../fixtures/channels/teams/${severity}.json`,
    );
  });

  it('uses the subject and text templates instead of the subject, escaped like event text', async () => {
    // Prepare
    const template = {
      subject: '[{{attributes.environment}}] {{subject}}',
      text: 'Requested by **{{data.requestedBy}}**\n- see {{attributes.url}}',
    };

    // Act
    const message = render(eventWith('warning'), template);

    // Assess
    const body = cardOf(message.payload).body;
    expect(body[0]).toMatchObject({
      items: [{ text: 'WARNING' }, { text: '\\[production\\] Break-glass access used on app/production' }],
    });
    expect(body[1]).toEqual({
      type: 'TextBlock',
      text: 'Requested by \\*\\*alice\\*\\*\n\n\\- see https://dbward.example.com/requests/42',
      wrap: true,
    });
    expect(cardProblems(message.payload)).toEqual([]);
    await expect(`${JSON.stringify(message, null, 2)}\n`).toMatchFileSnapshot(
      '../../fixtures/channels/teams/templated.json',
    );
  });

  it('falls back to the subject when the subject template renders blank, and to the type for a blank subject', () => {
    const message = render(eventWith('info'), { subject: '{{attributes.missing}}' });
    const header = cardOf(message.payload).body[0];
    expect(header).toMatchObject({ items: [{}, { text: 'Break-glass access used on app/production' }] });
    const blank = cardOf(render(eventWith('info', { subject: ' \t' })).payload).body[0];
    expect(blank).toMatchObject({ items: [{}, { text: 'request\\_created' }] });
  });

  it('colours the header band and label by severity', () => {
    // Act
    const looks = SEVERITIES.map((severity) => cardOf(render(eventWith(severity)).payload).body[0]);

    // Assess
    expect(
      looks.map((header) => header?.type === 'Container' && [header.style, header.items[0]?.color]),
    ).toEqual([
      ['accent', 'Accent'],
      ['warning', 'Warning'],
      ['attention', 'Attention'],
      ['attention', 'Attention'],
    ]);
  });

  it('adds an Open action only when the event carries a link', () => {
    // Prepare
    const linked = eventWith('info');
    const unlinked = eventWith('info', { attributes: { environment: 'production' }, data: { ok: true } });

    // Act
    const withLink = cardOf(render(linked).payload);
    const withoutLink = cardOf(render(unlinked).payload);

    // Assess
    expect(withLink.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Open', url: 'https://dbward.example.com/requests/42' },
    ]);
    expect(withoutLink).not.toHaveProperty('actions');
  });

  it('leaves out the attributes and data blocks for an event without them', () => {
    // Act
    const card = cardOf(render(eventWith('info', { attributes: {}, data: undefined })).payload);

    // Assess
    expect(card.body.map((element) => element.type)).toEqual(['Container', 'FactSet']);
  });

  it('escapes markdown so event text cannot make links, emphasis, lists or date functions', () => {
    // Prepare
    const event = eventWith('error', {
      subject: '[click](https://evil.example) **now** _x_ ~~y~~ `z` <https://a.example> &amp; # h',
      attributes: { list_key: '- item', numbered: '1. first', quote: '> quoted' },
      data: { when: '{{DATE(2017-02-14T06:00:00Z, SHORT)}}' },
    });

    // Act
    const message = render(event);

    // Assess
    const texts = markdownTexts(message.payload);
    for (const text of texts) {
      expect(unescapedRest(text)).not.toMatch(MARKUP);
      expect(unescapedRest(text)).not.toMatch(LINE_MARKER);
    }
    expect(shownText(texts[1] ?? '')).toBe(event.subject);
    expect(texts).toContain('list\\_key');
    expect(texts).toContain('\\- item');
    expect(texts).toContain('1\\. first');
    expect(texts.some((text) => text.includes('DATE\\(2017'))).toBe(true);
  });

  it('escapes every markdown metacharacter and nothing else', () => {
    expect(escapeMarkdown('a*b_c[d](e)~f`g\\h<i>j#k&l-m+n.o @p')).toBe(
      'a\\*b\\_c\\[d\\]\\(e\\)\\~f\\`g\\\\h\\<i\\>j\\#k\\&l-m+n.o @p',
    );
    expect(escapeMarkdown('- a\n+ b\n= c\n12. d\n  3. e')).toBe('\\- a\n\\+ b\n\\= c\n12\\. d\n  3\\. e');
    expect(escapeMarkdown('x\uD800y\uDC00')).toBe('x\uFFFDy\uFFFD');
  });
});

// --- Property tests -----------------------------------------------------------------------------

/** Text made of markdown and HTML metacharacters, line breaks, emoji and any other code point. */
const oddText = (maxLength: number, size: fc.SizeForArbitrary = 'small') =>
  fc.string({
    size,
    unit: fc.oneof(
      fc.constantFrom('&', '<', '>', '*', '_', '~', '`', '@', '#', '\\', '[', ']', '(', ')', '-', '+', '.'),
      fc.constantFrom('1', ' ', '\n', '\r', '👍🏽', '🇩🇪', 'é', '日'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    ),
    maxLength,
  });

const AttributeKey = fc.stringMatching(/^[a-zA-Z0-9_.-]{1,64}$/);
const NameText = fc.stringMatching(/^[a-z0-9][a-z0-9._:-]{0,127}$/);

const anyEvent = fc.record({
  type: NameText,
  source: NameText,
  subject: oddText(256, 'large').filter((subject) => subject.length > 0),
  severity: fc.constantFrom(...SEVERITIES),
  attributes: fc.dictionary(AttributeKey, oddText(256, 'large'), { maxKeys: 32, size: 'large' }),
  data: fc.option(
    fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc
        .tuple(oddText(64, 'medium'), fc.integer({ min: 100, max: 5000 }))
        .map(([chunk, times]) => ({ text: `${chunk}*`.repeat(times) })),
    ),
    { nil: undefined },
  ),
});

/** The heaviest attributes the envelope allows: 32 keys of 64 characters, 256-character values. */
const heaviestAttributes = fc
  .tuple(
    fc.constantFrom('\\', '*', '日', '👍', '&'),
    fc.uniqueArray(fc.stringMatching(/^[a-z_]{64}$/), { minLength: 32, maxLength: 32 }),
  )
  .map(([char, keys]) => Object.fromEntries(keys.map((key) => [key, char.repeat(256 / char.length)])));

const toEvent = ({
  data,
  ...parts
}: {
  type: string;
  source: string;
  subject: string;
  severity: Severity;
  attributes: Record<string, string>;
  data?: unknown;
}): HeraldEvent => ({
  id: 'evt-prop',
  time: '2026-11-23T09:00:00.123+01:00',
  ...parts,
  ...(data === undefined ? {} : { data: data as HeraldEvent['data'] }),
});

const templates = fc.option(
  fc.record({ subject: fc.constant('{{subject}} {{data}}'), text: fc.constant('{{subject}}\n{{data}}') }),
  { nil: undefined },
);

describe('renderTeams properties', () => {
  it('stays under the message limit and renders a valid 1.4 card for any event', () => {
    fc.assert(
      fc.property(anyEvent, templates, (parts, template) => {
        // Act
        const { payload } = render(toEvent(parts), template);

        // Assess
        expect(jsonBytes(payload)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
        expect(cardProblems(payload)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('never lets event text form markup and never leaves a lone surrogate', () => {
    fc.assert(
      fc.property(anyEvent, templates, (parts, template) => {
        // Act
        const { payload } = render(toEvent(parts), template);

        // Assess
        for (const text of markdownTexts(payload)) {
          expect(unescapedRest(text)).not.toMatch(MARKUP);
          expect(unescapedRest(text)).not.toMatch(LINE_MARKER);
        }
        for (const text of leaves(payload)) expect(text).not.toMatch(LONE_SURROGATE);
      }),
      { numRuns: 150 },
    );
  });

  it('shows the subject as written, on one line, cut at 256 characters', () => {
    fc.assert(
      fc.property(
        oddText(256).filter((subject) => subject.trim() !== ''),
        (subject) => {
          // Prepare
          const wellFormed = subject.replace(new RegExp(LONE_SURROGATE, 'g'), '\uFFFD');

          // Act
          const header = cardOf(render(eventWith('info', { subject })).payload).body[0];

          // Assess
          const title = header?.type === 'Container' ? header.items[1]?.text : undefined;
          expect(shownText(title ?? '')).toBe(truncate(oneLine(wellFormed), 256));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('cuts data before attributes, and keeps the title and event facts, for the heaviest events', () => {
    fc.assert(
      fc.property(heaviestAttributes, fc.constantFrom(...SEVERITIES), (attributes, severity) => {
        // Prepare
        const event = eventWith(severity, {
          subject: '*'.repeat(256),
          attributes,
          data: { blob: '\\'.repeat(200_000) },
        });

        // Act
        const { payload } = render(event);

        // Assess
        const body = cardOf(payload).body;
        expect(jsonBytes(payload)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
        const excerpt = body.find(
          (element) => element.type === 'TextBlock' && element.fontType === 'Monospace',
        );
        const facts = body.flatMap((element) => (element.type === 'FactSet' ? element.facts : []));
        const hidden = facts.find((fact) => fact.title === '…');
        if (hidden !== undefined) expect(excerpt).toBeUndefined();
        if (excerpt !== undefined) expect(excerpt).toMatchObject({ text: expect.stringMatching(/…$/) });
        expect(facts.slice(-4).map((fact) => fact.title)).toEqual(['Source', 'Type', 'Severity', 'Time']);
        expect(body[0]).toMatchObject({ items: [{}, { text: '\\*'.repeat(256) }] });
        expect(cardProblems(payload)).toEqual([]);
      }),
      { numRuns: 20 },
    );
  });

  it('leaves out attributes from the last, saying how many, when they alone are too big', () => {
    // Prepare
    const attributes = Object.fromEntries(
      Array.from({ length: 32 }, (_, index) => [`key_${String(index).padStart(2, '0')}`, '\\'.repeat(256)]),
    );

    // Act
    const { payload } = render(eventWith('error', { attributes, data: { blob: 'x'.repeat(10_000) } }));

    // Assess
    const body = cardOf(payload).body;
    const facts = body[1]?.type === 'FactSet' ? body[1].facts : [];
    expect(jsonBytes(payload)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(body.some((element) => element.type === 'TextBlock' && element.fontType === 'Monospace')).toBe(
      false,
    );
    expect(facts[0]?.title).toBe('key\\_00');
    expect(facts.at(-1)).toEqual({
      title: '…',
      value: `${32 - (facts.length - 1)} more attributes not shown`,
    });
    expect(facts.length).toBeGreaterThan(10);
  });

  it('keeps every attribute and cuts only the data when the data alone is too big', () => {
    // Prepare
    const event = eventWith('info', { data: { blob: 'x'.repeat(100_000) } });

    // Act
    const { payload } = render(event);

    // Assess
    const body = cardOf(payload).body;
    const excerpt = body.find((element) => element.type === 'TextBlock' && element.fontType === 'Monospace');
    expect(excerpt).toMatchObject({ text: expect.stringMatching(/^\{ "blob": "x+…$/) });
    expect(body[1]).toMatchObject({
      type: 'FactSet',
      facts: expect.arrayContaining([{ title: 'url', value: expect.any(String) }]),
    });
  });
});

// --- Sending ------------------------------------------------------------------------------------

const TEAMS_413 =
  'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413 with ContextId tcid=0,server=msgapi-production-eus-azsc1-4-170,cv=Ux3S1XCg9Ue5n3tHnlFqwQ.0..';

/** Sends a rendered message through a transport that answers with `response` (or throws). */
const sendWith = async (response: SafeResponse | Error) => {
  const requests: SafeRequest[] = [];
  const transports: Transports = {
    ...testTransports(false),
    http: async (request) => {
      requests.push(request);
      if (response instanceof Error) throw response;
      return response;
    },
  };
  const result = await teams.send(render(eventWith('critical')), transports, SETTINGS);
  return { result, requests };
};

const answer = (status: number, bodySnippet = '', headers: SafeResponse['headers'] = {}): SafeResponse => ({
  status,
  headers,
  bodySnippet,
});

describe('teams.send', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('posts the card as JSON to the webhook and counts a Workflows 202 as delivered', async () => {
    // Prepare
    server.respond = (_request, response) => response.writeHead(202).end();
    const message = { ...render(eventWith('critical')), url: `${server.url}/workflows/abc?sig=secret` };

    // Act
    const result = await teams.send(message, testTransports(true), SETTINGS);

    // Assess
    expect(result.outcome).toEqual({ kind: 'delivered', status: 202 });
    const received = server.received.at(-1);
    expect(received).toMatchObject({ method: 'POST', url: '/workflows/abc?sig=secret' });
    expect(received?.headers['content-type']).toBe('application/json');
    expect(received?.headers['user-agent']).toBe(USER_AGENT);
    expect(JSON.parse(received?.body ?? '')).toEqual(message.payload);
  });

  it('sends with the channel timeout', async () => {
    const { requests } = await sendWith(answer(202));
    expect(requests[0]).toMatchObject({ url: WEBHOOK_URL, method: 'POST', timeoutMs: 5000 });
  });

  it('counts an incoming webhook 200 with body "1" as delivered', async () => {
    const { result } = await sendWith(answer(200, '1'));
    expect(result.outcome).toEqual({ kind: 'delivered', status: 200 });
  });

  it('fails a 200 whose body reports a Teams error, quoting it without the ContextId', async () => {
    // Act
    const { result } = await sendWith(answer(200, TEAMS_413));

    // Assess
    expect(result.outcome).toEqual({
      kind: 'failed',
      status: 200,
      error:
        'Teams answered 200 but reported a failure: Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413',
    });
  });

  it.each([429, 500, 503])('retries a 200 whose body reports Teams error %i', async (embedded) => {
    const { result } = await sendWith(answer(200, TEAMS_413.replace('413', String(embedded))));
    expect(result.outcome).toMatchObject({
      kind: 'retry',
      status: 200,
      error: expect.stringContaining(`HTTP error ${embedded}`),
    });
  });

  it('fails a 400 with the first words of what Teams said', async () => {
    // Prepare
    const body =
      '{"error":{"code":"InvalidRequestContent","message":"The request content is not valid and could not be deserialized."}}';

    // Act
    const { result } = await sendWith(answer(400, body));

    // Assess
    expect(result.outcome).toMatchObject({ kind: 'failed', status: 400 });
    expect('error' in result.outcome && result.outcome.error).toMatch(
      /^receiver answered 400: \{"error":\{"code":"InvalidRequestContent"/,
    );
  });

  it.each([401, 403])('fails a %i', async (status) => {
    const { result } = await sendWith(answer(status, 'Unauthorized'));
    expect(result.outcome).toEqual({
      kind: 'failed',
      status,
      error: `receiver answered ${status}: Unauthorized`,
    });
  });

  it.each([404, 410])(
    'marks the channel gone when the workflow or webhook was deleted (%i)',
    async (status) => {
      // Act
      const { result } = await sendWith(answer(status, '{"error":{"code":"WorkflowNotFound"}}'));

      // Assess
      expect(result.outcome).toEqual({
        kind: 'gone',
        status,
        error: `Teams answered ${status}: the workflow or webhook no longer exists: {"error":{"code":"WorkflowNotFound"}}`,
      });
    },
  );

  it('retries a 429 after the Retry-After delay', async () => {
    const { result } = await sendWith(answer(429, 'Too many requests', { 'retry-after': '30' }));
    expect(result.outcome).toEqual({
      kind: 'retry',
      status: 429,
      retryAfterSeconds: 30,
      error: 'receiver answered 429: Too many requests',
    });
  });

  it.each([500, 502, 503])('retries a %i', async (status) => {
    const { result } = await sendWith(answer(status));
    expect(result.outcome).toEqual({ kind: 'retry', status, error: `receiver answered ${status}` });
  });

  it('retries a timeout instead of throwing', async () => {
    const { result } = await sendWith(new RequestTimeoutError('no response within 5000 ms'));
    expect(result.outcome).toMatchObject({ kind: 'retry', error: expect.stringMatching(/^timeout/) });
  });

  it('never quotes a URL echoed in an error body beyond its host', async () => {
    // Act
    const { result } = await sendWith(answer(400, `The request to ${WEBHOOK_URL} was rejected`));

    // Assess
    const reason = 'error' in result.outcome ? result.outcome.error : '';
    expect(reason).toBe(
      'receiver answered 400: The request to prod-12.westus.logic.azure.com:443/… was rejected',
    );
    expect(reason).not.toContain('sig');
  });
});

// --- The sealed type ----------------------------------------------------------------------------

describe('teams channel type', () => {
  it('defaults the timeout and refuses settings it does not know (Teams has no mentions)', () => {
    expect(teams.settings.parse({})).toEqual({ timeoutMs: 10_000 });
    expect(teams.settings.safeParse({ mentions: { critical: ['<at>ops</at>'] } }).success).toBe(false);
  });

  it('keeps the webhook URL secret and templates subject and text only', () => {
    expect(Object.keys(teams.secretFields)).toEqual(['webhookUrl']);
    expect(teams.secretFields.webhookUrl?.safeParse('ftp://example.com').success).toBe(false);
    expect(teams.templateParts).toEqual(['subject', 'text']);
  });

  it('lists the webhook URL as its target so the admin API can check it at save time', () => {
    expect(teams.targets({}, { webhookUrl: WEBHOOK_URL })).toEqual([
      { kind: 'url', path: 'config.webhookUrl', url: WEBHOOK_URL },
    ]);
    expect(teams.targets({}, {})).toEqual([]);
  });

  it('summarises the target as the webhook host, never its path or signature', () => {
    // Act
    const workflow = teams.summary({}, { webhookUrl: WEBHOOK_URL });
    const legacy = teams.summary(
      {},
      { webhookUrl: 'https://contoso.webhook.office.com/webhookb2/1111@2222/IncomingWebhook/3333/4444' },
    );
    const referenced = teams.summary({}, {});

    // Assess
    expect(workflow).toBe('prod-12.westus.logic.azure.com');
    expect(legacy).toBe('contoso.webhook.office.com');
    expect(referenced).toBe('webhookUrl in a referenced secret');
  });

  it('renders through the sealed interface, applying setting defaults', () => {
    // Act
    const message = teams.render({
      event: eventWith('info'),
      context: CONTEXT,
      settings: {},
      secrets: { webhookUrl: WEBHOOK_URL },
      template: undefined,
      now: NOW,
    });

    // Assess
    expect(message).toEqual(render(eventWith('info')));
  });

  it('refuses to render with a webhook URL that is not a URL', () => {
    const rendering = () =>
      teams.render({
        event: eventWith('info'),
        context: CONTEXT,
        settings: {},
        secrets: { webhookUrl: 'not a url' },
        template: undefined,
        now: NOW,
      });
    expect(rendering).toThrow(z.ZodError);
  });

  it('has an example config its own schemas accept', () => {
    const { webhookUrl, ...settings } = teams.example;
    expect(teams.settings.safeParse(settings).success).toBe(true);
    expect(teams.secretFields.webhookUrl?.safeParse(webhookUrl).success).toBe(true);
  });
});
