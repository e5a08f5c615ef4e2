/**
 * Digests as each channel type renders them (SPEC §3 `digest`), through the registry with each type's
 * example config: the title, period, counts and every event's line, within the provider's limits for
 * digests of 1 to 10,000 events with any subject, "and N more" counting exactly the events not shown,
 * and event text that can never mention, link or inject markup.
 */
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { loadDigestRendering } from '#shared/channels/digest-loading.ts';
import {
  type DiscordMessage,
  EMBED_LIMITS,
  embedLength,
  escapeMarkdown as escapeDiscord,
} from '#shared/channels/discord/index.ts';
import {
  type EmailMessage,
  emailBytes,
  escapeHtml,
  MAX_MESSAGE_BYTES,
} from '#shared/channels/email/index.ts';
import { type EventBridgeEntry, entryBytes, MAX_ENTRY_BYTES } from '#shared/channels/eventbridge/index.ts';
import { CHANNEL_TYPES } from '#shared/channels/registry.ts';
import { escapeMrkdwn, SLACK_LIMITS, type SlackMessage } from '#shared/channels/slack/index.ts';
import {
  MAX_PUBLISH_BYTES,
  MAX_SUBJECT_CHARS,
  publishBytes,
  type SnsMessage,
} from '#shared/channels/sns/index.ts';
import {
  MAX_MESSAGE_BYTES as MAX_SQS_BYTES,
  messageBytes,
  type SqsMessage,
} from '#shared/channels/sqs/index.ts';
import { MAX_PAYLOAD_BYTES, type TeamsPayload } from '#shared/channels/teams/index.ts';
import type { ChannelType, DeliveryContext } from '#shared/channels/types.ts';
import { MAX_DIGEST_BODY_BYTES } from '#shared/channels/webhook/index.ts';
import { buildDigest, type Digest, type DigestEntry, digestTitle } from '#shared/domain/digest.ts';
import { jsonBytes, SEVERITIES, type Severity } from '#shared/domain/event.ts';
import type { SafeRequest } from '#shared/http/safe-request.ts';

const NOW = new Date('2026-12-07T09:00:05Z');
const CONTEXT: DeliveryContext = {
  deliveryId: 'dgst_contract0000000000000000',
  attempt: 1,
  channelId: 'ops-digest',
  policyIds: ['prod-ops'],
};
const PERIOD = { start: '2026-12-07T08:00:00.000Z', end: '2026-12-07T09:00:00.000Z' };

/** The types that render digests: every type but pagerduty. */
const DIGEST_TYPES = Object.values(CHANNEL_TYPES).filter((type) => type.type !== 'pagerduty');

/** A digest of `count` events cycling through the given subjects, types and severities, newest last. */
const digestOf = (
  count: number,
  parts: {
    readonly subjects?: readonly string[];
    readonly types?: readonly string[];
    readonly severities?: readonly Severity[];
    readonly link?: string;
    readonly timezone?: string;
  } = {},
): Digest => {
  const subjects = parts.subjects ?? ['Deploy finished'];
  const types = parts.types ?? ['deploy.finished'];
  const severities = parts.severities ?? ['info'];
  const start = Date.parse(PERIOD.start);
  const entries: DigestEntry[] = Array.from({ length: count }, (_, index) => ({
    eventId: `evt-${String(index).padStart(5, '0')}`,
    type: types[index % types.length] ?? 'deploy.finished',
    source: 'dbward',
    subject: subjects[index % subjects.length] ?? '',
    severity: severities[index % severities.length] ?? 'info',
    time: new Date(start + Math.floor((index * 3_600_000) / Math.max(count, 1))).toISOString(),
    ...(parts.link === undefined ? {} : { link: parts.link }),
    deliveryId: `msg-${index}`,
  }));
  return buildDigest(
    {
      digestId: CONTEXT.deliveryId,
      channelId: CONTEXT.channelId,
      periodStart: PERIOD.start,
      periodEnd: PERIOD.end,
      timezone: parts.timezone ?? 'Europe/Berlin',
    },
    entries,
  );
};

