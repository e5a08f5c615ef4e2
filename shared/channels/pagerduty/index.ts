/**
 * `pagerduty`: PagerDuty Events API v2 alert events (SPEC §3). A `trigger` per event, keyed by a
 * `dedup_key`, and a `resolve` with the same key for events whose type is listed in `resolveOn`.
 *
 * Limits (PagerDuty developer docs, "Send an Alert Event" and "Events API v2 Overview"):
 * `payload.summary` ≤ 1024 characters, `dedup_key` ≤ 255 characters, the whole request ≤ 512 KB.
 * PagerDuty shows every field as plain text, so event values need no escaping beyond JSON's own.
 */
import * as z from 'zod';
import type { HeraldEvent } from '../../domain/event.ts';
import { globMatches } from '../../domain/glob.ts';
import type { SafeResponse } from '../../http/safe-request.ts';
import { lazySchema } from '../../runtime/lazy-schema.ts';
import { HttpsUrl, jsonPost, type RefineOutcome, sendHttp, urlHost } from '../http.ts';
import { TimeoutMs } from '../record.ts';
import { renderTemplate } from '../template.ts';
import { ELLIPSIS, eventLink, oneLine, truncate } from '../text.ts';
import { defineChannelType, type RenderInput, type Transports } from '../types.ts';
import { heraldFields } from '../webhook/index.ts';

/** The Events API v2 endpoint for alert events. */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
/** Longest `payload.summary` PagerDuty accepts. */
export const MAX_SUMMARY_CHARS = 1024;
/** Longest `dedup_key` PagerDuty accepts. */
export const MAX_DEDUP_KEY_CHARS = 255;
/**
 * Longest `source`, `component`, `group` and `class` Herald sends. PagerDuty documents no limit for
 * these; Herald keeps them as short as `dedup_key` so that no identifier-like field is ever refused.
 */
export const MAX_FIELD_CHARS = 255;
/** Largest request PagerDuty accepts: "512 KB", read as the smaller 512 000 bytes. */
export const MAX_REQUEST_BYTES = 512_000;
/** Longest provider text quoted in a reason. */
const DETAIL_CHARS = 200;

/** PagerDuty's own severities. */
export const PagerDutySeverity = lazySchema(() => z.enum(['critical', 'error', 'warning', 'info']));
export type PagerDutySeverity = z.infer<typeof PagerDutySeverity>;

const ATTRIBUTE_PREFIX = 'attributes.';
/** `attributes.<name>`: the value of one event attribute. */
const AttributeRef = lazySchema(() =>
  z.string().regex(/^attributes\.[a-zA-Z0-9_.-]{1,64}$/, 'must be attributes.<name> with an attribute key'),
);
/** A literal value, or `attributes.<name>` to take it from the event. */
const FieldValue = lazySchema(() => z.string().min(1).max(MAX_FIELD_CHARS));

const RoutingKey = lazySchema(() =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9]{32}$/,
      'routingKey must be the 32-character Integration Key of an Events API v2 integration',
    ),
);

const CustomDetailKey = lazySchema(() =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,63}$/,
      'customDetails keys are 1 to 64 letters, digits, spaces, _ . : -, starting with a letter or digit',
    )
    .refine((key) => key !== 'herald', 'herald is where Herald puts its own fields'),
);
const MAX_CUSTOM_DETAILS = 32;

