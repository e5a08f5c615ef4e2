/**
 * The Adaptive Card a `teams` channel posts, built without I/O. Teams renders cards up to schema 1.5;
 * Herald writes 1.4 and only these elements of it: `Container` (`style`, `bleed`, `items`),
 * `TextBlock` (`text`, `wrap`, `weight`, `size`, `color`, `fontType`, `isSubtle`, `spacing`,
 * `separator`), `FactSet` (`facts` of `title`/`value`, `separator`) and `Action.OpenUrl` (`title`,
 * `url`), plus Teams' own `msteams.width`.
 */
import { type HeraldEvent, jsonBytes, type Severity } from '../../domain/event.ts';
import { eventLink, largestFitting, oneLine, truncate } from '../text.ts';

/**
 * Largest message Herald posts, in bytes of JSON. Teams refuses messages over 28 KB ("Limits and
 * specifications for Teams", incoming webhooks); Workflows wrap the card again before posting, so
 * Herald keeps 4 KiB of headroom.
 */
export const MAX_PAYLOAD_BYTES = 24 * 1024;
/** The title: no longer than an event's own subject may be (SPEC §1). */
export const TITLE_CHARS = 256;
/** The templated description, before it is cut further to fit the message. */
export const TEXT_CHARS = 4000;
/** The `data` excerpt, before it is cut further to fit the message. */
export const DATA_CHARS = 4000;
/** An attribute value (SPEC §1 allows 256) and an attribute name (64). */
const FACT_VALUE_CHARS = 256;
export const FACT_TITLE_CHARS = 64;
/** Source and type are at most 128 characters (SPEC §1); time is an RFC 3339 string. */
export const META_CHARS = 128;

export const ADAPTIVE_CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/** `TextBlock.color` values (Adaptive Cards 1.0). */
export type TextColor = 'Accent' | 'Warning' | 'Attention';
/** `Container.style` values (Adaptive Cards 1.2). */
export type ContainerStyle = 'accent' | 'warning' | 'attention';

export interface TextBlock {
  readonly type: 'TextBlock';
  readonly text: string;
  readonly wrap: true;
  readonly weight?: 'Bolder';
  readonly size?: 'Small' | 'Medium';
  readonly color?: TextColor;
  readonly fontType?: 'Monospace';
  readonly isSubtle?: true;
  readonly spacing?: 'None' | 'Small';
  readonly separator?: true;
}

export interface Fact {
  readonly title: string;
  readonly value: string;
}

export interface FactSet {
  readonly type: 'FactSet';
  readonly facts: readonly Fact[];
  readonly separator?: true;
}

export interface Container {
  readonly type: 'Container';
  readonly style: ContainerStyle;
  readonly bleed: true;
  readonly items: readonly TextBlock[];
}

export type CardElement = Container | TextBlock | FactSet;

export interface OpenUrlAction {
  readonly type: 'Action.OpenUrl';
  readonly title: string;
  readonly url: string;
}

export interface AdaptiveCard {
  readonly $schema: typeof ADAPTIVE_CARD_SCHEMA;
  readonly type: 'AdaptiveCard';
  readonly version: '1.4';
  readonly msteams: { readonly width: 'Full' };
  readonly body: readonly CardElement[];
  readonly actions?: readonly OpenUrlAction[];
}

/** The message body Workflows ("Send webhook alerts to a channel") and incoming webhooks accept. */
export interface TeamsPayload {
  readonly type: 'message';
  readonly attachments: readonly [
    {
      readonly contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE;
      readonly contentUrl: null;
      readonly content: AdaptiveCard;
    },
  ];
}

/** How each severity looks: the header band's style, its label's colour and words. */
export const SEVERITY_LOOK: Readonly<
  Record<Severity, { style: ContainerStyle; color: TextColor; label: string; name: string }>
