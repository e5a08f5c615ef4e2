import {
  EventBridgeClient,
  type EventBridgeClientConfig,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import type { AssumedRole, Transports } from '../types.ts';
import type { AssumedRoleCredentials } from './assumed-role.ts';

/** Makes an EventBridge client: the real one in the functions, a fake in unit tests. */
export type EventBridgeClientFactory = (config: EventBridgeClientConfig) => Pick<EventBridgeClient, 'send'>;

/**
 * Puts events on EventBridge with one client per region (the bus's) and role, kept for the function
 * instance. A failed entry comes back as its `ErrorCode` and `ErrorMessage`; the call itself throws.
 */
export const createEventBridgeTransport = (
  roles: Pick<AssumedRoleCredentials, 'get'>,
  makeClient: EventBridgeClientFactory = (config) => new EventBridgeClient(config),
): Transports['eventbridge'] => {
  const clients = new Map<string, Pick<EventBridgeClient, 'send'>>();
  const clientFor = (region: string, role: AssumedRole | undefined) => {
    const key = JSON.stringify([region, role?.roleArn ?? null, role?.externalId ?? null]);
    let client = clients.get(key);
    if (client === undefined) {
      client = makeClient({
        region,
        ...(role === undefined ? {} : { credentials: () => roles.get(role) }),
      });
      clients.set(key, client);
    }
    return client;
  };
  return async ({ eventBusArn, region, source, detailType, detail, time, role }) => {
    // A role that cannot be assumed fails here, as an AssumeRoleError, before EventBridge is asked.
    if (role !== undefined) await roles.get(role);
    const result = await clientFor(region, role).send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: eventBusArn, Source: source, DetailType: detailType, Detail: detail, Time: time },
        ],
      }),
    );
    const [entry] = result.Entries ?? [];
    if ((result.FailedEntryCount ?? 0) === 0 && entry?.EventId !== undefined)
      return { eventId: entry.EventId };
    return {
      errorCode: entry?.ErrorCode ?? 'UnknownError',
      errorMessage: entry?.ErrorMessage ?? (entry === undefined ? 'PutEvents answered no entry' : undefined),
    };
  };
};
