/**
 * "What would match": the router's own matcher (`PolicyIndex`, as `shared/route/router.ts` builds it)
 * and its silence check (`mutedBy`), run in the console server over the policies, channels and
 * silences the admin API answers now. Nothing is sent or recorded.
 */
import * as z from 'zod';
import { EventInput, normalizeEvent, Severity } from '#shared/domain/event.ts';
import type { RoutableChannel, RoutablePolicy } from '#shared/domain/matcher.ts';
import { PolicyIndex } from '#shared/domain/policy-index.ts';
import { mutedBy, SilenceRecord } from '#shared/domain/silence.ts';
import type { ChannelView, PolicyView, SilenceView } from '../client.ts';

/** One channel the event would reach. */
export interface MatchedRoute {
  readonly channelId: string;
  /** The policies that send it there (`channel:<id>` for a channel's own `events`). */
  readonly policyIds: readonly string[];
  /** The silence that would mute it now, if any. */
  readonly silencedBy?: string;
}

export interface MatchAnswer {
  /** The event as Herald would accept it (defaults applied). */
  readonly event: EventInput & { readonly severity: string; readonly subject: string };
  readonly routes: readonly MatchedRoute[];
  /** Channels a matching policy names that do not exist or are disabled. */
  readonly missingChannels: readonly string[];
  readonly policies: number;
  readonly channels: number;
}

/** The body of `POST /api/match`: the event as a producer would send it. */
export const MatchRequest = z.object({ event: z.unknown() });

/** A policy as the admin API shows it, as the matcher reads it (the API's defaults applied). */
export const routablePolicy = (view: PolicyView): RoutablePolicy => ({
  id: view.id,
  enabled: view.enabled ?? true,
  events: view.events ?? ['*'],
  match: view.match ?? {},
  minSeverity: Severity.catch('info').parse(view.minSeverity ?? 'info'),
  channels: view.channels,
});

export const routableChannel = (view: ChannelView): RoutableChannel => ({
  id: view.id,
  enabled: view.enabled,
  ...(view.events === undefined ? {} : { events: view.events }),
});

/** A silence as the admin API shows it, as `mutedBy` reads it; undefined when it does not parse. */
export const silenceRecord = (view: SilenceView): SilenceRecord | undefined => {
  const { status: _status, etag: _etag, ...fields } = view;
  const parsed = SilenceRecord.safeParse({
    ...fields,
    createdAt: view.createdAt ?? view.startsAt,
    updatedAt: view.updatedAt ?? view.startsAt,
    version: 1,
  });
  return parsed.success ? parsed.data : undefined;
};

/** Routes `input` as the router would now. Throws a ZodError when it is no valid event. */
export const whatWouldMatch = (
  input: unknown,
  config: {
    readonly policies: readonly PolicyView[];
    readonly channels: readonly ChannelView[];
    readonly silences: readonly SilenceView[];
  },
  now: Date,
): MatchAnswer => {
  const event = normalizeEvent(EventInput.parse(input), now, () => 'console-preview');
  const index = new PolicyIndex(config.policies.map(routablePolicy), config.channels.map(routableChannel));
  const matched = index.match(event);
  const silences = config.silences.flatMap((view) => silenceRecord(view) ?? []);
  return {
    event,
    routes: matched.routes.map((route) => {
      const silence = mutedBy(silences, event, route.channelId, now);
      return { ...route, ...(silence === undefined ? {} : { silencedBy: silence.id }) };
    }),
    missingChannels: matched.missingChannels,
    policies: config.policies.length,
    channels: config.channels.length,
  };
};
