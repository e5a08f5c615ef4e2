/**
 * `eventbridge`: a `PutEvents` of one entry on an EventBridge bus, in this account or another (SPEC
 * §3). The entry's `detail` is what a webhook gets (the envelope plus `herald`); `detail-type` and
 * `source` are templates, by default the event type and `herald.<event source>`. A failed entry
 * (`FailedEntryCount`) is an attempt to retry, with its error code as the reason, unless the code says
 * retrying cannot help.
 */
import * as z from 'zod';
import type { HeraldEvent } from '../../domain/event.ts';
import { lazySchema } from '../../runtime/lazy-schema.ts';
import { classifyErrorCode, classifySendError, EVENTBRIDGE_ERRORS } from '../aws-errors.ts';
import { checkRole, ExternalId, REGION, RoleArn, roleOf, roleSummary, roleTargets } from '../aws-role.ts';
import { fittingBody, templatedEnvelope } from '../fitting-body.ts';
import { timed } from '../http.ts';
import { renderTemplate, type TemplateDelivery, TemplateText } from '../template.ts';
import { oneLine, truncate } from '../text.ts';
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

/** The largest `PutEvents` entry: detail, detail-type, source and time, in UTF-8 bytes (PutEvents API). */
export const MAX_ENTRY_BYTES = 262_144;
/** What EventBridge counts for an entry's `Time`. */
const TIME_BYTES = 14;
/** Longest `Source` EventBridge takes. */
export const MAX_SOURCE_CHARS = 256;
/** Longest `DetailType` EventBridge takes. */
export const MAX_DETAIL_TYPE_CHARS = 128;

/** `detailType` when none is set: the event type. */
export const DEFAULT_DETAIL_TYPE_TEMPLATE = '{{type}}';
/** `source` when none is set: the event source under Herald's own prefix. */
export const DEFAULT_SOURCE_TEMPLATE = 'herald.{{source}}';
/** Sources EventBridge keeps for AWS services: Herald puts `herald.` before a rendered one. */
const AWS_SOURCE_PREFIX = 'aws.';

/** `arn:<partition>:events:<region>:<12-digit account>:event-bus/<name>` (partner buses have `/`). */
const BUS_ARN_PATTERN = new RegExp(
  `^arn:(aws(?:-[a-z]+)*):events:(${REGION}):(\\d{12}):event-bus/([A-Za-z0-9._/-]{1,256})$`,
);

/** A bus ARN's parts. */
export interface EventBusArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly name: string;
}

/** Reads an event bus ARN; undefined when it is not one. */
export const parseEventBusArn = (arn: string): EventBusArn | undefined => {
  const match = BUS_ARN_PATTERN.exec(arn);
  if (match === null) return undefined;
  const [, partition = '', region = '', account = '', name = ''] = match;
  return { partition, region, account, name };
};

/** Public settings of an EventBridge channel. It has no secrets: a role (its own or `roleArn`) puts. */
export const EventBridgeSettings = lazySchema(() =>
  z.strictObject({
    eventBusArn: z
      .string()
      .regex(
        BUS_ARN_PATTERN,
        'eventBusArn must be arn:<partition>:events:<region>:<12-digit account>:event-bus/<bus name>',
      ),
    /** A role to assume for putting (another account's bus); default the function's own role. */
    roleArn: RoleArn.optional(),
    /** `ExternalId` for `AssumeRole`, when the role's trust policy asks for one. */
    externalId: ExternalId.optional(),
    /**
     * A template over the envelope for the entry's `DetailType` (one line, at most 128 characters).
     * @default '{{type}}'
     */
    detailType: TemplateText(1024).optional(),
    /**
     * A template over the envelope for the entry's `Source` (one line, at most 256 characters; one
     * starting `aws.` gets `herald.` in front, as EventBridge keeps those for AWS).
     * @default 'herald.{{source}}'
     */
    source: TemplateText(1024).optional(),
  }),
);
export type EventBridgeSettings = z.infer<typeof EventBridgeSettings>;

/** EventBridge channels keep no secrets. */
export const EventBridgeSecrets = lazySchema(() => z.object({}));
export type EventBridgeSecrets = z.infer<typeof EventBridgeSecrets>;

/** One `PutEvents` entry, as `transports.eventbridge` takes it. */
export type EventBridgeEntry = Parameters<Transports['eventbridge']>[0];

/** A template rendered as one trimmed line, cut to `max`; `fallback` rendered when it comes out empty. */
const line = (
  template: string,
  fallback: string,
  event: HeraldEvent,
  herald: TemplateDelivery,
  max: number,
): string => {
  const render = (text: string) => truncate(oneLine(renderTemplate(text, event, herald, 'text')).trim(), max);
  const rendered = render(template);
  return rendered === '' ? render(fallback) : rendered;
};

/** The entry's `DetailType` and `Source`: the channel's templates (or the defaults) over the envelope. */
const entryNames = (
  event: HeraldEvent,
  herald: TemplateDelivery,
  settings: EventBridgeSettings,
): { detailType: string; source: string } => {
  const detailType = line(
    settings.detailType ?? DEFAULT_DETAIL_TYPE_TEMPLATE,
    DEFAULT_DETAIL_TYPE_TEMPLATE,
    event,
    herald,
    MAX_DETAIL_TYPE_CHARS,
  );
  const rendered = line(
    settings.source ?? DEFAULT_SOURCE_TEMPLATE,
    DEFAULT_SOURCE_TEMPLATE,
    event,
    herald,
    MAX_SOURCE_CHARS,
  );
  const source = rendered.startsWith(AWS_SOURCE_PREFIX)
    ? truncate(`herald.${rendered}`, MAX_SOURCE_CHARS)
    : rendered;
  return { detailType, source };
};