/** Public settings of a PagerDuty channel (SPEC §3). */
export const PagerDutySettings = lazySchema(() =>
  z.strictObject({
    /**
     * PagerDuty severity per Herald severity; unlisted ones keep their name.
     * @default {} (info → info, warning → warning, error → error, critical → critical)
     */
    severity: z
      .strictObject({
        info: PagerDutySeverity.optional(),
        warning: PagerDutySeverity.optional(),
        error: PagerDutySeverity.optional(),
        critical: PagerDutySeverity.optional(),
      })
      .default({}),
    /**
     * What keys the PagerDuty alert: the event `id`, or an attribute the triggering and resolving
     * events share (`attributes.<name>`).
     * @default 'id'
     */
    dedupKey: z.union([z.literal('id'), AttributeRef]).default('id'),
    /**
     * Event type globs (`*`, `?`) whose events resolve the alert instead of triggering one.
     * @default []
     */
    resolveOn: z.array(z.string().min(1).max(256)).max(100).default([]),
    /**
     * Fixed entries added to `payload.custom_details` (after the attributes and `data`).
     * @default {}
     */
    customDetails: z
      .record(CustomDetailKey, z.string().max(1024))
      .refine((details) => Object.keys(details).length <= MAX_CUSTOM_DETAILS, {
        message: `at most ${MAX_CUSTOM_DETAILS} customDetails`,
      })
      .default({}),
    /**
     * `payload.component`: a literal, or `attributes.<name>` (left out when the event lacks it).
     */
    component: FieldValue.optional(),
    /** `payload.group`: a literal, or `attributes.<name>` (left out when the event lacks it). */
    group: FieldValue.optional(),
    /**
     * `payload.class`: a literal, or `attributes.<name>`.
     * @default the event type
     */
    class: FieldValue.optional(),
    /**
     * Where events are sent. Not a secret: the routing key travels in the body.
     * @default 'https://events.pagerduty.com/v2/enqueue'
     */
    endpoint: HttpsUrl('endpoint').default(PAGERDUTY_EVENTS_URL),
    timeoutMs: TimeoutMs,
  }),
);
export type PagerDutySettings = z.infer<typeof PagerDutySettings>;

/** The secret part of a PagerDuty channel: the integration's routing key. */
export const PagerDutySecret = lazySchema(() => z.object({ routingKey: RoutingKey }));
export type PagerDutySecret = z.infer<typeof PagerDutySecret>;

/** A link shown on the alert. */
export interface PagerDutyLink {
  readonly href: string;
  readonly text: string;
}

/** `payload` of a trigger event (PD-CEF). */
export interface PagerDutyPayload {
  readonly summary: string;
  readonly source: string;
  readonly severity: PagerDutySeverity;
  readonly timestamp: string;
  readonly component?: string;
  readonly group?: string;
  readonly class: string;
  readonly custom_details: Readonly<Record<string, unknown>>;
}

/** A trigger event: opens an alert, or adds to the open one with the same `dedup_key`. */
export interface PagerDutyTrigger {
  readonly routing_key: string;
  readonly event_action: 'trigger';
  readonly dedup_key: string;
  readonly payload: PagerDutyPayload;
  readonly links?: readonly PagerDutyLink[];
  readonly client: 'Herald';
}

/** A resolve event: closes the open alert with this `dedup_key`. */
export interface PagerDutyResolve {
  readonly routing_key: string;
  readonly event_action: 'resolve';
  readonly dedup_key: string;
}

/** What Herald posts to the Events API for one attempt. */
export type PagerDutyEvent = PagerDutyTrigger | PagerDutyResolve;

/** The value of `attributes.<name>` in the event; undefined when absent or empty. */
const attributeValue = (ref: string, event: HeraldEvent): string | undefined => {
  const value = event.attributes[ref.slice(ATTRIBUTE_PREFIX.length)];
  return value === undefined || value === '' ? undefined : value;
};

/** A literal setting, or the attribute it names; undefined when the attribute is missing. */
const fieldValue = (setting: string | undefined, event: HeraldEvent): string | undefined => {
  if (setting === undefined) return undefined;
  const value = setting.startsWith(ATTRIBUTE_PREFIX) ? attributeValue(setting, event) : setting;
  return value === undefined ? undefined : truncate(value, MAX_FIELD_CHARS);
};

/**
 * The alert's `dedup_key`: the event id, or the value of the attribute `dedupKey` names. When the
 * event lacks that attribute (or it is empty), the event id is used, so the event still triggers its
 * own alert (and a resolving event without it resolves nothing). Cut to 255 characters.
 */
export const dedupKeyOf = (event: HeraldEvent, dedupKey: PagerDutySettings['dedupKey']): string => {
  const key = dedupKey === 'id' ? event.id : (attributeValue(dedupKey, event) ?? event.id);
  return truncate(key, MAX_DEDUP_KEY_CHARS);
};

/** Whether the event resolves its alert: its type matches one of the `resolveOn` globs. */
export const resolves = (event: HeraldEvent, settings: Pick<PagerDutySettings, 'resolveOn'>): boolean =>
  settings.resolveOn.some((glob) => globMatches(glob, event.type));

