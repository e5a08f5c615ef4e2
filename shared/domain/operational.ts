/**
 * Herald's operational events (SPEC §5): what Herald tells about its own deliveries, sent through its
 * own pipeline with source `herald`, routed by policies like any event. An operational event about a
 * channel is never sent to that channel, and a failed delivery of an operational event raises none.
 */
import type { HeraldEvent } from './event.ts';
import type { DeliveryJob } from './jobs.ts';

/** The source of every operational event; producers cannot use it. */
export const OPERATIONAL_SOURCE = 'herald';

/** Whether an event is one of Herald's own. */
export const isOperational = (event: Pick<HeraldEvent, 'source'>): boolean =>
  event.source === OPERATIONAL_SOURCE;

/** The channel an operational event is about (it is never sent there). */
export const aboutChannel = (event: HeraldEvent): string | undefined =>
  isOperational(event) ? event.attributes.channel : undefined;

const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** `herald.delivery.exhausted`: a delivery was dead-lettered (retries spent or a permanent failure). */
export const deliveryExhausted = (job: DeliveryJob, reason: string, now: Date): HeraldEvent => ({
  id: `herald-exhausted-${job.deliveryId}`.slice(0, 128),
  type: 'herald.delivery.exhausted',
  source: OPERATIONAL_SOURCE,
  time: now.toISOString(),
  subject: cut(`Delivery of ${job.event.type} to channel ${job.channelId} was dead-lettered`, 256),
  severity: 'error',
  attributes: {
    channel: job.channelId,
    eventType: job.event.type,
    eventSource: job.event.source,
  },
  data: {
    deliveryId: job.deliveryId,
    eventId: job.event.id,
    reason,
    policies: [...job.policyIds],
  },
});

/** `herald.channel.disabled`: a channel was disabled because its target is gone. */
export const channelDisabled = (channelId: string, reason: string, now: Date): HeraldEvent => ({
  id: `herald-disabled-${channelId}-${Math.floor(now.getTime() / 1000)}`,
  type: 'herald.channel.disabled',
  source: OPERATIONAL_SOURCE,
  time: now.toISOString(),
  subject: cut(`Channel ${channelId} was disabled: ${reason}`, 256),
  severity: 'critical',
  attributes: { channel: channelId },
  data: { reason },
});
