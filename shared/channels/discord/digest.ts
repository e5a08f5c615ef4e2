/**
 * The `discord` digest (SPEC §3 `digest`): one embed per period listing its events. Loaded with the
 * other digest renderers from `digests.js` when a digest is sent, never at init.
 */
import type { APIEmbed, APIEmbedField } from 'discord-api-types/v10';
import { type Digest, digestPeriodText, digestTitle, fitLines, moreText } from '../../domain/digest.ts';
import {
  DIGEST_NAME_CHARS,
  DIGEST_SUBJECT_CHARS,
  entryTimeText,
  MAX_CHAT_DIGEST_LINES,
  markupSafeLink,
} from '../digest-text.ts';
import { colorNumber, oneLine, SEVERITY_COLORS, truncate } from '../text.ts';
import type { DigestRenderInput } from '../types.ts';
import {
  type DiscordMessage,
  type DiscordSecret,
  type DiscordSettings,
  EMBED_LIMITS,
  escapeMarkdown,
  fieldsLength,
  mentionsFor,
  timestamp,
  waitUrl,
} from './index.ts';

/** Counts by type a digest lists before "and N more". */
const DIGEST_TYPE_COUNTS = 20;

/**
 * One event of a digest: `• **subject** · 07 Dec 09:14 · source · [link](url)`, subject and source
 * escaped as any event text (no markdown, no mention, no link of their own).
 */
const digestLine = (entry: Digest['entries'][number], timezone: string): string => {
  const link = markupSafeLink(entry.link);
  return [
    `• **${truncate(escapeMarkdown(oneLine(entry.subject)), DIGEST_SUBJECT_CHARS)}**`,
    escapeMarkdown(entryTimeText(entry.time, timezone)),
    truncate(escapeMarkdown(oneLine(entry.source)), DIGEST_NAME_CHARS),
    ...(link === undefined ? [] : [`[link](${link})`]),
  ].join(' · ');
};

/** The counts as two fields: by type (the most frequent first, cut with "and N more") and by severity. */
const digestCountFields = (digest: Digest): APIEmbedField[] => {
  const types = fitLines(
    digest.byType,
    ({ type, count }) => `${count} × ${truncate(escapeMarkdown(type), DIGEST_NAME_CHARS)}`,
    { maxChars: EMBED_LIMITS.fieldValue, maxLines: DIGEST_TYPE_COUNTS },
  );
  const typeLines = types.more === 0 ? types.lines : [...types.lines, moreText(types.more)];
  return [
    { name: 'By type', value: typeLines.join('\n'), inline: true },
    {
      name: 'By severity',
      value: digest.bySeverity.map(({ severity, count }) => `${count} ${severity}`).join('\n'),
      inline: true,
    },
  ];
};

/**
 * Builds the Execute Webhook request of a digest. Pure. One embed coloured by the digest's highest
 * severity: the title (`Digest: 30 events (2 error, 28 info)`), the period and one line per event in
 * the description (newest first, at most {@link MAX_CHAT_DIGEST_LINES}, within 4096 characters and the
 * embed's 6000 in all, the rest counted as "and N more"), the counts as fields. The highest
 * severity's mentions ping, as for an event of that severity.
 */
export const renderDiscordDigest = ({
  digest,
  settings,
  secrets,
}: DigestRenderInput<DiscordSettings, DiscordSecret>): DiscordMessage => {
  const heading = truncate(digestTitle(digest), EMBED_LIMITS.title);
  const fields = digestCountFields(digest);
  const footer = 'Herald digest';
  const period = `*${escapeMarkdown(digestPeriodText(digest))}*`;
  const room = Math.min(
    EMBED_LIMITS.description,
    EMBED_LIMITS.total - heading.length - fieldsLength(fields) - footer.length,
  );
  // The period and a blank line come before the lines.
  const listed = fitLines(digest.entries, (entry) => digestLine(entry, digest.period.timezone), {
    maxChars: room - period.length - 2,
    maxLines: MAX_CHAT_DIGEST_LINES,
  });
  const lines = listed.more === 0 ? listed.lines : [...listed.lines, moreText(listed.more)];
  const mentions = mentionsFor(settings, digest.severity);
  const time = timestamp(digest.period.end);
  const embed: APIEmbed = {
    title: heading,
    description: [period, '', ...lines].join('\n'),
    ...(time === undefined ? {} : { timestamp: time }),
    color: colorNumber(SEVERITY_COLORS[digest.severity]),
    fields,
    footer: { text: footer },
  };
  return {
    url: waitUrl(secrets.webhookUrl),
    payload: {
      ...(mentions.content === '' ? {} : { content: mentions.content }),
      ...(settings.username === undefined ? {} : { username: settings.username }),
      embeds: [embed],
      allowed_mentions: mentions.allowed,
    },
  };
};
