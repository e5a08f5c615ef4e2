/**
 * `slack`: a Block Kit message to a Slack incoming webhook (SPEC §3). The subject and the configured
 * mentions are top-level blocks; the details ride in one attachment so the severity colour shows as its
 * bar. Every text built from event data is escaped for mrkdwn, so an event can never mention or link.
 */
import type {
  ActionsBlock,
  ContextBlock,
  HeaderBlock,
  KnownBlock,
  MrkdwnElement,
  SectionBlock,
} from '@slack/types';
import * as z from 'zod';
import { type HeraldEvent, Severity } from '../../domain/event.ts';
import type { AttemptOutcome } from '../../domain/outcome.ts';
import type { SafeResponse } from '../../http/safe-request.ts';
import { lazySchema } from '../../runtime/lazy-schema.ts';
import {
  bodyDetail,
  HttpsUrl,
  jsonPost,
  secretUrlTarget,
  sendHttp,
  urlHost,
  withBodyDetail,
} from '../http.ts';
import { TimeoutMs } from '../record.ts';
import { renderTemplate } from '../template.ts';
import { dataText, ELLIPSIS, eventLink, oneLine, SEVERITY_COLORS, truncate } from '../text.ts';
import { defineChannelType, type RenderInput, type Transports } from '../types.ts';
import { heraldFields } from '../webhook/index.ts';

/**
 * Slack's documented limits (docs.slack.dev, Block Kit reference: blocks, text object, button element;
 * chat.postMessage for `text`). Counted in UTF-16 code units, as `truncate` counts.
 */
export const SLACK_LIMITS = {
  /** Blocks in one message (top level and attachment together, to be safe). */
  blocks: 50,
  /** Header block text (plain_text). */
  headerText: 150,
  /** Section block text. */
  sectionText: 3000,
  /** One section field's text. */
  fieldText: 2000,
  /** Fields in one section block. */
  fieldsPerSection: 10,
  /** Elements in one context block. */
  contextElements: 10,
  /** Button text (plain_text). */
  buttonText: 75,
  /** Button URL. */
  buttonUrl: 3000,
  /** Top-level `text`: Slack truncates at 40 000; a notification needs far less. */
  text: 3000,
} as const;

/** Attribute fields shown at most: four sections; the rest are counted in a last field. */
const MAX_ATTRIBUTE_FIELDS = 4 * SLACK_LIMITS.fieldsPerSection;
/** Configured mentions per severity at most. */
const MAX_MENTIONS = 20;

/**
 * A Slack mention token as the settings accept it: a user (`<@U…>`, `<@W…>` on Enterprise Grid), a user
 * group (`<!subteam^S…>`) or a special mention (`<!here>`, `<!channel>`, `<!everyone>`).
 */
export const SlackMention = lazySchema(() =>
  z
    .string()
    .regex(
      /^<(?:@[UW][A-Z0-9]{2,30}|!subteam\^S[A-Z0-9]{2,30}|!here|!channel|!everyone)>$/,
      'a mention is <@U…>, <!subteam^S…>, <!here>, <!channel> or <!everyone>',
    ),
);

/** Public settings of a Slack channel, kept in the config table. */
export const SlackSettings = lazySchema(() =>
  z.strictObject({
    /** Who to mention, by the event's severity: `{"critical": ["<!subteam^S1>", "<@U1>"]}`. @default {} */
    mentions: z.partialRecord(Severity, z.array(SlackMention).min(1).max(MAX_MENTIONS)).default({}),
    /** Put before the subject in the header and the notification, such as `[prod]`. */
    prefix: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[^\r\n\u2028\u2029]*$/, 'prefix must be a single line')
      .optional(),
    timeoutMs: TimeoutMs,
  }),
);
export type SlackSettings = z.infer<typeof SlackSettings>;

/** The secret part of a Slack channel: the incoming webhook URL (its path is the credential). */
export const SlackSecrets = lazySchema(() => z.object({ webhookUrl: HttpsUrl('webhookUrl') }));
export type SlackSecrets = z.infer<typeof SlackSecrets>;

/** The attachment that carries the details and the severity colour bar. */
export interface SlackAttachment {
  readonly color: string;
  readonly blocks: KnownBlock[];
}

/** The JSON body an incoming webhook takes. */
export interface SlackPayload {
  /** Notification and fallback text (mentions included, so they notify). */
  readonly text: string;
  /** The header and the mentions. */
  readonly blocks: KnownBlock[];
  readonly attachments: readonly [SlackAttachment];
  /** Off, so no URL in an event makes Slack fetch it for a preview. */
  readonly unfurl_links: false;
  readonly unfurl_media: false;
}

