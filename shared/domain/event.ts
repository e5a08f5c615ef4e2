import * as z from 'zod';
import { lazySchema } from '../runtime/lazy-schema.ts';

/** Largest serialized event accepted (SPEC §1). */
export const MAX_EVENT_BYTES = 256 * 1024;
/** Most events accepted in one ingest request (SPEC §2). */
export const MAX_EVENTS_PER_REQUEST = 100;
export const MAX_ATTRIBUTES = 32;
/** Deepest nesting of arrays and objects accepted in `data` (attribute values are flat strings). */
export const MAX_DATA_DEPTH = 64;

const NAME_PATTERN = /^[a-z0-9][a-z0-9._:-]{0,127}$/;
const ATTRIBUTE_KEY_PATTERN = /^[a-zA-Z0-9_.-]{1,64}$/;
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_:-]{1,128}$/;

export const SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;
export const Severity = lazySchema(() => z.enum(SEVERITIES));
export type Severity = z.infer<typeof Severity>;

/** Orders severities so that `minSeverity` can be compared. */
export const severityRank = (severity: Severity): number => SEVERITIES.indexOf(severity);

const name = (what: string) =>
  z.string().regex(NAME_PATTERN, `${what} must match [a-z0-9][a-z0-9._:-]{0,127}`);

export const EventId = lazySchema(() =>
  z.string().regex(EVENT_ID_PATTERN, 'id must match [A-Za-z0-9_:-]{1,128}'),
);

export const Attributes = lazySchema(() =>
  z
    .record(
      z.string().regex(ATTRIBUTE_KEY_PATTERN, 'attribute keys must match [a-zA-Z0-9_.-]{1,64}'),
      z.string().max(256, 'attribute values are at most 256 characters'),
    )
    .refine((attributes) => Object.keys(attributes).length <= MAX_ATTRIBUTES, {
      message: `at most ${MAX_ATTRIBUTES} attributes`,
    }),
);

/**
 * Whether a value nests arrays and objects more than `limit` deep (`{}` and `[]` are depth 1). Walks
 * with its own stack, not recursion, so no depth overflows it; stops at the first container too deep.
 */
export const nestsDeeperThan = (value: unknown, limit: number): boolean => {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    const depth = next.depth + 1;
    if (depth > limit) return true;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth });
  }
  return false;
};

/**
 * Any JSON nested at most {@link MAX_DATA_DEPTH} deep. The depth is checked first, so a deeper value
 * gets an issue instead of reaching `z.json()` (recursive) or the recursive code after validation.
 */
const JsonData = lazySchema(() =>
  z
    .unknown()
    .refine((value) => !nestsDeeperThan(value, MAX_DATA_DEPTH), {
      message: `data must not nest more than ${MAX_DATA_DEPTH} levels deep`,
    })
    .pipe(z.json()),
);

/** The event envelope as producers send it (SPEC §1). Unknown fields are rejected. */
export const EventInput = lazySchema(() =>
  z.strictObject({
    id: EventId.optional(),
    type: name('type'),
    source: name('source').refine(
      (source) => source !== 'herald',
      "source herald is reserved for Herald's own operational events",
    ),
    time: z.iso.datetime({ offset: true, message: 'time must be an RFC 3339 date-time' }).optional(),
    subject: z
      .string()
      .min(1)
      .max(256, 'subject is at most 256 characters')
      .refine((subject) => !/[\r\n]/.test(subject), 'subject must be a single line')
      .optional(),
    severity: Severity.optional(),
    attributes: Attributes.optional(),
    data: JsonData.optional(),
  }),
);
export type EventInput = z.infer<typeof EventInput>;

/** An accepted event with every default applied: what flows through the pipeline. */
export const HeraldEvent = lazySchema(() =>
  z.object({
    id: EventId,
    type: name('type'),
    source: name('source'),
    time: z.string(),
    subject: z.string(),
    severity: Severity,
    attributes: z.record(z.string(), z.string()),
    data: JsonData.optional(),
  }),
);
export type HeraldEvent = z.infer<typeof HeraldEvent>;

/** Applies SPEC §1 defaults to a validated envelope. */
export const normalizeEvent = (input: EventInput, acceptedAt: Date, newId: () => string): HeraldEvent => ({
  id: input.id ?? newId(),
  type: input.type,
  source: input.source,
  time: input.time ?? acceptedAt.toISOString(),
  subject: input.subject ?? input.type,
  severity: input.severity ?? 'info',
  attributes: input.attributes ?? {},
  ...(input.data === undefined ? {} : { data: input.data }),
});

/** Size of a value once serialized as UTF-8 JSON. */
export const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');