/** What an entry may spend on its detail once `Time`, `Source` and `DetailType` are counted. */
const detailBudget = (names: { detailType: string; source: string }): number =>
  MAX_ENTRY_BYTES - TIME_BYTES - Buffer.byteLength(names.source) - Buffer.byteLength(names.detailType);

/**
 * The `PutEvents` entry of an envelope: `DetailType` and `Source` from the channel's templates over it,
 * the detail `detail` makes to fit what they and `Time` leave of {@link MAX_ENTRY_BYTES}, the
 * envelope's time.
 */
const entryOf = (
  settings: EventBridgeSettings,
  context: DeliveryContext,
  envelope: HeraldEvent,
  detail: (budget: number) => string,
): EventBridgeEntry => {
  const names = entryNames(envelope, heraldFields(context), settings);
  const role = roleOf(settings);
  return {
    eventBusArn: settings.eventBusArn,
    region: parseEventBusArn(settings.eventBusArn)?.region ?? '',
    source: names.source,
    detailType: names.detailType,
    detail: detail(detailBudget(names)),
    time: new Date(envelope.time),
    ...(role === undefined ? {} : { role }),
  };
};

/**
 * Builds the `PutEvents` entry for one attempt. Pure. The detail is what a webhook gets (the envelope,
 * its subject templated, plus `herald`, with the text template in `herald.text`); when the entry would
 * pass {@link MAX_ENTRY_BYTES}, `data` is replaced by `{"truncated": true, "bytes": N}` (and then
 * `herald.text` cut).
 */
export const renderEventBridge = ({
  event,
  context,
  settings,
  template,
}: RenderInput<EventBridgeSettings, EventBridgeSecrets>): EventBridgeEntry => {
  const { subject, text } = templatedEnvelope(event, heraldFields(context), template);
  return entryOf(settings, context, event, (budget) =>
    fittingBody({ ...event, subject }, context, text, budget),
  );
};

/**
 * Builds the `PutEvents` entry of a digest. Pure. The detail is the digest envelope (`herald.digest`,
 * each event with its id in `data.events`) plus `herald`, the newest events that fit, `data.more`
 * counting the rest. `DetailType` and `Source` are the channel's templates over the digest envelope,
 * as for any event: by default `herald.digest` and `herald.herald`. `Time` is the period's end.
 */
export const renderEventBridgeDigest = (
  { digest, context, settings }: DigestRenderInput<EventBridgeSettings, EventBridgeSecrets>,
  digests: Pick<DigestRendering, 'digestEvent' | 'fittingDigestBody'>,
): EventBridgeEntry =>
  entryOf(settings, context, digests.digestEvent(digest, 0), (budget) =>
    digests.fittingDigestBody(digest, budget, (envelope) => webhookBody(envelope, context)),
  );

/** The size EventBridge counts for an entry. */
export const entryBytes = (entry: EventBridgeEntry): number =>
  TIME_BYTES +
  Buffer.byteLength(entry.source) +
  Buffer.byteLength(entry.detailType) +
  Buffer.byteLength(entry.detail);

/**
 * Puts one rendered entry and classifies the answer: the `EventId` is delivered (and reported); a
 * failed entry is retried with its `ErrorCode` as the reason, unless the code says it cannot succeed
 * (access denied, a refused source or detail-type, a malformed detail: failed; a bus that does not
 * exist: gone). Errors of the call are classified like any AWS error; a refused `AssumeRole` fails.
 * Never throws.
 */
export const sendEventBridge = (
  entry: EventBridgeEntry,
  transports: Pick<Transports, 'eventbridge'>,
): Promise<AttemptResult> =>
  timed(
    async () => {
      const answer = await transports.eventbridge(entry);
      if ('eventId' in answer)
        return { outcome: { kind: 'delivered', status: 200 }, messageId: answer.eventId };
      return classifyErrorCode(
        answer.errorCode,
        answer.errorMessage,
        'EventBridge PutEvents entry failed:',
        EVENTBRIDGE_ERRORS,
      );
    },
    (error) => classifySendError(error, 'EventBridge', EVENTBRIDGE_ERRORS),
  );

export const eventbridge = defineChannelType({
  type: 'eventbridge',
  settings: EventBridgeSettings,
  secretFields: {},
  secrets: EventBridgeSecrets,
  templateParts: ['subject', 'text'],
  example: {
    eventBusArn: 'arn:aws:events:eu-central-1:210987654321:event-bus/platform',
    roleArn: 'arn:aws:iam::210987654321:role/herald-sender',
    externalId: 'herald-ops',
    detailType: '{{type}}',
    source: 'herald.{{attributes.environment}}',
  },
  check: (settings) => [
    ...checkRole(settings),
    ...(settings.source?.startsWith(AWS_SOURCE_PREFIX) === true
      ? [{ path: 'source', message: 'EventBridge keeps sources starting with aws. for AWS services' }]
      : []),
  ],
  targets: (settings) => [
    { kind: 'event-bus', path: 'config.eventBusArn', value: settings.eventBusArn },
    ...roleTargets(settings),
  ],
  summary: (settings) => {
    const bus = parseEventBusArn(settings.eventBusArn);
    return bus === undefined
      ? 'eventbridge ?'
      : `eventbridge ${bus.name} (${bus.region})${roleSummary(settings)}`;
  },
  render: renderEventBridge,
  renderDigest: renderEventBridgeDigest,
  send: (entry, transports) => sendEventBridge(entry, transports),
});