/** The summary: the subject template's output on one line (the subject when it renders empty). */
const summaryOf = ({ event, context, template }: RenderInput<PagerDutySettings, PagerDutySecret>) => {
  const rendered =
    template?.subject === undefined
      ? ''
      : oneLine(renderTemplate(template.subject, event, heraldFields(context), 'text')).trim();
  return truncate(rendered === '' ? event.subject : rendered, MAX_SUMMARY_CHARS);
};

const requestBytes = (message: PagerDutyEvent): number => Buffer.byteLength(JSON.stringify(message), 'utf8');

/** Bytes a string takes inside the JSON body, quotes and escapes included. */
const jsonStringBytes = (text: string): number => Buffer.byteLength(JSON.stringify(text), 'utf8');

/**
 * The longest cut of `text` (down to a lone ellipsis) that takes at most `budget` bytes as a JSON
 * string. A binary search: escapes make a character cost 1 to 6 bytes, so no single step is exact.
 */
const cutToBytes = (text: string, budget: number): string => {
  if (jsonStringBytes(text) <= budget) return text;
  let low = ELLIPSIS.length;
  let high = text.length - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (jsonStringBytes(truncate(text, mid)) <= budget) low = mid;
    else high = mid - 1;
  }
  return truncate(text, low);
};

/**
 * Cuts the string that `build` places in the message so the whole request stays within
 * {@link MAX_REQUEST_BYTES}: the rest of the message does not depend on it, so its budget is the
 * limit less what the message takes around an empty string.
 */
const cutToFit = (text: string, build: (cut: string) => PagerDutyTrigger): string =>
  cutToBytes(text, MAX_REQUEST_BYTES - (requestBytes(build('')) - jsonStringBytes('')));

/**
 * Keeps the request within PagerDuty's 512 KB: `data` goes first (kept as JSON when it fits, else its
 * JSON text cut), then the text template's output.
 */
const fitted = (
  build: (data: unknown, text: string | undefined) => PagerDutyTrigger,
  data: unknown,
  text: string | undefined,
): PagerDutyTrigger => {
  const whole = build(data, text);
  if (requestBytes(whole) <= MAX_REQUEST_BYTES) return whole;
  const cutData = data === undefined ? undefined : cutToFit(JSON.stringify(data), (cut) => build(cut, text));
  const withCutData = build(cutData, text);
  if (text === undefined || requestBytes(withCutData) <= MAX_REQUEST_BYTES) return withCutData;
  return build(
    cutData,
    cutToFit(text, (cut) => build(cutData, cut)),
  );
};

/**
 * Builds the Events API v2 event for one attempt. Pure. A `resolveOn` event resolves the alert with
 * its dedup key; any other triggers one whose `custom_details` hold the attributes, `data`, the
 * channel's `customDetails`, the text template's output (`text`) and `herald` (later entries win on
 * a shared key).
 */
export const renderPagerDuty = (input: RenderInput<PagerDutySettings, PagerDutySecret>): PagerDutyEvent => {
  const { event, context, settings, secrets, template } = input;
  const routing_key = secrets.routingKey;
  const dedup_key = dedupKeyOf(event, settings.dedupKey);
  if (resolves(event, settings)) return { routing_key, event_action: 'resolve', dedup_key };

  const text =
    template?.text === undefined
      ? undefined
      : renderTemplate(template.text, event, heraldFields(context), 'text');
  const component = fieldValue(settings.component, event);
  const group = fieldValue(settings.group, event);
  const href = eventLink(event);
  const head = {
    summary: summaryOf(input),
    source: truncate(event.source, MAX_FIELD_CHARS),
    severity: settings.severity[event.severity] ?? event.severity,
    timestamp: event.time,
    ...(component === undefined ? {} : { component }),
    ...(group === undefined ? {} : { group }),
    class: fieldValue(settings.class, event) ?? truncate(event.type, MAX_FIELD_CHARS),
  };
  const herald = { eventId: event.id, deliveryId: context.deliveryId, channel: context.channelId };
  const build = (data: unknown, cutText: string | undefined): PagerDutyTrigger => ({
    routing_key,
    event_action: 'trigger',
    dedup_key,
    payload: {
      ...head,
      custom_details: {
        ...event.attributes,
        ...(data === undefined ? {} : { data }),
        ...settings.customDetails,
        ...(cutText === undefined ? {} : { text: cutText }),
        herald,
      },
    },
    ...(href === undefined ? {} : { links: [{ href, text: `View in ${event.source}` }] }),
    client: 'Herald',
  });
  return fitted(build, event.data, text);
};

