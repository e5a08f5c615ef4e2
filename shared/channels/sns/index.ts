/**
 * `sns`: a `Publish` to an SNS topic (SPEC §3). The message is the body a webhook gets (the envelope
 * plus `herald`), `type`/`severity`/`source` ride as message attributes so subscriptions can filter,
 * and the subject is what e-mail subscribers see.
 */
import * as z from 'zod';
import type { HeraldEvent } from '../../domain/event.ts';
import { lazySchema } from '../../runtime/lazy-schema.ts';
import { classifyAwsError, SNS_ERRORS } from '../aws-errors.ts';
import { fittingBody, templatedEnvelope } from '../fitting-body.ts';
import { timed } from '../http.ts';
import { oneLine } from '../text.ts';
import {
  type AttemptResult,
  type DeliveryContext,
  type DigestRenderInput,
  type DigestRendering,
  defineChannelType,
  type RenderInput,
  type Transports,
} from '../types.ts';
import { heraldFields, webhookBody } from '../webhook/index.ts';

/** The largest `Publish`: message and message attributes together, in UTF-8 bytes (SNS Publish API). */
export const MAX_PUBLISH_BYTES = 262_144;
/** SNS subjects must be "less than 100 characters long" (SNS Publish API, `Subject`). */
export const MAX_SUBJECT_CHARS = 99;

/**
 * `arn:<partition>:sns:<region>:<12-digit account>:<topic name>`. Topic names are 1 to 256 letters,
 * digits, `_` and `-`; a FIFO topic's name ends in `.fifo` (SNS CreateTopic API).
 */
const TOPIC_ARN_PATTERN =
  /^arn:(aws(?:-[a-z]+)*):sns:([a-z]{2,4}(?:-[a-z]+)+-\d{1,2}):(\d{12}):([A-Za-z0-9_-]{1,256}|[A-Za-z0-9_-]{1,251}\.fifo)$/;

/** A topic ARN's parts. */
export interface TopicArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly name: string;
  /** FIFO topics need a message group id (and a deduplication id) on every publish. */
  readonly fifo: boolean;
}

/** Reads a topic ARN; undefined when it is not one. */
export const parseTopicArn = (arn: string): TopicArn | undefined => {
  const match = TOPIC_ARN_PATTERN.exec(arn);
  if (match === null) return undefined;
  const [, partition = '', region = '', account = '', name = ''] = match;
  return { partition, region, account, name, fifo: name.endsWith('.fifo') };
};

/** Non-secret settings of an SNS channel. It has no secrets: the stack's role publishes. */
export const SnsSettings = lazySchema(() =>
  z.strictObject({
    topicArn: z
      .string()
      .regex(
        TOPIC_ARN_PATTERN,
        'topicArn must be arn:<partition>:sns:<region>:<12-digit account>:<topic name> (letters, digits, _ and -, up to 256, FIFO topics ending in .fifo)',
      ),
    /** Put before the subject as `[prefix] ` (printable ASCII: SNS subjects are ASCII). */
    subjectPrefix: z
      .string()
      .min(1)
      .max(40)
      .regex(/^[\x20-\x7E]+$/, 'subjectPrefix must be printable ASCII (SNS subjects are ASCII)')
      .optional(),
  }),
);
export type SnsSettings = z.infer<typeof SnsSettings>;

/** SNS channels keep no secrets. */
export const SnsSecrets = lazySchema(() => z.object({}));
export type SnsSecrets = z.infer<typeof SnsSecrets>;

/** The filterable message attributes every publish carries (String attributes, never empty). */
export type SnsAttributes = Readonly<Record<'type' | 'severity' | 'source', string>>;

/** One `Publish`, as `transports.sns` takes it. */
export interface SnsMessage {
  readonly topicArn: string;
  /** The webhook body: the envelope plus `herald` (JSON). */
  readonly message: string;
  /** One line of printable ASCII, at most {@link MAX_SUBJECT_CHARS} characters. */
  readonly subject: string;
  readonly attributes: SnsAttributes;
  /** FIFO topics only: the event's source, so one producer's events stay in order. */
  readonly messageGroupId?: string;
  /**
   * FIFO topics only: the delivery id, so SNS drops a retried publish that already went through
   * (within its 5-minute deduplication interval).
   */
  readonly deduplicationId?: string;
}

/** Built on first use: an `Intl.Segmenter` costs ~10 ms, paid by every cold start if built at load. */
let segmenter: Intl.Segmenter | undefined;
const graphemes = (): Intl.Segmenter => {
  segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  return segmenter;
};
const PRINTABLE_ASCII = /^[\x20-\x7E]+$/;

/** One grapheme as printable ASCII: itself, without its accents (é → e, ﬁ → fi), a space, or `?`. */
const asciiGrapheme = (grapheme: string): string => {
  if (PRINTABLE_ASCII.test(grapheme)) return grapheme;
  const plain = grapheme.normalize('NFKD').replace(/\p{M}/gu, '');
  if (PRINTABLE_ASCII.test(plain)) return plain;
  return /^\s+$/u.test(grapheme) ? ' ' : '?';
};

/**
 * The SNS `Subject`: `[prefix] <subject>` as one line of printable ASCII (accents dropped, other
 * characters `?`), trimmed so that it starts with a letter, digit or punctuation, and cut to
 * {@link MAX_SUBJECT_CHARS} with `...`. Falls back to `fallback` (the event type) when nothing is left.
 */
