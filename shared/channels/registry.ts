/**
 * Every channel type Herald knows, and the one place that branches on a channel's `type`. Adding a
 * type: a folder beside this file with its `defineChannelType(...)`, and one line in `CHANNEL_TYPES`.
 */
import { discord } from './discord/index.ts';
import { email } from './email/index.ts';
import { eventbridge } from './eventbridge/index.ts';
import { pagerduty } from './pagerduty/index.ts';
import { slack } from './slack/index.ts';
import { sns } from './sns/index.ts';
import { sqs } from './sqs/index.ts';
import { teams } from './teams/index.ts';
import type { ChannelType } from './types.ts';
import { webhook } from './webhook/index.ts';

export const CHANNEL_TYPES: Readonly<Record<string, ChannelType>> = Object.fromEntries(
  [webhook, slack, discord, teams, email, sns, sqs, eventbridge, pagerduty].map((type) => [type.type, type]),
);

export const CHANNEL_TYPE_NAMES = Object.keys(CHANNEL_TYPES);

/** The type of a stored channel; undefined for a type this version does not know. */
export const channelType = (name: string): ChannelType | undefined =>
  Object.hasOwn(CHANNEL_TYPES, name) ? CHANNEL_TYPES[name] : undefined;
