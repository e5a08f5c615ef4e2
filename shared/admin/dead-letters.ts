import * as z from 'zod';
import { deadLettersKey, decodePageToken, encodePageToken } from '../aws/page-token.ts';
import {
  type DeliveryRef,
  deliveryIdOf,
  deliveryRefOf,
  type RedriveTask,
  type StateRepository,
  statusTimeOf,
} from '../aws/state-repository.ts';
import { ValidationError } from '../domain/errors.ts';
import { newEventId } from '../domain/ids.ts';
import { toFieldIssues } from '../domain/issues.ts';
import { lazySchema } from '../runtime/lazy-schema.ts';
import type { DeadLetterQueueAdmin, IngestDeadLetterAdmin } from './dead-letter-queue.ts';
import type { Redriver } from './redrive.ts';
import { type AdminRequest, notFound, pageParams } from './request.ts';

/** Deliveries one redrive by id may name. */
const MAX_DELIVERY_IDS = 100;

const ChannelFilter = lazySchema(() => z.string().min(1).max(63));
const TypeFilter = lazySchema(() => z.string().min(1).max(256));

/**
 * Body of `POST /v1/dead-letters/redrive`: by delivery ids, by event, or every dead letter (of one
 * channel and/or event type); `source: "queue"` replays the SQS dead-letter queue instead (the
 * backstop for jobs that died without a record), `source: "ingest"` the events that could not be routed.
 */
export const RedriveRequest = lazySchema(() =>
  z
    .strictObject({
      channel: ChannelFilter.optional(),
      type: TypeFilter.optional(),
      eventId: z.string().min(1).max(128).optional(),
      deliveryIds: z.array(z.string().min(1).max(128)).min(1).max(MAX_DELIVERY_IDS).optional(),
      source: z.enum(['records', 'queue', 'ingest']).default('records'),
    })
    .check((context) => {
      const { value } = context;
      const given = [value.eventId, value.deliveryIds].filter((item) => item !== undefined).length;
      const filtered = value.channel !== undefined || value.type !== undefined;
      if (given > 1 || (given === 1 && filtered)) {
        context.issues.push({
          code: 'custom',
          input: value,
          path: [value.deliveryIds === undefined ? 'eventId' : 'deliveryIds'],
          message: 'give one of deliveryIds, eventId, or channel/type filters',
        });
      }
      if (value.source === 'queue' && (given > 0 || value.type !== undefined)) {
        context.issues.push({
          code: 'custom',
          input: value,
          path: ['source'],
          message: 'the dead-letter queue is replayed whole or by channel only',
        });
      }
      if (value.source === 'ingest' && (given > 0 || filtered)) {
        context.issues.push({
          code: 'custom',
          input: value,
          path: ['source'],
          message: 'the ingest dead-letter queue is replayed whole',
        });
      }
    }),
);

export const DeadLetterQuery = lazySchema(() =>
  z.strictObject({
    channel: ChannelFilter.optional(),
    type: TypeFilter.optional(),
    since: z.iso.datetime({ offset: true, message: 'since must be an RFC 3339 date-time' }).optional(),
    source: z.enum(['records', 'queue', 'ingest']).default('records'),
    limit: z.string().optional(),
    nextToken: z.string().optional(),
  }),
);

export interface DeadLetterDeps {
  readonly state: Pick<
    StateRepository,
    'listDeadLetters' | 'countDeadLetters' | 'getDelivery' | 'getEvent' | 'putRedrive' | 'getRedrive'
  >;
  readonly redriver: Redriver;
  readonly queue: DeadLetterQueueAdmin;
  readonly ingest: IngestDeadLetterAdmin;
  /** How long the admin request itself redrives before the rest goes on in the background. */
  readonly foregroundMilliseconds: number;
  /** Hands a redrive that outlasted the request to the background runner. */
  continueRedrive(id: string): Promise<void>;
}

const toDeadLetterView = (item: Record<string, unknown>) => ({
  deliveryId: deliveryIdOf(item),
  eventId: item.eventId,
  channelId: item.channelId,
  eventType: item.eventType,
  reason: item.reason ?? null,
  attemptCount: Number(item.attempts ?? 0),
  createdAt: item.createdAt,
  deadLetteredAt: statusTimeOf(item) || item.updatedAt,
});

const toRedriveView = (task: RedriveTask) => ({
  id: task.id,
  status: task.status,
  redriven: task.redriven,
  skipped: task.skipped,
  ...(task.channelId === undefined ? {} : { channel: task.channelId }),
  ...(task.eventType === undefined ? {} : { type: task.eventType }),
  startedAt: task.startedAt,
  updatedAt: task.updatedAt,
});

/**
 * Dead letters (SPEC §6): the deliveries Herald marked dead, listed from their index (full pages, the
 * most recently dead first, counts per channel) and redriven completely, however many; plus the SQS
 * dead-letter queue as the backstop for jobs that died without a record.
 */