> = {
  info: { style: 'accent', color: 'Accent', label: 'INFO', name: 'Info' },
  warning: { style: 'warning', color: 'Warning', label: 'WARNING', name: 'Warning' },
  error: { style: 'attention', color: 'Attention', label: 'ERROR', name: 'Error' },
  critical: { style: 'attention', color: 'Attention', label: 'CRITICAL', name: 'Critical' },
};

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Characters that start or end inline markup anywhere in a line (CommonMark, as TextBlocks read it). */
const INLINE_MARKUP = /[\\`*_~[\]()<>#&]/g;
/** A list item, thematic break or setext underline at the start of a line. */
const BLOCK_MARKER = /^([ \t]*)([-+=])/gm;
const ORDERED_MARKER = /^([ \t]*\d+)\./gm;

/**
 * Escapes text for a TextBlock or Fact so that it shows as written: no emphasis, links, autolinks,
 * lists, headings, code or entities, and no `{{DATE(…)}}` functions (their parenthesis is escaped).
 * Lone surrogates become U+FFFD.
 */
export const escapeMarkdown = (text: string): string =>
  text
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(INLINE_MARKUP, '\\$&')
    .replace(BLOCK_MARKER, '$1\\$2')
    .replace(ORDERED_MARKER, '$1\\.');

/** What a blank value shows instead (a TextBlock or Fact with no visible text renders as nothing). */
const BLANK = '—';

/** A single-line value: line breaks become spaces, cut to `max`, then escaped; never blank. */
export const inline = (text: string, max: number): string =>
  text.trim() === '' ? BLANK : escapeMarkdown(truncate(oneLine(text), max));

/**
 * Multi-line text: cut to `max`, escaped, and each line break made a paragraph break (a single line
 * break inside a TextBlock paragraph renders as a space).
 */
const paragraphs = (text: string, max: number): string =>
  truncate(text, max)
    .replace(/\r\n?/g, '\n')
    .split(/\n+/)
    // Trimmed before escaping, so what starts a line once trimmed is escaped as a line start.
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map(escapeMarkdown)
    .join('\n\n');

/** `data` as one line of JSON with a space after each separator (indentation would be lost anyway). */
export const compactData = (data: HeraldEvent['data']): string | undefined =>
  data === undefined ? undefined : JSON.stringify(data, null, 1).replace(/\n\s*/g, ' ');

/** What goes on a card, before it is cut to fit. */
export interface CardContent {
  readonly severity: Severity;
  /** The subject, or the rendered subject template. */
  readonly title: string;
  /** The rendered text template, if the channel has one. */
  readonly text: string | undefined;
  readonly attributes: readonly (readonly [string, string])[];
  readonly source: string;
  readonly type: string;
  readonly time: string;
  /** `data` as {@link compactData} wrote it. */
  readonly data: string | undefined;
  readonly link: string | undefined;
}

/** How much of the variable parts a card shows. */
interface Allowance {
  readonly dataChars: number;
  readonly attributes: number;
  readonly textChars: number;
}

const attributeFacts = (content: CardContent, shown: number): Fact[] => {
  const facts = content.attributes.slice(0, shown).map(([key, value]) => ({
    title: inline(key, FACT_TITLE_CHARS),
    value: inline(value, FACT_VALUE_CHARS),
  }));
  const hidden = content.attributes.length - facts.length;
  if (hidden > 0) {
    facts.push({ title: '…', value: `${hidden} more attribute${hidden === 1 ? '' : 's'} not shown` });
  }
  return facts;
};

/** The coloured band a card opens with: the severity's label, the title, and what else the card adds. */
export const headerBand = (
  look: (typeof SEVERITY_LOOK)[keyof typeof SEVERITY_LOOK],
  label: string,
  title: string,
  ...more: TextBlock[]
): Container => ({
  type: 'Container',
  style: look.style,
  bleed: true,
  items: [
    { type: 'TextBlock', text: label, wrap: true, weight: 'Bolder', size: 'Small', color: look.color },
    {
      type: 'TextBlock',
      text: inline(title, TITLE_CHARS),
      wrap: true,
      weight: 'Bolder',
      size: 'Medium',
      spacing: 'Small',
    },
    ...more,
  ],
});

/** The message around a card. */
export const messageOf = (card: AdaptiveCard): TeamsPayload => ({
  type: 'message',
  attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: card }],
});

const buildPayload = (content: CardContent, allowance: Allowance): TeamsPayload => {
  const look = SEVERITY_LOOK[content.severity];
  const body: CardElement[] = [headerBand(look, look.label, content.title)];
  const text = content.text === undefined ? '' : paragraphs(content.text, allowance.textChars);
  if (text !== '') body.push({ type: 'TextBlock', text, wrap: true });
  const attributes = attributeFacts(content, allowance.attributes);
  if (attributes.length > 0) body.push({ type: 'FactSet', facts: attributes });
  body.push({
    type: 'FactSet',
    separator: true,
    facts: [
      { title: 'Source', value: inline(content.source, META_CHARS) },
      { title: 'Type', value: inline(content.type, META_CHARS) },
      { title: 'Severity', value: look.name },
      { title: 'Time', value: inline(content.time, META_CHARS) },
    ],
  });
  if (content.data !== undefined && allowance.dataChars > 0) {
    body.push({
      type: 'TextBlock',
      text: inline(content.data, allowance.dataChars),
      wrap: true,
      fontType: 'Monospace',
      size: 'Small',
      isSubtle: true,
      separator: true,
    });
  }
  const card: AdaptiveCard = {
    $schema: ADAPTIVE_CARD_SCHEMA,
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body,
    ...(content.link === undefined
      ? {}
      : { actions: [{ type: 'Action.OpenUrl', title: 'Open', url: content.link }] }),
  };
  return messageOf(card);
};

export const fits = (payload: TeamsPayload): boolean => jsonBytes(payload) <= MAX_PAYLOAD_BYTES;

/**
 * The message for a card's content, under {@link MAX_PAYLOAD_BYTES}: when too big, the `data` excerpt
 * is cut first (down to nothing), then attributes are left out from the last, then the description.
 * What remains (title and source, type, severity, time) always fits.
 */
export const teamsPayload = (content: CardContent): TeamsPayload => {
  let allowance: Allowance = {
    dataChars: DATA_CHARS,
    attributes: content.attributes.length,
    textChars: TEXT_CHARS,
  };
  const steps: ((n: number) => Allowance)[] = [
    (dataChars) => ({ ...allowance, dataChars }),
    (attributes) => ({ ...allowance, attributes }),
    (textChars) => ({ ...allowance, textChars }),
  ];
  const maxima = [DATA_CHARS, content.attributes.length, TEXT_CHARS];
  for (const [index, step] of steps.entries()) {
    const payload = buildPayload(content, allowance);
    if (fits(payload)) return payload;
    allowance = step(largestFitting(maxima[index] ?? 0, (n) => fits(buildPayload(content, step(n)))));
  }
  return buildPayload(content, allowance);
};

/** The card content for an event, with the channel's rendered subject and text when it has them. */
export const cardContent = (
  event: HeraldEvent,
  title: string | undefined,
  text: string | undefined,
): CardContent => ({
  severity: event.severity,
  title:
    [title, event.subject].find((candidate) => candidate !== undefined && candidate.trim() !== '') ??
    event.type,
  text,
  attributes: Object.entries(event.attributes),
  source: event.source,
  type: event.type,
  time: event.time,
  data: compactData(event.data),
  link: eventLink(event),
});