/** What the Slack renderer builds: the payload and where it goes. */
export interface SlackMessage {
  readonly webhookUrl: string;
  readonly payload: SlackPayload;
}

const MRKDWN_ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Escapes Slack's control characters, so text cannot form a mention, a link or a date token. */
export const escapeMrkdwn = (text: string): string =>
  text.replace(/[&<>]/g, (char) => MRKDWN_ENTITIES[char] ?? char);

/**
 * Escapes text for mrkdwn and cuts it so that the escaped result is at most `max` code units: cut before
 * escaping, so no entity is split, and never between the halves of a surrogate pair.
 */
export const mrkdwnText = (text: string, max: number): string => {
  const escaped = escapeMrkdwn(text);
  if (escaped.length <= max) return escaped;
  const budget = max - ELLIPSIS.length;
  let used = 0;
  let end = 0;
  // Walks code points, so a surrogate pair is kept or dropped whole.
  for (const char of text) {
    const size = escapeMrkdwn(char).length;
    if (used + size > budget) break;
    used += size;
    end += char.length;
  }
  return `${escapeMrkdwn(text.slice(0, end))}${ELLIPSIS}`;
};

/** Breaks runs of backticks with a zero-width space, so data cannot close its code block. */
const fenceSafe = (text: string): string => text.replace(/`(?=`)/g, '`\u200B');

export const SEVERITY_LABELS: Readonly<Record<Severity, string>> = {
  info: 'Info',
  warning: 'Warning',
  error: 'Error',
  critical: 'Critical',
};

/** A mrkdwn text object over escaped text; `verbatim` stops Slack from linking bare URLs and names. */
export const mrkdwn = (text: string): MrkdwnElement => ({ type: 'mrkdwn', text, verbatim: true });

const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The event time as a Slack date token shown in each reader's time zone, with a UTC fallback; the
 * escaped text itself when it is not a date Slack can show.
 */
const slackDate = (time: string): string => {
  // Date.parse alone reads almost anything ("yesterday <3" is 2001): only RFC 3339 counts.
  const millis = RFC_3339.test(time) ? Date.parse(time) : Number.NaN;
  if (!Number.isFinite(millis) || millis < 0) return mrkdwnText(time, 200);
  const fallback = `${new Date(millis).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${Math.floor(millis / 1000)}^{date_short_pretty} at {time}|${fallback}>`;
};

/** Attribute fields (`*name*` over the value), at most {@link MAX_ATTRIBUTE_FIELDS}. */
const attributeFields = (attributes: Readonly<Record<string, string>>): MrkdwnElement[] => {
  const entries = Object.entries(attributes);
  const shown = entries.length > MAX_ATTRIBUTE_FIELDS ? entries.slice(0, MAX_ATTRIBUTE_FIELDS - 1) : entries;
  const fields = shown.map(([name, value]) => {
    const label = `*${mrkdwnText(name, 200)}*\n`;
    return mrkdwn(`${label}${mrkdwnText(value, SLACK_LIMITS.fieldText - label.length)}`);
  });
  if (shown.length < entries.length) {
    fields.push(mrkdwn(`*${ELLIPSIS}*\n${entries.length - shown.length} more attributes`));
  }
  return fields;
};

/** Sections of at most ten fields each. */
const fieldSections = (fields: readonly MrkdwnElement[]): SectionBlock[] => {
  const sections: SectionBlock[] = [];
  for (let start = 0; start < fields.length; start += SLACK_LIMITS.fieldsPerSection) {
    sections.push({ type: 'section', fields: fields.slice(start, start + SLACK_LIMITS.fieldsPerSection) });
  }
  return sections;
};

/** `data` as a code block, within a section's limit. */
const dataSection = (event: HeraldEvent): SectionBlock | undefined => {
  if (event.data === undefined) return undefined;
  const fence = '```';
  const inner = SLACK_LIMITS.sectionText - 2 * (fence.length + 1);
  const json = fenceSafe(dataText(event, SLACK_LIMITS.sectionText));
  return { type: 'section', text: mrkdwn(`${fence}\n${mrkdwnText(json, inner)}\n${fence}`) };
};

/** A button to the event's link, when it has one Slack accepts. */
const linkActions = (event: HeraldEvent): ActionsBlock | undefined => {
  const link = eventLink(event);
  if (link === undefined || link.length > SLACK_LIMITS.buttonUrl) return undefined;
  return {
    type: 'actions',
    elements: [
      {
        type: 'button',
        action_id: 'herald-open-link',
        text: { type: 'plain_text', text: truncate(`Open ${new URL(link).host}`, SLACK_LIMITS.buttonText) },
        url: link,
      },
    ],
  };
};

