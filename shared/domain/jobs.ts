import * as z from 'zod';
import { lazySchema } from '../runtime/lazy-schema.ts';
import { HeraldEvent } from './event.ts';

/** A message on the ingest queue written by the ingest function (EventBridge messages differ). */
export const IngestMessage = lazySchema(() =>
  z.object({
    kind: z.literal('herald.event'),
    event: HeraldEvent,
    /** When the ingest function's claim accepted the event: the router need not read the claim again. */
    acceptedAt: z.string().optional(),
  }),
);
export type IngestMessage = z.infer<typeof IngestMessage>;

/**
 * The period of a digest job: the deliver function reads the digest's notifications and sends them as
 * one message.
 */
export const DigestJobPeriod = lazySchema(() =>
  z.object({ start: z.string(), end: z.string(), timezone: z.string() }),
);

/**
 * One delivery job: one event to one channel, or (with `digest`) one channel's digest of a period,
 * whose `event` is then the digest's envelope without its list (what the dead-letter views show).
 */
export const DeliveryJob = lazySchema(() =>
  z.object({
    deliveryId: z.string().min(1),
    channelId: z.string().min(1),
    policyIds: z.array(z.string()),
    event: HeraldEvent,
    digest: DigestJobPeriod.optional(),
    /**
     * Queued by a routing that may have queued it before (the router's message came back after a
     * crash): another copy of this job may exist, so its first attempt takes the delivery's lease.
     */
    again: z.literal(true).optional(),
  }),
);
export type DeliveryJob = z.infer<typeof DeliveryJob>;

/** SQS message attribute carrying why a message was dead-lettered. */
export const REASON_ATTRIBUTE = 'herald-reason';