/** The type's example config split into parsed settings and its secret fields. */
const configOf = (type: ChannelType) => {
  const secretNames = new Set(Object.keys(type.secretFields));
  const entries = Object.entries(type.example);
  return {
    settings: type.settings.parse(Object.fromEntries(entries.filter(([key]) => !secretNames.has(key)))),
    secrets: Object.fromEntries(entries.filter(([key]) => secretNames.has(key))),
  };
};

/** The digest renderers, loaded as the deliver function loads them (from their own file when bundled). */
const digests = await loadDigestRendering();

const renderDigestWith = (type: ChannelType, digest: Digest, now: Date = NOW): unknown =>
  type.renderDigest({ digest, context: CONTEXT, now, ...configOf(type) }, digests);

/** What a rendered digest shows: its text (for subjects and counts) and how it accounts for events. */
interface Shown {
  /** Every text a reader sees, as one string. */
  readonly text: string;
  /** The events listed, in order: their ids where the message carries them, else their lines. */
  readonly listed: number;
  /** The "and N more" count (0 when absent). */
  readonly more: number;
}

/** Every string leaf of a value. */
const leaves = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : typeof value === 'object' && value !== null
      ? Object.values(value).flatMap(leaves)
      : [];

const MORE = /^_?and (\d+) more_?$/;
const moreOf = (text: string | undefined): number => Number(MORE.exec(text ?? '')?.[1] ?? 0);

interface DigestBody {
  readonly id: string;
  readonly type: string;
  readonly subject: string;
  readonly severity: Severity;
  readonly data: {
    readonly total: number;
    readonly byType: readonly { type: string; count: number }[];
    readonly events: readonly { eventId: string; subject: string }[];
    readonly more: number;
  };
  readonly herald: { readonly deliveryId: string };
}

/** Checks a digest envelope body against the digest: ids newest first, counted with `more`. */
const envelopeShown = (json: string, digest: Digest): Shown => {
  const body = JSON.parse(json) as DigestBody;
  expect(body).toMatchObject({ id: digest.digestId, type: 'herald.digest', severity: digest.severity });
  expect(body.herald.deliveryId).toBe(CONTEXT.deliveryId);
  expect(body.data.total).toBe(digest.total);
  expect(body.data.events.map((event) => event.eventId)).toEqual(
    digest.entries.slice(0, body.data.events.length).map((entry) => entry.eventId),
  );
  return { text: json, listed: body.data.events.length, more: body.data.more };
};

interface SlackBlock {
  readonly type: string;
  readonly text?: { readonly type: string; readonly text: string };
  readonly fields?: readonly { readonly text: string }[];
  readonly elements?: readonly { readonly text: string }[];
}

const slackBlocks = (message: SlackMessage): SlackBlock[] => [
  ...(message.payload.blocks as SlackBlock[]),
  ...message.payload.attachments.flatMap((attachment) => attachment.blocks as SlackBlock[]),
];

/** The event lines of a Slack digest: the attachment's sections with text (the counts are fields). */
const slackEventLines = (message: SlackMessage): string[] =>
  (message.payload.attachments[0].blocks as SlackBlock[])
    .filter((block) => block.type === 'section' && block.text !== undefined)
    .flatMap((block) => block.text?.text.split('\n') ?? []);

/** The event lines of a Discord digest: the description's lines starting with a bullet. */
const discordLines = (message: DiscordMessage): string[] =>
  (message.payload.embeds?.[0]?.description ?? '').split('\n').filter((line) => line.startsWith('• '));

interface TeamsText {
  readonly type: string;
  readonly text?: string;
  readonly isSubtle?: boolean;
}
/** The card's top-level TextBlocks: the event lines, then "and N more" (subtle). */
const teamsBlocks = (payload: TeamsPayload): TeamsText[] =>
  (payload.attachments[0].content.body as readonly TeamsText[]).filter(
    (element) => element.type === 'TextBlock',
  );