/** Severity, type, source and time, in small print under the details. */
const contextBlock = (event: HeraldEvent): ContextBlock => ({
  type: 'context',
  elements: [
    mrkdwn(`*${SEVERITY_LABELS[event.severity]}*`),
    mrkdwn(`\`${mrkdwnText(event.type, 200)}\``),
    mrkdwn(`from *${mrkdwnText(event.source, 200)}*`),
    mrkdwn(slackDate(event.time)),
  ],
});

/** Builds the Slack message for one attempt. Pure. */
export const renderSlack = (input: RenderInput<SlackSettings, SlackSecrets>): SlackMessage => {
  const { event, context, settings, secrets, template } = input;
  const herald = heraldFields(context);
  const templated =
    template?.subject === undefined ? '' : renderTemplate(template.subject, event, herald, 'text');
  // Slack refuses an empty header: a template that renders blank falls back to the subject, then the type.
  const subject = oneLine([templated, event.subject, event.type].find((text) => text.trim() !== '') ?? '');
  const title = settings.prefix === undefined ? subject : `${settings.prefix} ${subject}`;
  const description =
    template?.text === undefined ? '' : renderTemplate(template.text, event, herald, 'text');
  const mentions = settings.mentions[event.severity] ?? [];

  const header: HeaderBlock = {
    type: 'header',
    text: { type: 'plain_text', text: truncate(title, SLACK_LIMITS.headerText) },
  };
  const mentionSection: SectionBlock[] =
    mentions.length === 0 ? [] : [{ type: 'section', text: { type: 'mrkdwn', text: mentions.join(' ') } }];
  const descriptionSection: SectionBlock[] =
    description.trim() === ''
      ? []
      : [{ type: 'section', text: mrkdwn(mrkdwnText(description, SLACK_LIMITS.sectionText)) }];
  const details: KnownBlock[] = [
    ...descriptionSection,
    ...fieldSections(attributeFields(event.attributes)),
    ...[dataSection(event), linkActions(event)].filter((block) => block !== undefined),
    contextBlock(event),
  ];
  const mentionText = mentions.length === 0 ? '' : `${mentions.join(' ')} `;

  return {
    webhookUrl: secrets.webhookUrl,
    payload: {
      text: `${mentionText}${mrkdwnText(title, SLACK_LIMITS.text - mentionText.length)}`,
      blocks: [header, ...mentionSection],
      attachments: [{ color: SEVERITY_COLORS[event.severity], blocks: details }],
      unfurl_links: false,
      unfurl_media: false,
    },
  };
};

/** What Slack answers when the webhook or its channel is gone for good: the channel gets disabled. */
const GONE_ANSWERS = new Set([
  'no_service',
  'no_team',
  'team_disabled',
  'channel_not_found',
  'channel_is_archived',
]);

/**
 * Reads Slack's plain-text error word (`invalid_blocks`, `no_service`…) into the reason, and treats a
 * removed webhook, workspace or channel as `gone`.
 */
export const refineSlackOutcome = (outcome: AttemptOutcome, response: SafeResponse): AttemptOutcome => {
  if (outcome.kind === 'delivered') return outcome;
  const answer = bodyDetail(response);
  if (response.status >= 400 && response.status < 500 && GONE_ANSWERS.has(answer)) {
    // A deleted or archived target disables the channel as a 410 does (SPEC §5).
    return {
      kind: 'gone',
      status: response.status,
      error: `receiver answered ${response.status}: ${answer}`,
    };
  }
  return withBodyDetail(outcome, response);
};

/** Posts a rendered message to its webhook and classifies Slack's answer; never throws. */
export const sendSlack = (
  message: SlackMessage,
  transports: Pick<Transports, 'http'>,
  settings: SlackSettings,
) =>
  sendHttp(jsonPost(message.webhookUrl, message.payload, settings.timeoutMs), transports, refineSlackOutcome);

/** Where an inline webhook URL points (its host only: the path is the secret). */

export const slack = defineChannelType({
  type: 'slack',
  settings: SlackSettings,
  secretFields: { webhookUrl: lazySchema(() => HttpsUrl('webhookUrl')) },
  secrets: SlackSecrets,
  templateParts: ['subject', 'text'],
  example: {
    webhookUrl: 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
    mentions: { critical: ['<!subteam^S0123ABCD>', '<!here>'], error: ['<@U0123ABCD>'] },
    prefix: '[prod]',
  },
  targets: (_settings, secrets) => secretUrlTarget('webhookUrl', secrets),
  summary: (_settings, secrets) => urlHost(secrets.webhookUrl, 'webhook URL in a referenced secret'),
  render: renderSlack,
  renderDigest: (input, digests) => digests.renderSlackDigest(input),
  send: sendSlack,
});