export class DeadLetterAdmin {
  constructor(private readonly deps: DeadLetterDeps) {}

  async list(request: AdminRequest) {
    const parsed = DeadLetterQuery.safeParse(request.query);
    if (!parsed.success) {
      throw new ValidationError('invalid_request', 'the query is not valid', toFieldIssues(parsed.error));
    }
    const { limit, nextToken } = pageParams(request);
    const { channel, type, since, source } = parsed.data;
    if (source === 'queue') return this.deps.queue.list(limit, channel);
    if (source === 'ingest') {
      if (channel !== undefined || type !== undefined || since !== undefined) {
        throw new ValidationError('invalid_request', 'the query is not valid', [
          { path: 'source', message: 'the ingest dead-letter queue is listed whole' },
        ]);
      }
      return this.deps.ingest.list(limit);
    }
    const filter = {
      ...(channel === undefined ? {} : { channelId: channel }),
      ...(type === undefined ? {} : { eventType: type }),
    };
    const startKey = decodePageToken(nextToken, deadLettersKey(filter));
    const page = await this.deps.state.listDeadLetters({
      ...filter,
      limit,
      ...(since === undefined ? {} : { since: new Date(since).toISOString() }),
      ...(startKey === undefined ? {} : { startKey }),
    });
    // Counts come with the first page only: they read every dead record.
    const counts =
      nextToken === undefined
        ? {
            counts: await this.deps.state.countDeadLetters(),
            queue: { approximateMessages: await this.deps.queue.approximateCount() },
            ingest: { approximateMessages: await this.deps.ingest.approximateCount() },
          }
        : {};
    return {
      items: page.items.map(toDeadLetterView),
      ...(page.lastKey === undefined ? {} : { nextToken: encodePageToken(page.lastKey) }),
      ...counts,
    };
  }

  /**
   * Redrives dead letters. By ids or event: at once, `{redriven, skipped}`. By filter (or all): a
   * redrive task that runs for a few seconds here and, when there is more, goes on in the background;
   * the answer says which (`status` `done` or `running`, with the counts so far and its `id`).
   */
  async redrive(body: z.infer<typeof RedriveRequest>, now: Date) {
    if (body.source === 'queue')
      return { status: 200, body: await this.deps.queue.redrive(body.channel, now) };
    if (body.source === 'ingest') return { status: 200, body: await this.deps.ingest.redrive() };
    if (body.deliveryIds !== undefined || body.eventId !== undefined) {
      const refs = await this.deadRefs(body.deliveryIds ?? (await this.deliveryIdsOf(body.eventId ?? '')));
      const counts = await this.deps.redriver.redriveAll(refs.dead, now);
      return { status: 200, body: { redriven: counts.redriven, skipped: counts.skipped + refs.notDead } };
    }
    const task: RedriveTask = {
      id: `rdr_${newEventId()}`,
      ...(body.channel === undefined ? {} : { channelId: body.channel }),
      ...(body.type === undefined ? {} : { eventType: body.type }),
      before: now.toISOString(),
      status: 'running',
      redriven: 0,
      skipped: 0,
      startedAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    await this.deps.state.putRedrive(task, now);
    const { task: after, continues } = await this.deps.redriver.run(
      task,
      Date.now() + this.deps.foregroundMilliseconds,
    );
    if (continues) await this.deps.continueRedrive(after.id);
    return { status: after.status === 'done' ? 200 : 202, body: toRedriveView(after) };
  }

  /** A redrive's progress. */
  async redriveStatus(id: string) {
    const task = await this.deps.state.getRedrive(id);
    if (task === undefined) throw notFound('redrive', id);
    return toRedriveView(task);
  }

  /** An event's deliveries; for a notification that went into a digest, the digest's. */
  private async deliveryIdsOf(eventId: string): Promise<string[]> {
    const event = await this.deps.state.getEvent(eventId);
    if (event === undefined) throw notFound('event', eventId);
    const ids = Object.values((event.deliveries ?? {}) as Record<string, string>);
    const resolved = await Promise.all(
      ids.map(async (id) => {
        const { delivery } = await this.deps.state.getDelivery(id);
        return delivery?.status === 'digested' && typeof delivery.digestId === 'string'
          ? delivery.digestId
          : id;
      }),
    );
    return [...new Set(resolved)];
  }

  /** The named deliveries that are dead; the rest are counted as skipped. */
  private async deadRefs(ids: readonly string[]): Promise<{ dead: DeliveryRef[]; notDead: number }> {
    const records = await Promise.all(ids.map((id) => this.deps.state.getDelivery(id)));
    const dead = records.flatMap(({ delivery }) =>
      delivery?.status === 'dead' ? [deliveryRefOf(delivery)] : [],
    );
    return { dead, notDead: ids.length - dead.length };
  }
}
