/**
 * `sqs`: a `SendMessage` to an SQS queue, in this account or another (SPEC §3). The body is what a
 * webhook gets (the envelope plus `herald`), `type`/`severity`/`source` ride as message attributes, and
 * a FIFO queue gets a message group (a template, default the event source) and the delivery id as
 * deduplication id, so a retried attempt never lands twice within SQS's five-minute window.
 */
import * as z from 'zod';
import type { HeraldEvent } from '../../domain/event.ts';
import { lazySchema } from '../../runtime/lazy-schema.ts';
import { classifySendError, SQS_ERRORS } from '../aws-errors.ts';
import { checkRole, ExternalId, REGION, RoleArn, roleOf, roleSummary, roleTargets } from '../aws-role.ts';
import { fittingBody, templatedEnvelope } from '../fitting-body.ts';
import { timed } from '../http.ts';
import { renderTemplate, type TemplateDelivery, TemplateText } from '../template.ts';
import { oneLine } from '../text.ts';
import {
  type AssumedRole,
  type AttemptResult,
  type DeliveryContext,
  type DigestRenderInput,
  type DigestRendering,
  defineChannelType,
  type RenderInput,
  type Transports,
} from '../types.ts';
import { heraldFields, webhookBody } from '../webhook/index.ts';

/**
 * The largest message Herald sends: body and message attributes together, in UTF-8 bytes. SQS took
 * 256 KiB until 2025 and takes up to 1 MiB since, but a queue's `MaximumMessageSize` may be set lower:
 * 256 KiB is what queues made before then (and most templates) still accept.
 */
export const MAX_MESSAGE_BYTES = 262_144;
/** SQS message group ids: 1 to 128 characters of letters, digits and punctuation (SendMessage API). */
export const MAX_GROUP_ID_CHARS = 128;

/** The group id template when none is set: the event source, so one producer's events stay in order. */
export const DEFAULT_GROUP_ID_TEMPLATE = '{{source}}';

