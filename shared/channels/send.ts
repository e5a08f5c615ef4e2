import * as z from 'zod';
import { type ChannelRecord, type ReadSecret, resolveWebhookSecret } from '../channel.ts';
import type { HeraldEvent } from '../event.ts';
import type { SafeRequestOptions } from '../http/safe-request.ts';
import { type AttemptResult, type DeliveryContext, renderWebhook, sendWebhook } from './webhook.ts';

/** The channel's stored secrets do not make a valid config: retrying will not help. */
export class InvalidChannelSecretError extends Error {
  override readonly name = 'InvalidChannelSecretError';
}

/**
 * One attempt of one event to one channel: resolve its secrets, render for its type, send, classify.
 * The deliver function and the admin API's test-send both call this. Throws only when the channel's
 * secrets cannot be read ({@link InvalidChannelSecretError} when they are invalid).
 */
export const sendToChannel = async (
  channel: ChannelRecord,
  event: HeraldEvent,
  context: DeliveryContext,
  options: { readonly readSecret: ReadSecret; readonly http: SafeRequestOptions; readonly now: Date },
): Promise<AttemptResult> => {
  let secret: Awaited<ReturnType<typeof resolveWebhookSecret>>;
  try {
    secret = await resolveWebhookSecret(channel, options.readSecret);
  } catch (error) {
    if (error instanceof z.ZodError) {
      const fields = error.issues.map((issue) => issue.path.join('.')).join(', ');
      throw new InvalidChannelSecretError(`channel ${channel.id} has invalid secret fields: ${fields}`);
    }
    throw error;
  }
  const request = renderWebhook(event, context, channel.settings, secret, options.now);
  return sendWebhook(request, options.http);
};
