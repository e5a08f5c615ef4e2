/**
 * The console's `/api/*` routes: each one a thin call (or a few) through the CLI's signed
 * {@link AdminClient}, so AWS credentials stay in this process. Bodies from the browser are checked
 * with zod; the admin API's answers were checked by the client.
 */
import * as z from 'zod';
import { parseDurationSeconds } from '#shared/domain/duration.ts';
import type { AdminClient, ChannelView, DeadLetterPage, DeliverySummary, RedriveResult } from '../client.ts';
import { isSecretView, secretText } from '../commands/shared.ts';
import { type CreateOptions, expireSilence, newSilenceId, silenceFromFlags } from '../commands/silences.ts';
import { ConsoleRequestError } from './errors.ts';
import { MatchRequest, whatWouldMatch } from './match.ts';
import {
  type DeliveryFigures,
  MAX_DELIVERIES,
  summarizeDeliveries,
  WINDOWS,
  type WindowName,
} from './overview.ts';

/** `GET /api/overview?window=1h|24h`. */
export interface OverviewAnswer {
  readonly deliveries: DeliveryFigures;
  readonly deadLetters: DeadLetterPage['counts'] | null;
  readonly deadLetterQueue: number | null;
  readonly ingestDeadLetters: number | null;
  readonly channels: {
    readonly total: number;
    readonly disabled: readonly { readonly id: string; readonly disabledReason: string | null }[];
  };
}

/** A channel in `GET /api/channels`, with its newest delivery. */
export type ChannelRow = ChannelView & { readonly lastDelivery: DeliverySummary | null };

export interface ChannelListAnswer {
  readonly items: readonly ChannelRow[];
  readonly nextToken: string | null;
}

/** One config field as the console shows it: a secret field only as `configured` or its reference. */
export interface ConfigField {
  readonly key: string;
  readonly text: string;
  readonly secret: boolean;
}

/** `GET /api/channels/{id}`. */
export interface ChannelDetailAnswer {
  readonly channel: ChannelView;
  readonly config: readonly ConfigField[];
  readonly deliveries: readonly DeliverySummary[];
}

/** `POST /api/channels/{id}/enabled`. */
export interface EnabledAnswer {
  readonly channel: ChannelView;
  readonly changes: readonly string[];
}

const configFields = (config: Readonly<Record<string, unknown>>): ConfigField[] =>
  Object.entries(config).map(([key, value]) =>
    isSecretView(value)
      ? { key, text: secretText(value), secret: true }
      : { key, text: typeof value === 'string' ? value : JSON.stringify(value), secret: false },
  );

/** One API request, as the server hands it over. */
export interface ApiRequest {
  readonly method: string;
  /** The path after `/api`, e.g. `/channels/ops`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The parsed JSON body (undefined when there was none). */
  readonly body: unknown;
}

type Handler = (client: AdminClient, params: readonly string[], request: ApiRequest) => Promise<unknown>;

interface Route {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  readonly handler: Handler;
}

const param = (params: readonly string[], at: number): string => decodeURIComponent(params[at] ?? '');
const optional = (query: URLSearchParams, name: string): string | undefined => {
  const value = query.get(name);
  return value === null || value === '' ? undefined : value;
};
const limitOf = (query: URLSearchParams, fallback: number): number => {
  const limit = Number(query.get('limit') ?? fallback);
  return Number.isInteger(limit) && limit >= 1 && limit <= 100 ? limit : fallback;
};

/** Runs `work` over `items`, at most `concurrency` at a time, keeping the order. */
export const mapLimited = async <T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> => {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const at = next;
      next += 1;
      results[at] = await work(items[at] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
};

/** The newest delivery of a channel, or null. */
const lastDelivery = async (client: AdminClient, channelId: string): Promise<DeliverySummary | null> =>
  (await client.listDeliveries({ channel: channelId, limit: 1 })).items[0] ?? null;

/** Deliveries created since `since`, newest first, up to {@link MAX_DELIVERIES}. */
const deliveriesSince = async (client: AdminClient, since: Date) => {
  const items: DeliverySummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.listDeliveries({ since: since.toISOString(), limit: 100, nextToken });
    items.push(...page.items);
    nextToken = page.nextToken ?? undefined;
  } while (nextToken !== undefined && nextToken !== '' && items.length < MAX_DELIVERIES);
  return { items, truncated: nextToken !== undefined && nextToken !== '' };
};