/** PagerDuty's error body: `{"status": "invalid event", "message": "…", "errors": ["…"]}`. */
const PagerDutyErrorBody = lazySchema(() =>
  z.object({
    status: z.string().optional(),
    message: z.string().optional(),
    errors: z.array(z.unknown()).optional(),
  }),
);

/** The body on one line, whole: cut only after the routing key is masked, so no part of it shows. */
const flatBody = (response: SafeResponse): string => response.bodySnippet.replace(/\s+/g, ' ').trim();

/** What PagerDuty said, on one line: status, message and the first error; else the body itself. */
const pagerDutyDetail = (response: SafeResponse): string => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.bodySnippet);
  } catch {
    return flatBody(response);
  }
  const body = PagerDutyErrorBody.safeParse(parsed);
  if (!body.success) return flatBody(response);
  const [first] = body.data.errors ?? [];
  const parts = [body.data.status, body.data.message, typeof first === 'string' ? first : undefined];
  return oneLine(parts.filter((part) => part !== undefined && part !== '').join(': '));
};

/**
 * Adds PagerDuty's words to a failed or retried outcome, with a hint for a 404 (not an Events API
 * endpoint), short, and never the routing key, even if a receiver echoes it.
 */
const refinePagerDuty =
  (routingKey: string): RefineOutcome =>
  (outcome, response) => {
    if (outcome.kind === 'delivered') return outcome;
    const hint = response.status === 404 ? ' (is endpoint an Events API v2 enqueue URL?)' : '';
    const detail = truncate(pagerDutyDetail(response).replaceAll(routingKey, '[routing key]'), DETAIL_CHARS);
    const error = `${outcome.error}${hint}${detail === '' ? '' : `: ${detail}`}`;
    return { ...outcome, error };
  };

/**
 * Posts the event to the channel's endpoint. 202 is delivered; 429 and 5xx retry (on the schedule, or
 * a `Retry-After` if one comes); 400 fails with PagerDuty's reason; 404 fails (wrong endpoint).
 */
export const sendPagerDuty = (
  message: PagerDutyEvent,
  transports: Pick<Transports, 'http'>,
  settings: Pick<PagerDutySettings, 'endpoint' | 'timeoutMs'>,
) =>
  sendHttp(
    jsonPost(settings.endpoint, message, settings.timeoutMs),
    transports,
    refinePagerDuty(message.routing_key),
  );

export const pagerduty = defineChannelType({
  type: 'pagerduty',
  settings: PagerDutySettings,
  secretFields: { routingKey: RoutingKey },
  secrets: PagerDutySecret,
  templateParts: ['subject', 'text'],
  example: {
    routingKey: 'R0UT1NGKEYEXAMPLE000000000000001',
    severity: { warning: 'error' },
    dedupKey: 'attributes.alert',
    resolveOn: ['*.resolved'],
    customDetails: { runbook: 'https://runbooks.example.com/herald' },
    component: 'attributes.database',
    group: 'attributes.environment',
  },
  check: (settings) =>
    settings.resolveOn.length > 0 && settings.dedupKey === 'id'
      ? [
          {
            path: 'resolveOn',
            message:
              'resolveOn needs dedupKey "attributes.<name>": with dedupKey "id" a resolving event carries ' +
              'its own id, so it cannot name the alert it resolves. Set dedupKey to an attribute that the ' +
              'triggering and the resolving events share (for example "attributes.alert").',
          },
        ]
      : [],
  targets: (settings) => [{ kind: 'url', path: 'config.endpoint', url: settings.endpoint }],
  summary: (settings) => `${urlHost(settings.endpoint, '?')}, dedup ${settings.dedupKey}`,
  render: renderPagerDuty,
  send: sendPagerDuty,
});
