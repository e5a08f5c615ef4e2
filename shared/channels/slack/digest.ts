/**
 * The `slack` digest (SPEC §3 `digest`): one Block Kit message per period listing its events. Loaded
 * with the other digest renderers from `digests.js` when a digest is sent, never at init.
 */
import type { ContextBlock, HeaderBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import { type Digest, digestPeriodText, digestTitle, fitLines, moreText } from '../../domain/digest.ts';
import {
  DIGEST_NAME_CHARS,
  DIGEST_SUBJECT_CHARS,
  entryTimeText,
  MAX_CHAT_DIGEST_LINES,
  markupSafeLink,
  packLines,
} from '../digest-text.ts';
import { oneLine, SEVERITY_COLORS, truncate } from '../text.ts';
import type { DigestRenderInput } from '../types.ts';
import {
  mrkdwn,
  mrkdwnText,
  SEVERITY_LABELS,
  SLACK_LIMITS,
  type SlackMessage,
  type SlackSecrets,
  type SlackSettings,
} from './index.ts';

/** Counts by type a digest lists before "and N more". */
const DIGEST_TYPE_COUNTS = 20;

/** A digest's counts as two fields: by type (the most frequent first) and by severity. */
const digestCountFields = (digest: Digest): MrkdwnElement[] => {
  const typeLabel = '*By type*\n';
  const types = fitLines(digest.byType, ({ type, count }) => `${count} × \`${mrkdwnText(type, 128)}\``, {
    maxChars: SLACK_LIMITS.fieldText - typeLabel.length,
    maxLines: DIGEST_TYPE_COUNTS,
  });
  const typeLines = types.more === 0 ? types.lines : [...types.lines, moreText(types.more)];
  const severities = digest.bySeverity.map(({ severity, count }) => `${count} ${SEVERITY_LABELS[severity]}`);
  return [mrkdwn(`${typeLabel}${typeLines.join('\n')}`), mrkdwn(`*By severity*\n${severities.join('\n')}`)];
};

/**
 * One event of a digest: `• subject · 07 Dec 09:14 · source · link`. Subject and source are escaped
 * as any event text (they can never mention or link); the link is the event's own, when it is a URL
 * that cannot break out of its `<url|link>`.
 */
const digestLine = (entry: Digest['entries'][number], timezone: string): string => {
  const link = markupSafeLink(entry.link);
  return [
    `• ${mrkdwnText(oneLine(entry.subject), DIGEST_SUBJECT_CHARS)}`,
    mrkdwnText(entryTimeText(entry.time, timezone), 64),
    mrkdwnText(oneLine(entry.source), DIGEST_NAME_CHARS),
    ...(link === undefined ? [] : [`<${link.replace(/&/g, '&amp;')}|link>`]),
  ].join(' · ');
};

/**
 * Builds the Slack message of a digest. Pure. The header is the title (`[prefix] Digest: 30 events
 * (2 error, 28 info)`), the highest severity's mentions follow it; the attachment (coloured by that
 * severity) holds the period, the counts by type and severity, then one line per event, newest first,
 * in sections of at most 3000 characters, at most {@link MAX_CHAT_DIGEST_LINES} lines and 50 blocks in
 * all, the rest counted as "and N more".
 */
export const renderSlackDigest = ({
  digest,
  settings,
  secrets,
}: DigestRenderInput<SlackSettings, SlackSecrets>): SlackMessage => {
  const title = digestTitle(digest);
  const heading = settings.prefix === undefined ? title : `${settings.prefix} ${title}`;
  const mentions = settings.mentions[digest.severity] ?? [];
  const header: HeaderBlock = {
    type: 'header',
    text: { type: 'plain_text', text: truncate(heading, SLACK_LIMITS.headerText) },
  };
  const mentionSection: SectionBlock[] =
    mentions.length === 0 ? [] : [{ type: 'section', text: { type: 'mrkdwn', text: mentions.join(' ') } }];
  const period: ContextBlock = {
    type: 'context',
    elements: [mrkdwn(mrkdwnText(digestPeriodText(digest), SLACK_LIMITS.sectionText))],
  };
  const counts: SectionBlock = { type: 'section', fields: digestCountFields(digest) };
  // Header, mentions, period, counts and the "and N more" line take their blocks first.
  const fixedBlocks = 1 + mentionSection.length + 3;
  const { chunks, more } = packLines(digest.entries, (entry) => digestLine(entry, digest.period.timezone), {
    maxChunks: SLACK_LIMITS.blocks - fixedBlocks,
    maxChunkChars: SLACK_LIMITS.sectionText,
    maxLines: MAX_CHAT_DIGEST_LINES,
  });
  const lines: SectionBlock[] = chunks.map((chunk) => ({ type: 'section', text: mrkdwn(chunk) }));
  const rest: ContextBlock[] =
    more === 0 ? [] : [{ type: 'context', elements: [mrkdwn(`_${moreText(more)}_`)] }];
  const mentionText = mentions.length === 0 ? '' : `${mentions.join(' ')} `;
  return {
    webhookUrl: secrets.webhookUrl,
    payload: {
      text: `${mentionText}${mrkdwnText(heading, SLACK_LIMITS.text - mentionText.length)}`,
      blocks: [header, ...mentionSection],
      attachments: [{ color: SEVERITY_COLORS[digest.severity], blocks: [period, counts, ...lines, ...rest] }],
      unfurl_links: false,
      unfurl_media: false,
    },
  };
};