/**
 * A channel as `PUT` takes it, from the view `GET` answered: read-only fields dropped, secret fields
 * Herald stores (`{configured: true}`) left out so they keep their value, references kept as given.
 */
export const channelBody = (view: ChannelView): Record<string, unknown> => {
  const {
    id: _id,
    etag: _etag,
    createdAt: _created,
    updatedAt: _updated,
    target: _target,
    disabledReason: _reason,
    config,
    ...rest
  } = view;
  const kept = Object.entries(config).filter(
    ([, value]) =>
      !(isSecretView(value) && typeof value === 'object' && value !== null && 'configured' in value),
  );
  return { ...rest, config: Object.fromEntries(kept) };
};

const EnabledBody = z.object({ enabled: z.boolean() });
const RedriveBody = z.union([
  z.strictObject({ channel: z.string().min(1).optional() }),
  z.strictObject({ deliveryIds: z.array(z.string().min(1)).min(1).max(100) }),
]);
const SilenceBody = z.strictObject({
  id: z.string().min(1).optional(),
  comment: z.string().max(1024).optional(),
  /** A duration such as `30m`, `2h`, `1d`. */
  for: z.string().min(1),
  events: z.array(z.string().min(1)).default([]),
  /** `attribute=pattern` pairs. */
  match: z.array(z.string().min(1)).default([]),
  channels: z.array(z.string().min(1)).default([]),
});

/** How long a redrive by filter is followed before the console answers with its running state. */
const REDRIVE_WAIT_MS = 20_000;

const followRedrive = async (client: AdminClient, started: RedriveResult): Promise<RedriveResult> => {
  let result = started;
  const deadline = Date.now() + REDRIVE_WAIT_MS;
  while (result.status === 'running' && result.id !== undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    result = await client.getRedrive(result.id);
  }
  return result;
};

