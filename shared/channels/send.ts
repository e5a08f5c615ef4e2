import * as z from 'zod';
import type { Digest } from '../domain/digest.ts';
import type { HeraldEvent } from '../domain/event.ts';
import { loadDigestRendering } from './digest-loading.ts';
import { type ChannelRecord, type ReadSecret, readChannelSecrets } from './record.ts';
import { channelType } from './registry.ts';
import type { AttemptResult, DeliveryContext, Transports } from './types.ts';

/** The field paths of a zod error, never the values. */
const fieldsOf = (error: z.ZodError): string =>
  [...new Set(error.issues.map((issue) => issue.path.join('.') || '(config)'))].join(', ');

/** The channel's secrets do not make a valid config (yet): the attempt is retried. Names fields only. */
export class ChannelSecretsError extends Error {
  override readonly name = 'ChannelSecretsError';
}

/** The channel's stored config cannot make a message: retrying will not help. */
export class InvalidChannelConfigError extends Error {
  override readonly name = 'InvalidChannelConfigError';
}

/** What one attempt sends: one event, or a digest of many. */
export type Sendable = { readonly event: HeraldEvent } | { readonly digest: Digest };

/**
 * One attempt of one event (or one digest) to one channel: read its secrets, render for its type,
 * send, classify. The deliver function and the admin API's test-send both call this. Throws only when
 * the channel cannot be prepared: {@link InvalidChannelConfigError} when its config or secrets are
 * invalid (the error names fields, never values), the read error when a secret cannot be read, the
 * import error when the digest renderers' file does not load.
 */
export const sendToChannel = async (
  channel: ChannelRecord,
  what: Sendable,
  context: DeliveryContext,
  options: { readonly readSecret: ReadSecret; readonly transports: Transports; readonly now: Date },
): Promise<AttemptResult> => {
  const type = channelType(channel.type);
  if (type === undefined) {
    throw new InvalidChannelConfigError(
      `channel ${channel.id} has type ${channel.type}, which Herald does not know`,
    );
  }
  const settings = type.settings.safeParse(channel.settings);
  if (!settings.success) {
    throw new InvalidChannelConfigError(
      `channel ${channel.id} has invalid settings: ${fieldsOf(settings.error)}`,
    );
  }
  if ('digest' in what && !type.digests) {
    throw new InvalidChannelConfigError(`the ${channel.type} channel type takes no digest`);
  }
  const secrets = await readChannelSecrets(channel, options.readSecret);
  let render: () => unknown;
  if ('digest' in what) {
    // The digest renderers are loaded from their own file on the first digest (`digest-loading.ts`);
    // a file that does not load throws from here, as a secret that cannot be read does.
    const digests = await loadDigestRendering();
    render = () =>
      type.renderDigest(
        { digest: what.digest, context, settings: channel.settings, secrets, now: options.now },
        digests,
      );
  } else {
    render = () =>
      type.render({
        event: what.event,
        context,
        settings: channel.settings,
        secrets,
        template: channel.template,
        now: options.now,
      });
  }
  let message: unknown;
  try {
    message = render();
  } catch (error) {
    if (error instanceof z.ZodError) {
      // The settings are valid, so the secrets are not: being changed (the record is written before its
      // secret), or wrong. Retried on the schedule, dead-lettered with this reason if they stay so.
      throw new ChannelSecretsError(`channel ${channel.id} has invalid secret fields: ${fieldsOf(error)}`);
    }
    // A template that cannot render (too large, invalid JSON for this event): the channel must change.
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidChannelConfigError(`channel ${channel.id} cannot render this event: ${reason}`);
  }
  return type.send(message, options.transports, channel.settings);
};
