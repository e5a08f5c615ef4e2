/**
 * `discord`: one embed per event through an incoming webhook (SPEC §3), coloured by severity, pinging
 * only the users and roles configured for the event's severity.
 *
 * Limits are Discord's, from its developer docs: embed limits (Message resource, "Embed Limits"),
 * `content` ≤ 2000 (Execute Webhook), allowed mentions ≤ 100 ids each (Allowed Mentions object),
 * webhook names 1–80 characters without "clyde" or "discord" (Create Webhook).
 */
import type { APIEmbed, APIEmbedField, RESTPostAPIWebhookWithTokenJSONBody } from 'discord-api-types/v10';
import * as z from 'zod';
import { type HeraldEvent, type Severity, Severity as SeveritySchema } from '../../domain/event.ts';
import type { AttemptOutcome } from '../../domain/outcome.ts';
import type { SafeResponse } from '../../http/safe-request.ts';
import { lazySchema } from '../../runtime/lazy-schema.ts';
import { HttpsUrl, jsonPost, secretUrlTarget, sendHttp, urlHost, withBodyDetail } from '../http.ts';
import { TimeoutMs } from '../record.ts';
import { renderTemplate } from '../template.ts';
import { colorNumber, eventLink, oneLine, SEVERITY_COLORS, truncate } from '../text.ts';
import { defineChannelType, type RenderInput, type Transports } from '../types.ts';
import { heraldFields } from '../webhook/index.ts';

/** Discord's embed limits, in characters (Message resource, "Embed Limits"). */
export const EMBED_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  /** Title, description, field names and values, footer text and author name together. */
  total: 6000,
} as const;

/** Most characters in a message's `content` (Execute Webhook). */
export const CONTENT_LIMIT = 2000;

/**
 * Most users and most roles one severity may ping. Discord takes up to 100 of each in
 * `allowed_mentions`; 25 + 25 mentions of at most 24 characters always fit in `content`.
 */
export const MAX_MENTIONS_PER_KIND = 25;

/** Most seconds a rate limit may push the next attempt (the same cap as `Retry-After`). */
const MAX_RETRY_AFTER_SECONDS = 24 * 60 * 60;

/** How many characters of Discord's error a reason quotes. */
const ERROR_DETAIL_CHARS = 200;

/** Discord's JSON error codes Herald reads (Opcodes and Status Codes, "JSON Error Codes"). */
const UNKNOWN_WEBHOOK = 10015;

/** A Discord user or role id. */
const Snowflake = lazySchema(() => z.string().regex(/^\d{17,20}$/, 'a Discord id is 17 to 20 digits'));

/** Who one severity pings. */
const SeverityMentions = lazySchema(() =>
  z.strictObject({
    users: z.array(Snowflake).max(MAX_MENTIONS_PER_KIND).default([]),
    roles: z.array(Snowflake).max(MAX_MENTIONS_PER_KIND).default([]),
  }),
);

/** A webhook display name Discord accepts: 1–80 characters, no control characters, no "discord"/"clyde". */
const WebhookName = lazySchema(() =>
  z
    .string()
    .min(1)
    .max(80)
    .regex(/^[^\p{Cc}]*$/u, 'username cannot contain control characters')
    .regex(/^(?![\s\S]*(?:discord|clyde))/i, 'Discord refuses webhook names containing "discord" or "clyde"'),
);

/** Non-secret part of a Discord channel, kept in the config table. */
export const DiscordSettings = lazySchema(() =>
  z.strictObject({
    /** Users and roles to ping, by severity: `{"critical": {"users": ["…"], "roles": ["…"]}}`. */
    mentions: z.partialRecord(SeveritySchema, SeverityMentions).default({}),
    /** Overrides the webhook's display name. @default the name set on the webhook in Discord */
    username: WebhookName.optional(),
    timeoutMs: TimeoutMs,
  }),
);
export type DiscordSettings = z.infer<typeof DiscordSettings>;

/** The secret part of a Discord channel: the webhook URL carries its token. */
export const DiscordSecret = lazySchema(() => z.object({ webhookUrl: HttpsUrl('webhookUrl') }));
export type DiscordSecret = z.infer<typeof DiscordSecret>;

