import { HttpError, ValidationError } from '../domain/errors.ts';
import {
  EventInput,
  type HeraldEvent,
  jsonBytes,
  MAX_DATA_DEPTH,
  MAX_EVENT_BYTES,
  MAX_EVENTS_PER_REQUEST,
  nestsDeeperThan,
  normalizeEvent,
} from '../domain/event.ts';
import { toFieldIssues } from '../domain/issues.ts';
import type { IngestMessage } from '../domain/jobs.ts';
import type { Faults } from '../runtime/faults.ts';

/** Largest request body accepted (the Lambda synchronous payload limit is 6 MB). */
export const MAX_BODY_BYTES = 6 * 1000 * 1000;

const JSON_CONTENT_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;.*)?$/i;

export interface IngestRequest {
  readonly contentType: string | undefined;
  readonly body: string | undefined;
}

/**
 * Reads an ingest request body (SPEC §2): one event or `{"events": [...]}`; every event valid or none
 * accepted. Throws {@link HttpError} with 400/413/415.
 */
export const parseIngestRequest = (request: IngestRequest): EventInput[] => {
  if (request.contentType === undefined || !JSON_CONTENT_TYPE.test(request.contentType)) {
    throw new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json');
  }
  const body = request.body ?? '';
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) {
    throw new HttpError(413, 'payload_too_large', `request body is over ${MAX_BODY_BYTES} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new HttpError(400, 'malformed_json', 'request body is not valid JSON');
  }

  const items: unknown[] = isBatchBody(parsed) ? toBatch(parsed.events) : [parsed];

  items.forEach((item, index) => {
    // Too deep to measure (or to route) safely: refused before anything recurses into it.
    if (nestsDeeperThan(item, MAX_DATA_DEPTH + 2)) {
      throw new ValidationError('invalid_event', 'the event nests too deeply; nothing was queued', [
        { index, path: 'data', message: `data must not nest more than ${MAX_DATA_DEPTH} levels deep` },
      ]);
    }
    const bytes = jsonBytes(item);
    if (bytes > MAX_EVENT_BYTES) {
      throw new HttpError(
        413,
        'event_too_large',
        `event ${index} is ${bytes} bytes, over ${MAX_EVENT_BYTES}`,
        [{ index, path: '', message: `serialized event is over ${MAX_EVENT_BYTES} bytes` }],
      );
    }
  });

  const events: EventInput[] = [];
  const issues = items.flatMap((item, index) => {
    const result = EventInput.safeParse(item);
    if (result.success) {
      events.push(result.data);
      return [];
    }
    return toFieldIssues(result.error, index);
  });
  if (issues.length > 0) {
    throw new ValidationError(
      'invalid_event',
      `${issues.length} problem(s) in the request; nothing was queued`,
      issues,
    );
  }
  return events;
};

const isBatchBody = (value: unknown): value is { events: unknown } =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && 'events' in value;

const toBatch = (events: unknown): unknown[] => {
  if (!Array.isArray(events)) {
    throw new ValidationError('invalid_event', 'events must be an array', [
      { path: 'events', message: 'expected an array of events' },
    ]);
  }
  if (events.length === 0) {
    throw new ValidationError('invalid_event', 'events is empty', [
      { path: 'events', message: 'expected at least one event' },
    ]);
  }
  if (events.length > MAX_EVENTS_PER_REQUEST) {
    throw new HttpError(413, 'too_many_events', `at most ${MAX_EVENTS_PER_REQUEST} events per request`);
  }
  return events;
};

export interface AcceptedEvent {
  readonly id: string;
  readonly duplicate: boolean;
}

/** What accepting events needs: claim ids, release claims, queue. */
export interface IngestPorts {
  claimEvent(
    event: HeraldEvent,
    now: Date,
  ): Promise<{ created: boolean; status: 'accepted' | 'routed'; acceptedAt: string }>;
  releaseEvent(eventId: string): Promise<void>;
  enqueue(entries: readonly { key: string; body: string }[]): Promise<string[]>;
  /** Test-only crash points (off in production). */
  readonly faults?: Faults;
}

/**
 * A claim still `accepted` (never routed) after this long is orphaned: its request failed between
 * claiming and queuing (a crash or timeout), so a retry of it is not called a duplicate.
 */
export const ORPHANED_CLAIM_MS = 5 * 60 * 1000;

/**
 * Accepts validated events: applies defaults, claims each id for 24 h, and queues every event that is
 * not routed yet. An id claimed before but not routed is queued again too (its first request may have
 * died between claiming and queuing, or lost the claim's answer): a 202 always means queued, and every
 * copy is routed to delivery ids derived from the first acceptance (its time rides in the message),
 * each sent once, so nothing is delivered twice. Resolves only once every such event is queued; otherwise releases the claims
 * of the events that were not queued and throws 503, so the producer's retry is not a duplicate.
 */
export const acceptEvents = async (
  inputs: readonly EventInput[],
  ports: IngestPorts,
  now: Date,
  newId: () => string,
): Promise<AcceptedEvent[]> => {
  const events = inputs.map((input) => normalizeEvent(input, now, newId));
  const seen = new Set<string>();
  const claims = await Promise.allSettled(
    events.map(async (event) => {
      if (seen.has(event.id)) return { queue: false, created: false, new: false, acceptedAt: '' };
      seen.add(event.id);
      const claim = await ports.claimEvent(event, now);
      const orphaned =
        !claim.created &&
        claim.status === 'accepted' &&
        now.getTime() - Date.parse(claim.acceptedAt) > ORPHANED_CLAIM_MS;
      return {
        queue: claim.status === 'accepted',
        created: claim.created,
        new: claim.created || orphaned,
        acceptedAt: claim.acceptedAt,
      };
    }),
  );
  const created = events.filter((_, index) => {
    const claim = claims[index];
    return claim?.status === 'fulfilled' && claim.value.created;
  });
  /** Forgets the claims this request made for events that are not queued (all, or those that failed). */
  const release = (only?: ReadonlySet<string>) =>
    Promise.allSettled(
      created
        .filter((event) => only === undefined || only.has(event.id))
        .map((event) => ports.releaseEvent(event.id)),
    );
  const unavailable = () =>
    new HttpError(503, 'queue_unavailable', 'events could not be queued; nothing was accepted, retry later');

  const queued: boolean[] = [];
  const fresh: boolean[] = [];
  const acceptedAt: string[] = [];
  for (const claim of claims) {
    if (claim.status === 'rejected') {
      await release();
      throw unavailable();
    }
    queued.push(claim.value.queue);
    fresh.push(claim.value.new);
    acceptedAt.push(claim.value.acceptedAt);
  }
  if (created.some((event) => ports.faults?.armed('ingest-after-claim', event))) ports.faults?.crash();
  const failed = await ports.enqueue(
    events.flatMap((event, index) =>
      queued[index]
        ? [
            {
              key: event.id,
              body: JSON.stringify({
                kind: 'herald.event',
                event,
                acceptedAt: acceptedAt[index],
              } satisfies IngestMessage),
            },
          ]
        : [],
    ),
  );
  if (failed.length > 0) {
    // Events that were queued keep their claims: a retry finds them and does not change their ids.
    await release(new Set(failed));
    throw unavailable();
  }
  return events.map((event, index) => ({ id: event.id, duplicate: !fresh[index] }));
};