/** Text with every backslash escape removed: what a markdown reader shows. */
const unescapeMarkdown = (text: string): string => text.replace(/\\([\s\S])/g, '$1');

/** The text body's event lines (each starts `- `) and the line after them. */
const emailEventLines = (text: string): { lines: string[]; after: string | undefined } => {
  const all = text.split('\n');
  const start = all.indexOf('Events (newest first)') + 1;
  let end = start;
  while (end < all.length && (all[end]?.startsWith('- ') === true || all[end]?.startsWith('  ') === true)) {
    end += 1;
  }
  return { lines: all.slice(start, end).filter((line) => line.startsWith('- ')), after: all[end] };
};

/**
 * Per type: fails when a rendered digest passes the provider's limits (the constants its normal
 * renderer uses), and reads what it shows.
 */
const CHECKS: Readonly<Record<string, (message: unknown, digest: Digest) => Shown>> = {
  webhook: (message, digest) => {
    const request = message as SafeRequest;
    expect(Buffer.byteLength(request.body ?? '')).toBeLessThanOrEqual(MAX_DIGEST_BODY_BYTES);
    expect(request.headers?.['webhook-id']).toBe(CONTEXT.deliveryId);
    expect(request.headers?.['x-herald-event-type']).toBe('herald.digest');
    return envelopeShown(request.body ?? '', digest);
  },
  sns: (message, digest) => {
    const publish = message as SnsMessage;
    expect(publishBytes(publish)).toBeLessThanOrEqual(MAX_PUBLISH_BYTES);
    expect(publish.subject.length).toBeLessThanOrEqual(MAX_SUBJECT_CHARS);
    expect(publish.subject).toMatch(/^[\x20-\x7E]+$/);
    expect(publish.attributes).toEqual({
      type: 'herald.digest',
      severity: digest.severity,
      source: 'herald',
    });
    const shown = envelopeShown(publish.message, digest);
    return { ...shown, text: `${publish.subject}\n${shown.text}` };
  },
  sqs: (message, digest) => {
    const send = message as SqsMessage;
    expect(messageBytes(send)).toBeLessThanOrEqual(MAX_SQS_BYTES);
    expect(send.attributes).toEqual({ type: 'herald.digest', severity: digest.severity, source: 'herald' });
    return envelopeShown(send.body, digest);
  },
  eventbridge: (message, digest) => {
    const entry = message as EventBridgeEntry;
    expect(entryBytes(entry)).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
    expect(entry.time.toISOString()).toBe(digest.period.end);
    return envelopeShown(entry.detail, digest);
  },
  slack: (message) => {
    const slack = message as SlackMessage;
    const blocks = slackBlocks(slack);
    expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(slack.payload.text.length).toBeLessThanOrEqual(SLACK_LIMITS.text);
    for (const block of blocks) {
      if (block.type === 'header')
        expect(block.text?.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
      if (block.type === 'section') {
        expect(block.text?.text.length ?? 1).toBeGreaterThan(0);
        expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
        expect(block.fields?.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.fieldsPerSection);
        for (const field of block.fields ?? []) {
          expect(field.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
        }
      }
      if (block.type === 'context') {
        expect(block.elements?.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
      }
    }
    const lines = slackEventLines(slack);
    for (const line of lines) expect(line.startsWith('• ')).toBe(true);
    const last = slack.payload.attachments[0].blocks.at(-1) as SlackBlock;
    const more = last.type === 'context' ? moreOf(last.elements?.[0]?.text) : 0;
    return { text: leaves(slack.payload).join('\n'), listed: lines.length, more };
  },
  discord: (message) => {
    const discord = message as DiscordMessage;
    const embed = discord.payload.embeds?.[0] ?? {};
    expect(discord.payload.embeds).toHaveLength(1);
    expect(embed.title?.length ?? 0).toBeLessThanOrEqual(EMBED_LIMITS.title);
    expect(embed.description?.length ?? 0).toBeLessThanOrEqual(EMBED_LIMITS.description);
    expect(embed.fields?.length ?? 0).toBeLessThanOrEqual(EMBED_LIMITS.fields);
    for (const field of embed.fields ?? []) {
      expect(field.value.length).toBeGreaterThan(0);
      expect(field.value.length).toBeLessThanOrEqual(EMBED_LIMITS.fieldValue);
    }
    expect(embedLength(embed)).toBeLessThanOrEqual(EMBED_LIMITS.total);
    expect(discord.payload.allowed_mentions?.parse).toEqual([]);
    const more = moreOf((embed.description ?? '').split('\n').at(-1));
    return { text: leaves(discord.payload).join('\n'), listed: discordLines(discord).length, more };
  },
  teams: (message) => {
    const { payload } = message as { payload: TeamsPayload };
    expect(jsonBytes(payload)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    const blocks = teamsBlocks(payload);
    for (const block of blocks) expect(block.text?.length ?? 0).toBeGreaterThan(0);
    const last = blocks.at(-1);
    const more = last?.isSubtle === true ? moreOf(last.text) : 0;
    const listed = blocks.filter((block) => block.isSubtle !== true).length;
    return { text: unescapeMarkdown(leaves(payload).join('\n')), listed, more };
  },
  email: (message) => {
    const { email } = message as EmailMessage;
    expect(emailBytes(email)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    for (const value of [email.subject, ...Object.values(email.headers)]) expect(value).not.toMatch(/[\r\n]/);
    const { lines, after } = emailEventLines(email.text);
    return { text: email.text, listed: lines.length, more: moreOf(after) };
  },
};

const checkOf = (type: ChannelType) => {
  const check = CHECKS[type.type];
  if (check === undefined) throw new Error(`no digest check for ${type.type}`);
  return check;
};

describe.each(DIGEST_TYPES)('$type digest', (type) => {
  it.each([1, 30])('shows every subject of a %i-event digest, its title and counts', (count) => {
    // Prepare
    const digest = digestOf(count, {
      subjects: Array.from({ length: count }, (_, index) => `Deploy ${index + 1} of api finished`),
      types: ['deploy.finished', 'build.failed', 'request.created'],
      severities: ['info', 'info', 'error', 'info', 'warning'],
    });

    // Act
    const shown = checkOf(type)(renderDigestWith(type, digest), digest);

    // Assess
    expect(shown).toMatchObject({ listed: count, more: 0 });
    for (const entry of digest.entries) expect(shown.text).toContain(entry.subject);
    for (const { type: eventType } of digest.byType) expect(shown.text).toContain(eventType);
    if (type.type === 'webhook' || type.type === 'sqs' || type.type === 'eventbridge') {
      expect(shown.text).toContain(JSON.stringify(digest.byType));
    } else {
      expect(shown.text).toContain(digestTitle(digest));
    }
  });

  it('stays within the limits for 1 to 10,000 events with any subject, "and N more" counting the rest', () => {
    const subject = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 256 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 2000 }),
      fc.constantFrom(
        '<!channel> *bold* <https://evil|x>',
        '@everyone <@123456789012345678> [x](https://evil.example)',
        '<script>alert(1)</script> & "quotes"',
        '# heading\n- list\n1. item\r\n> quote',
        '`code` ~~strike~~ ||spoiler|| \\ {{DATE(2026-01-01T00:00:00Z)}}',
        'and 5 more',
        '\uD800 lone surrogate \uDFFF',
      ),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(subject, { minLength: 1, maxLength: 20 }),
        fc.array(fc.stringMatching(/^[a-z0-9][a-z0-9._:-]{0,127}$/), { minLength: 1, maxLength: 10 }),
        fc.array(fc.constantFrom(...SEVERITIES), { minLength: 1, maxLength: 4 }),
        fc.option(fc.webUrl({ withQueryParameters: true, withFragments: true }), { nil: undefined }),
        (count, subjects, types, severities, link) => {
          // Prepare
          const digest = digestOf(count, {
            subjects,
            types,
            severities,
            ...(link === undefined ? {} : { link }),
          });

          // Act
          const shown = checkOf(type)(renderDigestWith(type, digest), digest);

          // Assess
          expect(shown.listed).toBeGreaterThan(0);
          expect(shown.listed + shown.more).toBe(digest.total);
        },
      ),
      { numRuns: 25 },
    );
    // Up to 25 digests of up to 10,000 events: a few seconds on a slow machine.
  }, 30_000);

  it('stays within the limits when 10,000 events have 10,000 different types', () => {
    // Prepare
    const types = Array.from(
      { length: 10_000 },
      (_, index) => `type.${String(index).padStart(5, '0')}.${'x'.repeat(110)}`,
    );
    const digest = digestOf(10_000, {
      types,
      subjects: ['A subject that is long enough to matter '.repeat(6)],
    });

    // Act
    const shown = checkOf(type)(renderDigestWith(type, digest), digest);

    // Assess
    expect(shown.listed).toBeGreaterThan(0);
    expect(shown.listed + shown.more).toBe(10_000);
  });
});

describe('digest escaping', () => {
  const nasty = digestOf(3, {
    subjects: [
      '<!channel> *bold* <https://evil|x>',
      '@everyone <@123456789012345678> [x](https://evil.example)',
      '<script>alert(1)</script>',
    ],
    severities: ['info'],
    link: 'https://dbward.example.com/requests/42?a=1&b=2',
  });

  it('cannot mention or link from a subject in Slack: only the event link is a link', () => {
    // Act
    const message = renderDigestWith(CHANNEL_TYPES.slack as ChannelType, nasty) as SlackMessage;

    // Assess
    const lines = slackEventLines(message);
    expect(lines.join('\n')).toContain(escapeMrkdwn('<!channel> *bold* <https://evil|x>'));
    for (const line of lines) {
      const withoutLink = line.replace(' · <https://dbward.example.com/requests/42?a=1&amp;b=2|link>', '');
      expect(withoutLink).not.toMatch(/[<>]/);
    }
    expect(JSON.stringify(message.payload)).not.toContain('<!channel>');
    expect(JSON.stringify(message.payload)).not.toContain('<https://evil');
  });

  it('cannot ping or link from a subject in Discord', () => {
    // Act
    const message = renderDigestWith(CHANNEL_TYPES.discord as ChannelType, nasty) as DiscordMessage;

    // Assess
    const description = message.payload.embeds?.[0]?.description ?? '';
    expect(description).toContain(escapeDiscord('@everyone <@123456789012345678> [x](https://evil.example)'));
    expect(description).not.toContain('@everyone');
    expect(description).not.toMatch(/(?<!\\)<@/);
    expect(description).not.toMatch(/(?<!\\)\[x\]/);
    expect(message.payload.allowed_mentions).toEqual({ parse: [], users: [], roles: [] });
    expect(message.payload.content).toBeUndefined();
  });

  it('escapes markup in the e-mail HTML and keeps the text body literal', () => {
    // Act
    const { email } = renderDigestWith(CHANNEL_TYPES.email as ChannelType, nasty) as EmailMessage;

    // Assess
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain(escapeHtml('<script>alert(1)</script>'));
    expect(email.html).toContain('href="https://dbward.example.com/requests/42?a=1&amp;b=2"');
    expect(email.text).toContain('<script>alert(1)</script>');
  });

  it('escapes markdown in Teams so a subject shows as written', () => {
    // Act
    const { payload } = renderDigestWith(CHANNEL_TYPES.teams as ChannelType, nasty) as {
      payload: TeamsPayload;
    };

    // Assess
    const texts = teamsBlocks(payload).map((block) => block.text ?? '');
    expect(texts.join('\n')).toContain('\\[x\\]\\(https://evil.example\\)');
    expect(texts.join('\n')).not.toMatch(/(?<!\\)\[x\]/);
  });
});

describe('digest specifics', () => {
  it('signs the webhook digest like any webhook, with the digest delivery id as webhook-id', () => {
    // Prepare
    const type = CHANNEL_TYPES.webhook as ChannelType;
    const digest = digestOf(5);

    // Act: receivers check the timestamp against their clock, so sign with the current time.
    const request = renderDigestWith(type, digest, new Date()) as SafeRequest;

    // Assess
    const secret = String(type.example.signingSecret);
    const headers = Object.fromEntries(
      Object.entries(request.headers ?? {}).map(([name, value]) => [name, String(value)]),
    );
    const verified = new Webhook(secret).verify(request.body ?? '', headers) as DigestBody;
    expect(verified.id).toBe(CONTEXT.deliveryId);
    expect(verified.data.events).toHaveLength(5);
  });

  it('uses the highest severity for the colour, mentions and e-mail priority', () => {
    // Prepare: the examples mention on error (Slack) and critical (Discord); e-mail is high on warning.
    const digest = digestOf(10, { severities: ['info', 'critical', 'warning'] });

    // Act
    const slack = renderDigestWith(CHANNEL_TYPES.slack as ChannelType, digest) as SlackMessage;
    const discord = renderDigestWith(CHANNEL_TYPES.discord as ChannelType, digest) as DiscordMessage;
    const { email } = renderDigestWith(CHANNEL_TYPES.email as ChannelType, digest) as EmailMessage;

    // Assess
    expect(digest.severity).toBe('critical');
    expect(slack.payload.attachments[0].color).toBe('#8B0000');
    expect(slack.payload.text.startsWith('<!subteam^S0123ABCD> <!here> [prod] Digest: 10 events')).toBe(true);
    expect(discord.payload.embeds?.[0]?.color).toBe(0x8b0000);
    expect(discord.payload.allowed_mentions?.users).toEqual(['123456789012345678']);
    expect(email.subject).toBe('[herald] Digest: 10 events (3 critical, 3 warning, 4 info)');
    expect(email.headers['X-Herald-Severity']).toBe('critical');
    expect(email.headers['X-Herald-Event-Type']).toBe('herald.digest');
  });

  it('puts the digest on EventBridge as herald.digest from herald.<source template>', () => {
    // Prepare: the example's source template names an attribute the digest envelope lacks.
    const type = CHANNEL_TYPES.eventbridge as ChannelType;

    // Act
    const entry = renderDigestWith(type, digestOf(2)) as EventBridgeEntry;
    const byDefault = type.renderDigest(
      {
        digest: digestOf(2),
        context: CONTEXT,
        now: NOW,
        settings: { eventBusArn: 'arn:aws:events:eu-central-1:210987654321:event-bus/platform' },
        secrets: {},
      },
      digests,
    ) as EventBridgeEntry;

    // Assess
    expect(entry.detailType).toBe('herald.digest');
    expect(entry.source).toBe('herald.');
    expect(byDefault).toMatchObject({ detailType: 'herald.digest', source: 'herald.herald' });
  });

  it('groups FIFO SQS digests under herald when the group template renders empty', () => {
    // Act
    const send = renderDigestWith(CHANNEL_TYPES.sqs as ChannelType, digestOf(2)) as SqsMessage;

    // Assess
    expect(send).toMatchObject({ messageGroupId: 'herald', deduplicationId: CONTEXT.deliveryId });
  });
});

describe('pagerduty', () => {
  it('takes no digest', () => {
    // Prepare
    const type = CHANNEL_TYPES.pagerduty as ChannelType;

    // Act
    const render = () => renderDigestWith(type, digestOf(1));

    // Assess
    expect(type.digests).toBe(false);
    expect(render).toThrow('takes no digest');
    for (const other of DIGEST_TYPES) expect(other.digests).toBe(true);
  });
});
