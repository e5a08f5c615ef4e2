/**
 * The `teams` digest (SPEC §3 `digest`): one Adaptive Card per period listing its events. Loaded with
 * the other digest renderers from `digests.js` when a digest is sent, never at init.
 */
import { type Digest, digestPeriodText, digestTitle, moreText } from '../../domain/digest.ts';
import {
  DIGEST_NAME_CHARS,
  DIGEST_SUBJECT_CHARS,
  entryTimeText,
  MAX_CHAT_DIGEST_LINES,
  markupSafeLink,
} from '../digest-text.ts';
import { largestFitting } from '../text.ts';
import type { DigestRenderInput } from '../types.ts';
import {
  ADAPTIVE_CARD_SCHEMA,
  type CardElement,
  FACT_TITLE_CHARS,
  type Fact,
  fits,
  headerBand,
  inline,
  MAX_PAYLOAD_BYTES,
  META_CHARS,
  messageOf,
  SEVERITY_LOOK,
  type TeamsPayload,
  type TextBlock,
  TITLE_CHARS,
} from './card.ts';
import type { TeamsMessage, TeamsSecrets, TeamsSettings } from './index.ts';

/** Counts by type a digest card lists before "… N more types". */
const DIGEST_TYPE_FACTS = 10;

/**
 * One event of a digest as a TextBlock: `**subject** · 07 Dec 09:14 · source · [link](url)`, subject
 * and source escaped as any event text.
 */
const digestLine = (entry: Digest['entries'][number], timezone: string, first: boolean): TextBlock => {
  const link = markupSafeLink(entry.link);
  const text = [
    `**${inline(entry.subject, DIGEST_SUBJECT_CHARS)}**`,
    inline(entryTimeText(entry.time, timezone), META_CHARS),
    inline(entry.source, DIGEST_NAME_CHARS),
    ...(link === undefined ? [] : [`[link](${link})`]),
  ].join(' · ');
  return { type: 'TextBlock', text, wrap: true, spacing: 'Small', ...(first ? { separator: true } : {}) };
};

/** The digest card showing its first `shown` events, "and N more" for the rest. */
const digestCard = (digest: Digest, shown: number): TeamsPayload => {
  const look = SEVERITY_LOOK[digest.severity];
  const typeFacts: Fact[] = digest.byType.slice(0, DIGEST_TYPE_FACTS).map(({ type, count }) => ({
    title: inline(type, FACT_TITLE_CHARS),
    value: String(count),
  }));
  const hiddenTypes = digest.byType.length - typeFacts.length;
  if (hiddenTypes > 0) {
    typeFacts.push({ title: '…', value: `${hiddenTypes} more type${hiddenTypes === 1 ? '' : 's'}` });
  }
  const lines = digest.entries
    .slice(0, shown)
    .map((entry, index) => digestLine(entry, digest.period.timezone, index === 0));
  const more = digest.entries.length - lines.length;
  const body: CardElement[] = [
    headerBand(look, `${look.label} · DIGEST`, digestTitle(digest), {
      type: 'TextBlock',
      text: inline(digestPeriodText(digest), TITLE_CHARS),
      wrap: true,
      isSubtle: true,
      spacing: 'None',
    }),
    ...(typeFacts.length === 0 ? [] : [{ type: 'FactSet' as const, facts: typeFacts }]),
    {
      type: 'FactSet',
      separator: true,
      facts: digest.bySeverity.map(({ severity, count }) => ({
        title: SEVERITY_LOOK[severity].name,
        value: String(count),
      })),
    },
    ...lines,
    ...(more === 0
      ? []
      : [{ type: 'TextBlock' as const, text: moreText(more), wrap: true as const, isSubtle: true as const }]),
  ];
  return messageOf({
    $schema: ADAPTIVE_CARD_SCHEMA,
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body,
  });
};

/**
 * The message of a digest, under {@link MAX_PAYLOAD_BYTES}: a header band coloured by the digest's
 * highest severity with the title and the period, the counts by type (at most ten, then "… N more
 * types") and by severity as facts, then one TextBlock per event, newest first (at most
 * {@link MAX_CHAT_DIGEST_LINES}, as many as fit), and "and N more".
 */
export const digestPayload = (digest: Digest): TeamsPayload => {
  const most = Math.min(digest.entries.length, MAX_CHAT_DIGEST_LINES);
  const shown = largestFitting(most, (n) => fits(digestCard(digest, n)));
  return digestCard(digest, shown);
};

/**
 * Builds the card of a digest: title, period, counts by type and severity as facts, one line per
 * event (newest first) and "and N more", within the size Teams takes (see {@link digestPayload}).
 */
export const renderTeamsDigest = ({
  digest,
  secrets,
}: DigestRenderInput<TeamsSettings, TeamsSecrets>): TeamsMessage => ({
  url: secrets.webhookUrl,
  payload: digestPayload(digest),
});