export const snsSubject = (subject: string, prefix: string | undefined, fallback: string): string => {
  const full = prefix === undefined ? subject : `[${prefix}] ${subject}`;
  const ascii = Array.from(graphemes().segment(oneLine(full)), ({ segment }) => asciiGrapheme(segment))
    .join('')
    .trim();
  const line = ascii === '' ? fallback : ascii;
  return line.length <= MAX_SUBJECT_CHARS ? line : `${line.slice(0, MAX_SUBJECT_CHARS - 3).trimEnd()}...`;
};

/** What the attributes add to a publish's size: each name, its data type (`String`) and its value. */
const attributeBytes = (attributes: SnsAttributes): number =>
  Object.entries(attributes).reduce(
    (total, [name, value]) => total + Buffer.byteLength(name) + 'String'.length + Buffer.byteLength(value),
    0,
  );

/**
 * The `Publish` of an envelope: its type, severity and source as attributes, `subject` (prefixed) as
 * the subject, and the message `body` makes to fit what the attributes and subject leave of
 * {@link MAX_PUBLISH_BYTES}. A FIFO topic gets the envelope's source as message group id and the
 * delivery id as deduplication id.
 */
const publishOf = (
  settings: SnsSettings,
  context: DeliveryContext,
  envelope: Pick<HeraldEvent, 'type' | 'severity' | 'source'>,
  subject: string,
  body: (budget: number) => string,
): SnsMessage => {
  const attributes: SnsAttributes = {
    type: envelope.type,
    severity: envelope.severity,
    source: envelope.source,
  };
  const subjectLine = snsSubject(subject, settings.subjectPrefix, envelope.type);
  const fifo = parseTopicArn(settings.topicArn)?.fifo === true;
  return {
    topicArn: settings.topicArn,
    message: body(MAX_PUBLISH_BYTES - attributeBytes(attributes) - subjectLine.length),
    subject: subjectLine,
    attributes,
    ...(fifo ? { messageGroupId: envelope.source, deduplicationId: context.deliveryId } : {}),
  };
};

/**
 * Builds the `Publish` for one attempt. Pure. The message is the body a webhook gets (the envelope,
 * its subject templated, plus `herald`, with the text template in `herald.text`); when message,
 * attributes and subject would pass {@link MAX_PUBLISH_BYTES}, `data` is replaced by
 * `{"truncated": true, "bytes": N}` (and then `herald.text` cut).
 */
export const renderSns = ({
  event,
  context,
  settings,
  template,
}: RenderInput<SnsSettings, SnsSecrets>): SnsMessage => {
  const { subject, text } = templatedEnvelope(event, heraldFields(context), template);
  return publishOf(settings, context, event, subject, (budget) =>
    fittingBody({ ...event, subject }, context, text, budget),
  );
};

/**
 * Builds the `Publish` of a digest. Pure. The message is the digest envelope (`herald.digest`, each
 * event with its id in `data.events`) plus `herald`, the newest events that fit, `data.more` counting
 * the rest; attributes and subject are the digest envelope's (source `herald`, severity the digest's
 * highest), so a FIFO topic groups digests under `herald`.
 */
export const renderSnsDigest = (
  { digest, context, settings }: DigestRenderInput<SnsSettings, SnsSecrets>,
  digests: Pick<DigestRendering, 'digestEvent' | 'digestTitle' | 'fittingDigestBody'>,
): SnsMessage =>
  publishOf(settings, context, digests.digestEvent(digest, 0), digests.digestTitle(digest), (budget) =>
    digests.fittingDigestBody(digest, budget, (envelope) => webhookBody(envelope, context)),
  );

/** The size SNS counts for a publish (message and attributes; the subject too, to be safe). */
export const publishBytes = (message: SnsMessage): number =>
  Buffer.byteLength(message.message) +
  attributeBytes(message.attributes) +
  Buffer.byteLength(message.subject);

/**
 * Publishes one rendered message and classifies the answer: throttling and server faults retry, a
 * deleted topic is `gone`, refused access, invalid parameters and unusable KMS keys fail. Reports the
 * `MessageId` SNS answered. Never throws.
 */
export const sendSns = (message: SnsMessage, transports: Pick<Transports, 'sns'>): Promise<AttemptResult> =>
  timed(
    async () => {
      const { messageId } = await transports.sns(message);
      return { outcome: { kind: 'delivered', status: 200 }, messageId };
    },
    (error) => classifyAwsError(error, 'SNS', SNS_ERRORS),
  );

export const sns = defineChannelType({
  type: 'sns',
  settings: SnsSettings,
  secretFields: {},
  secrets: SnsSecrets,
  templateParts: ['subject', 'text'],
  example: { topicArn: 'arn:aws:sns:eu-central-1:123456789012:ops-alerts', subjectPrefix: 'herald' },
  targets: (settings) => [{ kind: 'sns-topic', path: 'config.topicArn', value: settings.topicArn }],
  summary: (settings) => {
    const topic = parseTopicArn(settings.topicArn);
    return topic === undefined ? 'sns ?' : `sns ${topic.name} (${topic.region})`;
  },
  render: renderSns,
  renderDigest: renderSnsDigest,
  send: (message, transports) => sendSns(message, transports),
});