const QUEUE_NAME = /^(?:[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$/;
const QUEUE_PATH = /^\/(\d{12})\/([^/]+)$/;
/** SQS endpoints: `sqs.<region>.amazonaws.com`, FIPS, dual-stack, and the legacy `<region>.queue…`. */
const SQS_HOSTS: readonly RegExp[] = [
  new RegExp(`^sqs(?:-fips)?\\.(${REGION})\\.amazonaws\\.com(?:\\.cn)?$`),
  new RegExp(`^sqs(?:-fips)?\\.(${REGION})\\.api\\.aws$`),
  new RegExp(`^(${REGION})\\.queue\\.amazonaws\\.com(?:\\.cn)?$`),
];

/** A queue URL's parts. */
export interface QueueUrl {
  readonly partition: string;
  /** The region the URL names; undefined for an emulator's URL (`http://localhost:4566/<account>/<name>`). */
  readonly region: string | undefined;
  readonly account: string;
  readonly name: string;
  /** FIFO queues need a message group id (and Herald sends a deduplication id) on every message. */
  readonly fifo: boolean;
  /** Whether the host is an SQS endpoint; other hosts are emulators (local stacks only). */
  readonly aws: boolean;
}

const regionOfHost = (host: string): string | undefined => {
  if (host === 'queue.amazonaws.com') return 'us-east-1';
  for (const pattern of SQS_HOSTS) {
    const region = pattern.exec(host)?.[1];
    if (region !== undefined) return region;
  }
  return undefined;
};

const partitionOf = (host: string, region: string | undefined): string =>
  host.endsWith('.cn') || region?.startsWith('cn-') === true
    ? 'aws-cn'
    : region?.startsWith('us-gov-') === true
      ? 'aws-us-gov'
      : 'aws';

/**
 * Reads a queue URL, `https://sqs.<region>.amazonaws.com/<12-digit account>/<queue name>` (or another
 * SQS endpoint form; an emulator's `http://host:port/<account>/<name>` reads with no region and
 * `aws: false`); undefined when it is not one.
 */
export const parseQueueUrl = (url: string): QueueUrl | undefined => {
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  if (parsed.username !== '' || parsed.password !== '' || parsed.search !== '' || parsed.hash !== '') {
    return undefined;
  }
  const [, account = '', name = ''] = QUEUE_PATH.exec(parsed.pathname) ?? [];
  if (!QUEUE_NAME.test(name)) return undefined;
  const host = parsed.hostname.toLowerCase();
  const region = regionOfHost(host);
  const aws = region !== undefined && parsed.protocol === 'https:' && parsed.port === '';
  return {
    partition: partitionOf(host, region),
    region: aws ? region : undefined,
    account,
    name,
    fifo: name.endsWith('.fifo'),
    aws,
  };
};

/** The queue's ARN, for IAM and the stack's `sqsQueueArns`; `region` stands in when the URL has none. */
export const queueArn = (queue: QueueUrl, region: string): string =>
  `arn:${queue.partition}:sqs:${queue.region ?? region}:${queue.account}:${queue.name}`;

/** Public settings of an SQS channel. It has no secrets: a role (its own or `roleArn`) sends. */
export const SqsSettings = lazySchema(() =>
  z.strictObject({
    queueUrl: z
      .string()
      .max(2048)
      .refine(
        (url) => parseQueueUrl(url) !== undefined,
        'queueUrl must be a queue URL, https://sqs.<region>.amazonaws.com/<12-digit account>/<queue name> (letters, digits, _ and -, up to 80, FIFO queues ending in .fifo)',
      ),
    /** A role to assume for sending (another account's queue); default the function's own role. */
    roleArn: RoleArn.optional(),
    /** `ExternalId` for `AssumeRole`, when the role's trust policy asks for one. */
    externalId: ExternalId.optional(),
    /**
     * FIFO queues: a template over the envelope for the message group id (letters, digits and
     * punctuation, at most 128 characters; others become `_`).
     * @default '{{source}}'
     */
    messageGroupId: TemplateText(1024).optional(),
  }),
);
export type SqsSettings = z.infer<typeof SqsSettings>;

/** SQS channels keep no secrets. */
export const SqsSecrets = lazySchema(() => z.object({}));
export type SqsSecrets = z.infer<typeof SqsSecrets>;

/** The message attributes every message carries (String attributes, never empty). */
export type SqsAttributes = Readonly<Record<'type' | 'severity' | 'source', string>>;

/** One `SendMessage`, as `transports.sqs` takes it. */
export interface SqsMessage {
  readonly queueUrl: string;
  /** The queue's region, from its URL (undefined for an emulator's URL: the function's region). */
  readonly region?: string;
  /** The webhook body: the envelope plus `herald` (JSON). */
  readonly body: string;
  readonly attributes: SqsAttributes;
  /** FIFO queues only: the rendered group id template. */
  readonly messageGroupId?: string;
  /** FIFO queues only: the delivery id, so SQS drops a retried send that already went through. */
  readonly deduplicationId?: string;
  /** The role to send as; absent: the function's own. */
  readonly role?: AssumedRole;
}

/** What the attributes add to a message's size: each name, its data type (`String`) and its value. */
const attributeBytes = (attributes: SqsAttributes): number =>
  Object.entries(attributes).reduce(
    (total, [name, value]) => total + Buffer.byteLength(name) + 'String'.length + Buffer.byteLength(value),
    0,
  );

/**
 * U+FFFE and U+FFFF are valid in JSON strings but outside the characters SQS takes in a body: written
 * as JSON escapes they read back the same.
 */
const sqsSafe = (json: string): string =>
  json.replace(/[\uFFFE\uFFFF]/g, (char) => `\\u${char.charCodeAt(0).toString(16)}`);

/** Characters SQS takes in a group id: letters, digits and ASCII punctuation. */
const NOT_GROUP_ID = /[^\x21-\x7E]/g;

/**
 * The message group id: the template rendered over the event, characters SQS does not take replaced
 * by `_`, cut to {@link MAX_GROUP_ID_CHARS}; the event source when it renders empty.
 */
export const messageGroupIdOf = (template: string, event: HeraldEvent, herald: TemplateDelivery): string => {
  const rendered = oneLine(renderTemplate(template, event, herald, 'text')).trim();
  return rendered === '' ? event.source : rendered.replace(NOT_GROUP_ID, '_').slice(0, MAX_GROUP_ID_CHARS);
};

/**
 * The `SendMessage` of an envelope: its type, severity and source as attributes, and the body `body`
 * makes to fit what the attributes leave of {@link MAX_MESSAGE_BYTES}. A FIFO queue gets the group id
 * template's value over the envelope and the delivery id as deduplication id.
 */
const sendMessageOf = (
  settings: SqsSettings,
  context: DeliveryContext,
  envelope: HeraldEvent,
  body: (budget: number) => string,
): SqsMessage => {
  const attributes: SqsAttributes = {
    type: envelope.type,
    severity: envelope.severity,
    source: envelope.source,
  };
  const queue = parseQueueUrl(settings.queueUrl);
  const role = roleOf(settings);
  return {
    queueUrl: settings.queueUrl,
    ...(queue?.region === undefined ? {} : { region: queue.region }),
    body: body(MAX_MESSAGE_BYTES - attributeBytes(attributes)),
    attributes,
    ...(queue?.fifo === true
      ? {
          messageGroupId: messageGroupIdOf(
            settings.messageGroupId ?? DEFAULT_GROUP_ID_TEMPLATE,
            envelope,
            heraldFields(context),
          ),
          deduplicationId: context.deliveryId,
        }
      : {}),
    ...(role === undefined ? {} : { role }),
  };
};

/**
 * Builds the `SendMessage` for one attempt. Pure. The body is what a webhook gets (the envelope, its
 * subject templated, plus `herald`, with the text template in `herald.text`); when body and attributes
 * would pass {@link MAX_MESSAGE_BYTES}, `data` is replaced by `{"truncated": true, "bytes": N}` (and
 * then `herald.text` cut).
 */
export const renderSqs = ({
  event,
  context,
  settings,
  template,
}: RenderInput<SqsSettings, SqsSecrets>): SqsMessage => {
  const { subject, text } = templatedEnvelope(event, heraldFields(context), template);
  return sendMessageOf(settings, context, event, (budget) =>
    fittingBody({ ...event, subject }, context, text, budget, sqsSafe),
  );
};

/**
 * Builds the `SendMessage` of a digest. Pure. The body is the digest envelope (`herald.digest`, each
 * event with its id in `data.events`) plus `herald`, the newest events that fit, `data.more` counting
 * the rest; attributes are the digest envelope's (source `herald`), and a FIFO queue's group id
 * template is rendered over it (so the default `{{source}}` groups digests under `herald`).
 */
export const renderSqsDigest = (
  { digest, context, settings }: DigestRenderInput<SqsSettings, SqsSecrets>,
  digests: Pick<DigestRendering, 'digestEvent' | 'fittingDigestBody'>,
): SqsMessage =>
  sendMessageOf(settings, context, digests.digestEvent(digest, 0), (budget) =>
    digests.fittingDigestBody(digest, budget, (envelope) => sqsSafe(webhookBody(envelope, context))),
  );

/** The size SQS counts for a message: body and attributes. */
export const messageBytes = (message: SqsMessage): number =>
  Buffer.byteLength(message.body) + attributeBytes(message.attributes);

/**
 * Sends one rendered message and classifies the answer: throttling (KMS's too) and server faults
 * retry, a queue that does not exist is `gone`, refused access (by SQS, KMS or the role's trust
 * policy) and invalid messages fail. Reports the `MessageId` SQS answered. Never throws.
 */
export const sendSqs = (message: SqsMessage, transports: Pick<Transports, 'sqs'>): Promise<AttemptResult> =>
  timed(
    async () => {
      const { messageId } = await transports.sqs(message);
      return { outcome: { kind: 'delivered', status: 200 }, messageId };
    },
    (error) => classifySendError(error, 'SQS', SQS_ERRORS),
  );

export const sqs = defineChannelType({
  type: 'sqs',
  settings: SqsSettings,
  secretFields: {},
  secrets: SqsSecrets,
  templateParts: ['subject', 'text'],
  example: {
    queueUrl: 'https://sqs.eu-central-1.amazonaws.com/210987654321/platform-events.fifo',
    roleArn: 'arn:aws:iam::210987654321:role/herald-sender',
    externalId: 'herald-ops',
    messageGroupId: '{{attributes.tenant}}',
  },
  check: (settings) => [
    ...checkRole(settings),
    ...(settings.messageGroupId !== undefined && parseQueueUrl(settings.queueUrl)?.fifo === false
      ? [
          {
            path: 'messageGroupId',
            message: 'messageGroupId applies to FIFO queues only (queue names ending in .fifo)',
          },
        ]
      : []),
  ],
  targets: (settings) => [
    { kind: 'sqs-queue', path: 'config.queueUrl', value: settings.queueUrl },
    ...roleTargets(settings),
  ],
  summary: (settings) => {
    const queue = parseQueueUrl(settings.queueUrl);
    if (queue === undefined) return 'sqs ?';
    const where = queue.region ?? new URL(settings.queueUrl).host;
    return `sqs ${queue.name} (${where})${roleSummary(settings)}`;
  },
  render: renderSqs,
  renderDigest: renderSqsDigest,
  send: (message, transports) => sendSqs(message, transports),
});