const routes: readonly Route[] = [
  {
    method: 'GET',
    pattern: /^\/overview$/,
    handler: async (client, _params, { query }): Promise<OverviewAnswer> => {
      const window: WindowName = query.get('window') === '24h' ? '24h' : '1h';
      const now = new Date();
      const [deliveries, deadLetters, channels] = await Promise.all([
        deliveriesSince(client, new Date(now.getTime() - WINDOWS[window].ms)),
        client.listDeadLetters({ limit: 1 }),
        client.listAllChannels(),
      ]);
      return {
        deliveries: summarizeDeliveries(deliveries.items, window, now, deliveries.truncated),
        deadLetters: deadLetters.counts ?? null,
        deadLetterQueue: deadLetters.queue?.approximateMessages ?? null,
        ingestDeadLetters: deadLetters.ingest?.approximateMessages ?? null,
        channels: {
          total: channels.length,
          disabled: channels
            .filter((channel) => !channel.enabled)
            .map((channel) => ({ id: channel.id, disabledReason: channel.disabledReason ?? null })),
        },
      };
    },
  },
  {
    method: 'GET',
    pattern: /^\/channels$/,
    handler: async (client, _params, { query }): Promise<ChannelListAnswer> => {
      const page = await client.listChannels({
        limit: limitOf(query, 50),
        nextToken: optional(query, 'nextToken'),
      });
      const last =
        query.get('last') === '0'
          ? []
          : await mapLimited(page.items, 8, (channel) => lastDelivery(client, channel.id));
      return {
        items: page.items.map((channel, at) => ({ ...channel, lastDelivery: last[at] ?? null })),
        nextToken: page.nextToken ?? null,
      };
    },
  },
  {
    method: 'GET',
    pattern: /^\/channels\/([^/]+)$/,
    handler: async (client, params): Promise<ChannelDetailAnswer> => {
      const id = param(params, 0);
      const [{ view }, deliveries] = await Promise.all([
        client.getChannel(id),
        client.listDeliveries({ channel: id, limit: 20 }),
      ]);
      return { channel: view, config: configFields(view.config), deliveries: deliveries.items };
    },
  },
  {
    method: 'POST',
    pattern: /^\/channels\/([^/]+)\/test$/,
    handler: (client, params) => client.testChannel(param(params, 0)),
  },
  {
    method: 'POST',
    pattern: /^\/channels\/([^/]+)\/enabled$/,
    // As `herald apply` writes: a dry run first, applied only if it changes `enabled` alone, with If-Match.
    handler: async (client, params, { body }): Promise<EnabledAnswer> => {
      const id = param(params, 0);
      const { enabled } = EnabledBody.parse(body);
      const { view } = await client.getChannel(id);
      const next = { ...channelBody(view), enabled };
      const plan = await client.planChannel(id, next);
      const other = plan.changes.filter((change) => change !== 'enabled');
      if (other.length > 0) {
        throw new ConsoleRequestError(
          409,
          'conflict',
          `channel ${id} would also change ${other.join(', ')}: use herald apply for that`,
        );
      }
      if (plan.action === 'unchanged') return { channel: view, changes: [] };
      const written = await client.putChannel(id, next, { ifMatch: plan.etag ?? undefined });
      return { channel: written.view, changes: plan.changes };
    },
  },
  {
    method: 'GET',
    pattern: /^\/policies$/,
    handler: async (client) => ({ items: await client.listAllPolicies() }),
  },
  {
    method: 'GET',
    pattern: /^\/policies\/([^/]+)$/,
    handler: async (client, params) => (await client.getPolicy(param(params, 0))).view,
  },
  {
    method: 'POST',
    pattern: /^\/match$/,
    handler: async (client, _params, { body }) => {
      const parsed = MatchRequest.parse(body);
      const [policies, channels, silences] = await Promise.all([
        client.listAllPolicies(),
        client.listAllChannels(),
        client.listAllSilences(),
      ]);
      return whatWouldMatch(parsed.event, { policies, channels, silences }, new Date());
    },
  },
  {
    method: 'GET',
    pattern: /^\/events\/([^/]+)$/,
    handler: (client, params) => client.getEvent(param(params, 0)),
  },
  {
    method: 'GET',
    pattern: /^\/deliveries$/,
    handler: (client, _params, { query }) =>
      client.listDeliveries({
        status: optional(query, 'status'),
        channel: optional(query, 'channel'),
        since: optional(query, 'since'),
        limit: limitOf(query, 50),
        nextToken: optional(query, 'nextToken'),
      }),
  },
  {
    method: 'GET',
    pattern: /^\/dead-letters$/,
    handler: (client, _params, { query }) =>
      client.listDeadLetters({
        channel: optional(query, 'channel'),
        limit: limitOf(query, 50),
        nextToken: optional(query, 'nextToken'),
      }),
  },
  {
    method: 'POST',
    pattern: /^\/dead-letters\/redrive$/,
    handler: async (client, _params, { body }) => {
      const what = RedriveBody.parse(body ?? {});
      return followRedrive(client, await client.redrive(what));
    },
  },
  {
    method: 'GET',
    pattern: /^\/silences$/,
    handler: async (client) => ({ items: await client.listAllSilences() }),
  },
  {
    method: 'POST',
    pattern: /^\/silences$/,
    handler: async (client, _params, { body }) => {
      const given = SilenceBody.parse(body);
      const seconds = parseDurationOrThrow(given.for);
      const options: CreateOptions = {
        match: given.match,
        events: given.events,
        channel: given.channels,
        for: seconds,
        window: [],
        ...(given.comment === undefined || given.comment === '' ? {} : { comment: given.comment }),
      };
      const id = given.id ?? newSilenceId();
      return (await client.putSilence(id, silenceFromFlags(options, new Date()))).view;
    },
  },
  {
    method: 'POST',
    pattern: /^\/silences\/([^/]+)\/expire$/,
    handler: async (client, params) => (await expireSilence(client, param(params, 0), new Date())).view,
  },
  {
    method: 'GET',
    pattern: /^\/audit$/,
    handler: (client, _params, { query }) =>
      client.listAudit({ limit: limitOf(query, 50), nextToken: optional(query, 'nextToken') }),
  },
];

const parseDurationOrThrow = (text: string): number => {
  const seconds = parseDurationSeconds(text);
  if (seconds === undefined || seconds <= 0) {
    throw new ConsoleRequestError(400, 'invalid_request', 'the request is not valid', [
      { path: 'for', message: 'expected a duration such as 30m, 2h or 1d' },
    ]);
  }
  return seconds;
};

/** Finds the route for a request and runs it; throws {@link ConsoleRequestError} for an unknown one. */
export const handleApi = async (client: AdminClient, request: ApiRequest): Promise<unknown> => {
  let pathKnown = false;
  for (const route of routes) {
    const match = route.pattern.exec(request.path);
    if (match === null) continue;
    pathKnown = true;
    if (route.method !== request.method) continue;
    return route.handler(client, match.slice(1), request);
  }
  if (pathKnown)
    throw new ConsoleRequestError(405, 'method_not_allowed', `${request.method} is not allowed here`);
  throw new ConsoleRequestError(404, 'not_found', `no console route ${request.path}`);
};