/** What goes out for one attempt: where (token included, `wait=true` set) and the Execute Webhook body. */
export interface DiscordMessage {
  readonly url: string;
  readonly payload: RESTPostAPIWebhookWithTokenJSONBody;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/**
 * A URL Discord links by itself (after the start or a space), or one character Discord markdown gives a
 * meaning: emphasis, code, spoilers, quotes, headings, lists, masked links, mentions.
 */
const URL_OR_MARKDOWN = /(?<!\S)https?:\/\/[^\s<>]+|[\\*_~`|>#\-[\]<]/g;
/** Inside a URL Discord links, `_`, `-` and `#` are part of the link: escaping them would break it. */
const URL_MARKDOWN = /[\\*~`|[\]]/g;
const MASS_MENTION = /@(everyone|here)/gi;
const ZERO_WIDTH_SPACE = '\u200b';

/** Text that cannot ping everyone even where Discord would read it: a zero-width space after the `@`. */
const neutralizeMassMentions = (text: string): string => text.replace(MASS_MENTION, `@${ZERO_WIDTH_SPACE}$1`);

/**
 * Event text as Discord markdown that shows it literally: every markdown character backslash-escaped
 * (but `_ - #` inside a URL, which Discord links whole), `@everyone`/`@here` broken, lone surrogates
 * replaced.
 */
export const escapeMarkdown = (text: string): string =>
  neutralizeMassMentions(
    text
      .replace(LONE_SURROGATE, '\uFFFD')
      .replace(URL_OR_MARKDOWN, (match) =>
        match.length === 1 ? `\\${match}` : match.replace(URL_MARKDOWN, '\\$&'),
      ),
  );

/** Text inside a code block: no run of backticks can close the fence. */
const codeBlockText = (text: string): string =>
  neutralizeMassMentions(text.replace(/`/g, `\`${ZERO_WIDTH_SPACE}`));

const JSON_FENCE_OPEN = '```json\n';
const JSON_FENCE_CLOSE = '\n```';
/** The shortest data excerpt worth showing; below it the description is left out. */
const MIN_EXCERPT_CHARS = 16;

/** `data` as a JSON code block of at most `max` characters; undefined when there is none or no room. */
const dataBlock = (event: HeraldEvent, max: number): string | undefined => {
  if (event.data === undefined) return undefined;
  const room = max - JSON_FENCE_OPEN.length - JSON_FENCE_CLOSE.length;
  if (room < MIN_EXCERPT_CHARS) return undefined;
  const json = codeBlockText(JSON.stringify(event.data, null, 2));
  return `${JSON_FENCE_OPEN}${truncate(json, room)}${JSON_FENCE_CLOSE}`;
};

/** The description in at most `max` characters: the rendered text template, or the data excerpt. */
const description = (text: string | undefined, event: HeraldEvent, max: number): string | undefined => {
  if (text === undefined) return dataBlock(event, max);
  const cut = truncate(escapeMarkdown(text.trim()), max);
  return cut === '' ? undefined : cut;
};

/** A field's value, never empty (Discord refuses empty values). */
const fieldValue = (value: string): string =>
  value === '' ? '*(empty)*' : truncate(escapeMarkdown(value), EMBED_LIMITS.fieldValue);

/** The first `shown` attributes as inline fields; the rest summed up in one last field. */
const attributeFields = (attributes: readonly [string, string][], shown: number): APIEmbedField[] => {
  const fields: APIEmbedField[] = attributes.slice(0, shown).map(([name, value]) => ({
    name: truncate(escapeMarkdown(name), EMBED_LIMITS.fieldName),
    value: fieldValue(value),
    inline: true,
  }));
  const rest = attributes.slice(shown);
  if (rest.length === 0) return fields;
  const listed = rest.map(([name, value]) => `${escapeMarkdown(name)}: ${escapeMarkdown(oneLine(value))}`);
  fields.push({
    name: `and ${rest.length} more`,
    value: truncate(listed.join('\n'), EMBED_LIMITS.fieldValue),
    inline: false,
  });
  return fields;
};

export const fieldsLength = (fields: readonly APIEmbedField[]): number =>
  fields.reduce((sum, field) => sum + field.name.length + field.value.length, 0);

/** Characters an embed counts against Discord's total. */
export const embedLength = (embed: APIEmbed): number =>
  (embed.title?.length ?? 0) +
  (embed.description?.length ?? 0) +
  fieldsLength(embed.fields ?? []) +
  (embed.footer?.text.length ?? 0) +
  (embed.author?.name.length ?? 0);

/** The event time as Discord's ISO 8601 timestamp; undefined when it does not parse. */
export const timestamp = (time: string): string | undefined => {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

/** The embed's title: the rendered subject template, or the event subject. */
const title = (subject: string | undefined, event: HeraldEvent): string => {
  const text = oneLine(subject ?? '').trim() || oneLine(event.subject).trim() || event.type;
  return truncate(escapeMarkdown(text), EMBED_LIMITS.title);
};

/**
 * The embed for an event, within Discord's limits: when everything would be over the 6000-character
 * total, the description shrinks first, then attributes move into the last field, then out.
 */
const buildEmbed = (event: HeraldEvent, subject: string | undefined, text: string | undefined): APIEmbed => {
  const heading = title(subject, event);
  const footer = truncate(`${event.source} · ${event.type} · ${event.severity}`, EMBED_LIMITS.footer);
  const attributes = Object.entries(event.attributes);
  const fixed = heading.length + footer.length;
  // Over 25 attributes, the 25th field sums up the rest.
  let shown = attributes.length > EMBED_LIMITS.fields ? EMBED_LIMITS.fields - 1 : attributes.length;
  let fields = attributeFields(attributes, shown);
  while (shown > 0 && fixed + fieldsLength(fields) > EMBED_LIMITS.total) {
    shown -= 1;
    fields = attributeFields(attributes, shown);
  }
  const room = Math.min(EMBED_LIMITS.description, EMBED_LIMITS.total - fixed - fieldsLength(fields));
  const body = description(text, event, room);
  const link = eventLink(event);
  const time = timestamp(event.time);
  return {
    title: heading,
    ...(body === undefined ? {} : { description: body }),
    ...(link === undefined ? {} : { url: link }),
    ...(time === undefined ? {} : { timestamp: time }),
    color: colorNumber(SEVERITY_COLORS[event.severity]),
    ...(fields.length === 0 ? {} : { fields }),
    footer: { text: footer },
  };
};

/** The mentions for a severity as `content` (only those that fit) and the matching allowed mentions. */
export const mentionsFor = (settings: DiscordSettings, severity: Severity) => {
  const configured = settings.mentions[severity] ?? { users: [], roles: [] };
  const tags = [...configured.users.map((id) => `<@${id}>`), ...configured.roles.map((id) => `<@&${id}>`)];
  let content = '';
  for (const tag of tags) {
    const next = content === '' ? tag : `${content} ${tag}`;
    if (next.length > CONTENT_LIMIT) break;
    content = next;
  }
  return {
    content,
    allowed: { parse: [], users: [...configured.users], roles: [...configured.roles] },
  };
};

/** The webhook URL with `wait=true`, so Discord answers with a body (and errors) instead of 204. */
export const waitUrl = (webhookUrl: string): string => {
  const url = new URL(webhookUrl);
  url.searchParams.set('wait', 'true');
  return url.toString();
};

/** Builds the Execute Webhook request for one event. Pure. */
export const renderDiscord = (input: RenderInput<DiscordSettings, DiscordSecret>): DiscordMessage => {
  const { event, context, settings, secrets, template } = input;
  const herald = heraldFields(context);
  const subject =
    template?.subject === undefined ? undefined : renderTemplate(template.subject, event, herald, 'text');
  const text =
    template?.text === undefined ? undefined : renderTemplate(template.text, event, herald, 'text');
  const mentions = mentionsFor(settings, event.severity);
  return {
    url: waitUrl(secrets.webhookUrl),
    payload: {
      ...(mentions.content === '' ? {} : { content: mentions.content }),
      ...(settings.username === undefined ? {} : { username: settings.username }),
      embeds: [buildEmbed(event, subject, text)],
      allowed_mentions: mentions.allowed,
    },
  };
};

/** Discord's JSON error body: `{code, message, errors?, retry_after?, global?}`. */
const DiscordErrorBody = lazySchema(() =>
  z.object({
    code: z.number().optional(),
    message: z.string().optional(),
    errors: z.unknown().optional(),
    retry_after: z.number().nonnegative().optional(),
    global: z.boolean().optional(),
  }),
);
type DiscordErrorBody = z.infer<typeof DiscordErrorBody>;

/** Discord's error, read from the start of the body; undefined when it is not Discord's JSON. */
const readError = (response: SafeResponse): DiscordErrorBody | undefined => {
  try {
    const parsed = DiscordErrorBody.safeParse(JSON.parse(response.bodySnippet));
    if (parsed.success) return parsed.data;
  } catch {
    // The snippet is cut (or not JSON): read the code and message by pattern below.
  }
  const code = /"code"\s*:\s*(\d+)/.exec(response.bodySnippet)?.[1];
  const message = /"message"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(response.bodySnippet)?.[1];
  if (code === undefined && message === undefined) return undefined;
  return {
    ...(code === undefined ? {} : { code: Number(code) }),
    ...(message === undefined ? {} : { message }),
  };
};

/** The first problem in Discord's `errors` tree (`embeds.0.description: Must be 4096 or fewer…`). */
const firstFieldError = (errors: unknown, path: readonly string[] = []): string | undefined => {
  if (typeof errors !== 'object' || errors === null) return undefined;
  const record = errors as Record<string, unknown>;
  const listed = record._errors;
  if (Array.isArray(listed)) {
    const first: unknown = listed[0];
    const message = (first as { message?: unknown } | undefined)?.message;
    if (typeof message === 'string') return `${path.join('.')}: ${message}`;
  }
  for (const [key, child] of Object.entries(record)) {
    if (key === '_errors') continue;
    const found = firstFieldError(child, [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
};

/** Discord's error in a few words: `Invalid Form Body (code 50035; embeds.0.title: …)`. */
const errorDetail = (error: DiscordErrorBody): string => {
  const parts = [
    ...(error.code === undefined ? [] : [`code ${error.code}`]),
    ...[firstFieldError(error.errors)].filter((part) => part !== undefined),
  ];
  const detail = `${error.message ?? 'Discord error'}${parts.length === 0 ? '' : ` (${parts.join('; ')})`}`;
  return truncate(oneLine(detail), ERROR_DETAIL_CHARS);
};

/** Seconds to wait after a 429: the larger of `Retry-After` and the body's `retry_after`, rounded up. */
const rateLimitSeconds = (
  outcome: AttemptOutcome,
  error: DiscordErrorBody | undefined,
): number | undefined => {
  const header = outcome.kind === 'retry' ? outcome.retryAfterSeconds : undefined;
  const body = error?.retry_after;
  if (header === undefined && body === undefined) return undefined;
  return Math.min(Math.ceil(Math.max(header ?? 0, body ?? 0)), MAX_RETRY_AFTER_SECONDS);
};

/**
 * Reads what Discord said: a deleted webhook (404, code 10015) is gone; a 429 waits as long as Discord
 * asks; other errors carry Discord's code and message.
 */
export const refineDiscordOutcome = (outcome: AttemptOutcome, response: SafeResponse): AttemptOutcome => {
  if (outcome.kind === 'delivered') return outcome;
  const error = readError(response);
  if (error === undefined) return withBodyDetail(outcome, response);
  const detail = errorDetail(error);
  if (response.status === 404 && error.code === UNKNOWN_WEBHOOK) {
    // A deleted webhook disables the channel as a 410 does (SPEC §5).
    return {
      kind: 'gone',
      status: response.status,
      error: `Discord answered 404: ${detail}: the webhook was deleted`,
    };
  }
  if (outcome.kind === 'retry' && response.status === 429) {
    const retryAfterSeconds = rateLimitSeconds(outcome, error);
    const scope = error.global === true ? ' (global rate limit)' : '';
    return {
      kind: 'retry',
      status: 429,
      error: `${outcome.error}: ${detail}${scope}`,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    };
  }
  return { ...outcome, error: `${outcome.error}: ${detail}` };
};

/** Posts the message and classifies Discord's answer; never throws. */
export const sendDiscord = (
  message: DiscordMessage,
  transports: Pick<Transports, 'http'>,
  settings: Pick<DiscordSettings, 'timeoutMs'>,
) => sendHttp(jsonPost(message.url, message.payload, settings.timeoutMs), transports, refineDiscordOutcome);

/** The webhook's host (`discord.com`), never its path: the token is in it. */

export const discord = defineChannelType({
  type: 'discord',
  settings: DiscordSettings,
  secretFields: { webhookUrl: lazySchema(() => HttpsUrl('webhookUrl')) },
  secrets: DiscordSecret,
  templateParts: ['subject', 'text'],
  example: {
    webhookUrl: 'https://discord.com/api/webhooks/1234567890123456789/example-webhook-token',
    mentions: { critical: { users: ['123456789012345678'], roles: ['234567890123456789'] } },
    username: 'Herald',
  },
  targets: (_settings, secrets) => secretUrlTarget('webhookUrl', secrets),
  summary: (_settings, secrets) => urlHost(secrets.webhookUrl, 'webhook URL in a referenced secret'),
  render: renderDiscord,
  renderDigest: (input, digests) => digests.renderDiscordDigest(input),
  send: sendDiscord,
});
