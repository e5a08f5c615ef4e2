import * as z from 'zod';
import type { HeraldEvent } from '../domain/event.ts';
import { type ChannelRecord, type ReadSecret, readChannelSecrets } from './record.ts';
import { channelType } from './registry.ts';
import { TemplateTooLargeError } from './template.ts';
import type { AttemptResult, DeliveryContext, Transports } from './types.ts';

/** The channel's stored config cannot make a message: retrying will not help. */
export class InvalidChannelConfigError extends Error {
  override readonly name = 'InvalidChannelConfigError';
}

/**
 * One attempt of one event to one channel: read its secrets, render for its type, send, classify.
 * The deliver function and the admin API's test-send both call this. Throws only when the channel
 * cannot be prepared: {@link InvalidChannelConfigError} when its config or secrets are invalid (the
 * error names fields, never values), the read error when a secret cannot be read.
 */
export const sendToChannel = async (
  channel: ChannelRecord,
  event: HeraldEvent,
  context: DeliveryContext,
  options: { readonly readSecret: ReadSecret; readonly transports: Transports; readonly now: Date },
): Promise<AttemptResult> => {
  const type = channelType(channel.type);
  if (type === undefined) {
    throw new InvalidChannelConfigError(
      `channel ${channel.id} has type ${channel.type}, which Herald does not know`,
    );
  }
  const secrets = await readChannelSecrets(channel, options.readSecret);
  let message: unknown;
  try {
    message = type.render({
      event,
      context,
      settings: channel.settings,
      secrets,
      template: channel.template,
      now: options.now,
    });
  } catch (error) {
    if (error instanceof TemplateTooLargeError) {
      throw new InvalidChannelConfigError(`channel ${channel.id}: ${error.message}`);
    }
    if (error instanceof z.ZodError) {
      const fields = [...new Set(error.issues.map((issue) => issue.path.join('.') || '(config)'))].join(', ');
      throw new InvalidChannelConfigError(
        `channel ${channel.id} has invalid config or secret fields: ${fields}`,
      );
    }
    throw error;
  }
  return type.send(message, options.transports, channel.settings);
};
