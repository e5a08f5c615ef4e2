/**
 * `herald apply`: channels, policies and silences as code. The file is validated whole, the server plans each
 * resource (`PUT ?dryRun=true`), `--prune` plans deletes for what the file no longer names, and the
 * plan runs in an order that never leaves a policy pointing at a channel that is about to appear.
 */
import * as z from 'zod';
import { ChannelInput } from '#shared/channels/input.ts';
import { Policy, ResourceId } from '#shared/domain/policy.ts';
import { Silence } from '#shared/domain/silence.ts';
import type { DryRunResult } from './client.ts';
import { type ParsedFile, parseStructured } from './file.ts';

/** A channel entry of the apply file: a channel as the API takes it, with its `id` required. */
export const ChannelEntry = z.intersection(z.looseObject({ id: ResourceId }), ChannelInput);

/**
 * The `herald apply` file: `{channels: [...], policies: [...], silences?: [...]}`
 * (examples/herald.local.yaml).
 */
export const ApplyFile = z
  .strictObject({
    channels: z.array(ChannelEntry).default([]),
    policies: z.array(Policy).default([]),
    silences: z.array(Silence).optional(),
  })
  .superRefine((file, ctx) => {
    for (const [kind, items] of [
      ['channels', file.channels],
      ['policies', file.policies],
      ['silences', file.silences ?? []],
    ] as const) {
      const seen = new Set<string>();
      items.forEach((item, index) => {
        if (seen.has(item.id)) {
          ctx.addIssue({ code: 'custom', path: [kind, index, 'id'], message: `duplicate id ${item.id}` });
        }
        seen.add(item.id);
      });
    }
  });

export type Kind = 'channel' | 'policy' | 'silence';
export type Action = 'create' | 'update' | 'unchanged' | 'delete';

/** One resource of the file: its id and the body to PUT, exactly as written. */
export interface DesiredResource {
  readonly kind: Kind;
  readonly id: string;
  readonly body: Readonly<Record<string, unknown>>;
}

/** What the file asks for: channels, policies and silences, in file order. */
export interface DesiredState {
  readonly channels: readonly DesiredResource[];
  readonly policies: readonly DesiredResource[];
  /**
   * Absent when the file has no `silences` key: silences are then not managed by the file, and
   * `--prune` leaves those made with `herald silences create` alone.
   */
  readonly silences?: readonly DesiredResource[];
}

const RawFile = z.looseObject({
  channels: z.array(z.record(z.string(), z.unknown())).default([]),
  policies: z.array(z.record(z.string(), z.unknown())).default([]),
  silences: z.array(z.record(z.string(), z.unknown())).default([]),
});

/** Validates an apply file (YAML or JSON); every problem names its line. */
export const parseApplyFile = (text: string, file: string): DesiredState => {
  const parsed: ParsedFile<z.output<typeof ApplyFile>> = parseStructured(text, file, ApplyFile);
  // The bodies sent are the entries as written (the server applies defaults itself).
  const raw = RawFile.parse(parsed.raw);
  const resources = (
    kind: Kind,
    items: readonly { id: string }[],
    bodies: readonly Record<string, unknown>[],
  ) => items.map((item, index): DesiredResource => ({ kind, id: item.id, body: bodies[index] ?? {} }));
  const { silences } = parsed.value;
  return {
    channels: resources('channel', parsed.value.channels, raw.channels),
    policies: resources('policy', parsed.value.policies, raw.policies),
    ...(silences === undefined ? {} : { silences: resources('silence', silences, raw.silences) }),
  };
};

/** One step of the plan. */
export interface PlanStep {
  readonly kind: Kind;
  readonly id: string;
  readonly action: Action;
  /** Changed field paths, for updates. */
  readonly changes: readonly string[];
  readonly warnings: readonly string[];
  /** The body to PUT (absent for deletes). */
  readonly body?: Readonly<Record<string, unknown>>;
  /** The ETag the step was planned against: the write fails (412) if someone changed it since. */
  readonly etag?: string;
}

/** What planning needs of the admin API. */
export interface PlanApi {
  planChannel(id: string, body: unknown): Promise<DryRunResult>;
  planPolicy(id: string, body: unknown): Promise<DryRunResult>;
  planSilence(id: string, body: unknown): Promise<DryRunResult>;
  listAllChannels(): Promise<readonly { readonly id: string }[]>;
  listAllPolicies(): Promise<readonly { readonly id: string }[]>;
  listAllSilences(): Promise<readonly { readonly id: string }[]>;
}

export interface PlanOptions {
  /**
   * Also delete channels and policies on the server that the file does not name (and silences, when
   * the file has a `silences` key).
   */
  readonly prune: boolean;
}

const PLAN_CONCURRENCY = 4;

/** Maps with at most `limit` calls in flight, keeping the order. */
const mapLimited = async <T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> => {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
};

const MISSING_CHANNEL = /\bchannel ([a-z0-9][a-z0-9-]*) does not exist\b/;

/**
 * Drops "channel x does not exist" warnings for channels this apply creates (the dry run cannot know
 * about them), and warns about policies that name a channel this apply deletes.
 */
const policyWarnings = (
  policy: DesiredResource,
  serverWarnings: readonly string[],
  fileChannels: ReadonlySet<string>,
  deletedChannels: ReadonlySet<string>,
): string[] => {
  const kept = serverWarnings.filter((warning) => {
    const missing = MISSING_CHANNEL.exec(warning)?.[1];
    return missing === undefined || !fileChannels.has(missing);
  });
  const named = Array.isArray(policy.body.channels) ? policy.body.channels.map(String) : [];
  const deleted = named
    .filter((channel) => deletedChannels.has(channel))
    .map((channel) => `channel ${channel} is deleted by this apply`);
  return [...kept, ...deleted];
};

/**
 * Plans an apply: each channel, policy, then silence through the server's dry run, then (with prune)
 * deletes of silences, policies, then channels, that the file does not name. Steps are in execution
 * order.
 */
export const planApply = async (
  desired: DesiredState,
  api: PlanApi,
  options: PlanOptions,
): Promise<PlanStep[]> => {
  const desiredSilences = desired.silences ?? [];
  const [channelPlans, policyPlans, silencePlans, serverChannels, serverPolicies, serverSilences] =
    await Promise.all([
      mapLimited(desired.channels, PLAN_CONCURRENCY, (channel) =>
        api.planChannel(channel.id, channel.body).catch(failedWhile('planning', channel)),
      ),
      mapLimited(desired.policies, PLAN_CONCURRENCY, (policy) =>
        api.planPolicy(policy.id, policy.body).catch(failedWhile('planning', policy)),
      ),
      mapLimited(desiredSilences, PLAN_CONCURRENCY, (silence) =>
        api.planSilence(silence.id, silence.body).catch(failedWhile('planning', silence)),
      ),
      options.prune ? api.listAllChannels() : Promise.resolve([]),
      options.prune ? api.listAllPolicies() : Promise.resolve([]),
      options.prune && desired.silences !== undefined ? api.listAllSilences() : Promise.resolve([]),
    ]);
  const fileSilences = new Set(desiredSilences.map((silence) => silence.id));
  const deletedSilences = serverSilences.map((silence) => silence.id).filter((id) => !fileSilences.has(id));
  const fileChannels = new Set(desired.channels.map((channel) => channel.id));
  const filePolicies = new Set(desired.policies.map((policy) => policy.id));
  const deletedChannels = serverChannels.map((channel) => channel.id).filter((id) => !fileChannels.has(id));
  const deletedPolicies = serverPolicies.map((policy) => policy.id).filter((id) => !filePolicies.has(id));
  const deletedChannelSet = new Set(deletedChannels);

  const put = (
    resource: DesiredResource,
    plan: DryRunResult | undefined,
    warnings: readonly string[],
  ): PlanStep => ({
    kind: resource.kind,
    id: resource.id,
    action: plan?.action ?? 'create',
    changes: plan?.action === 'update' ? plan.changes : [],
    warnings,
    body: resource.body,
    ...(plan?.etag ? { etag: plan.etag } : {}),
  });
  const remove =
    (kind: Kind) =>
    (id: string): PlanStep => ({ kind, id, action: 'delete', changes: [], warnings: [] });

  return [
    ...desired.channels.map((channel, index) =>
      put(channel, channelPlans[index], channelPlans[index]?.warnings ?? []),
    ),
    ...desired.policies.map((policy, index) =>
      put(
        policy,
        policyPlans[index],
        policyWarnings(policy, policyPlans[index]?.warnings ?? [], fileChannels, deletedChannelSet),
      ),
    ),
    ...desiredSilences.map((silence, index) =>
      put(silence, silencePlans[index], silencePlans[index]?.warnings ?? []),
    ),
    ...[...deletedSilences].sort().map(remove('silence')),
    ...[...deletedPolicies].sort().map(remove('policy')),
    ...[...deletedChannels].sort().map(remove('channel')),
  ];
};

/** What executing needs of the admin API. */
export interface ExecuteApi {
  putChannel(id: string, body: unknown, ifMatch: string | undefined): Promise<unknown>;
  putPolicy(
    id: string,
    body: unknown,
    ifMatch: string | undefined,
  ): Promise<{ readonly view: { readonly warnings?: readonly string[] | undefined } }>;
  putSilence(id: string, body: unknown, ifMatch: string | undefined): Promise<unknown>;
  deleteChannel(id: string): Promise<void>;
  deletePolicy(id: string): Promise<void>;
  deleteSilence(id: string): Promise<void>;
}

/** A step carried out, with the warnings the write returned. */
export interface AppliedStep {
  readonly step: PlanStep;
  readonly warnings: readonly string[];
}

/**
 * Runs every step that changes something, in plan order, stopping at the first failure (the error
 * says which step failed; earlier steps stay applied). `onStep` is told before each step.
 */
export const executePlan = async (
  plan: readonly PlanStep[],
  api: ExecuteApi,
  onStep: (step: PlanStep) => void = () => {},
): Promise<AppliedStep[]> => {
  const applied: AppliedStep[] = [];
  for (const step of plan) {
    if (step.action === 'unchanged') continue;
    onStep(step);
    try {
      applied.push({ step, warnings: await runStep(step, api) });
    } catch (cause) {
      throw new ApplyStepError(`${VERB[step.action]} ${step.kind} ${step.id}`, applied, cause);
    }
  }
  return applied;
};

const runStep = async (step: PlanStep, api: ExecuteApi): Promise<readonly string[]> => {
  if (step.action === 'delete') {
    await (step.kind === 'channel'
      ? api.deleteChannel(step.id)
      : step.kind === 'silence'
        ? api.deleteSilence(step.id)
        : api.deletePolicy(step.id));
    return [];
  }
  const body = step.body ?? {};
  if (step.kind === 'channel') {
    await api.putChannel(step.id, body, step.etag);
    return [];
  }
  if (step.kind === 'silence') {
    await api.putSilence(step.id, body, step.etag);
    return [];
  }
  const written = await api.putPolicy(step.id, body, step.etag);
  return written.view.warnings ?? [];
};

/** A step of `apply` failed (planning or writing one resource); `applied` lists what was done before. */
export class ApplyStepError extends Error {
  override readonly name = 'ApplyStepError';

  constructor(
    /** What was being done: `creating channel x`. */
    readonly doing: string,
    readonly applied: readonly AppliedStep[],
    cause: unknown,
  ) {
    super(`${doing} failed`, { cause });
  }
}

const failedWhile =
  (doing: string, resource: DesiredResource) =>
  (cause: unknown): never => {
    throw new ApplyStepError(`${doing} ${resource.kind} ${resource.id}`, [], cause);
  };

const VERB: Readonly<Record<Action, string>> = {
  create: 'creating',
  update: 'updating',
  unchanged: 'checking',
  delete: 'deleting',
};

const SYMBOL: Readonly<Record<Action, string>> = { create: '+', update: '~', unchanged: '=', delete: '-' };

/** `+ channel ops-webhook (create)`, `~ policy prod (update: events, channels)`, … */
export const formatStep = (step: PlanStep): string => {
  const detail =
    step.action === 'update' && step.changes.length > 0 ? `update: ${step.changes.join(', ')}` : step.action;
  return `${SYMBOL[step.action]} ${step.kind} ${step.id} (${detail})`;
};

export interface PlanCounts {
  readonly create: number;
  readonly update: number;
  readonly unchanged: number;
  readonly delete: number;
}

export const countPlan = (plan: readonly PlanStep[]): PlanCounts => ({
  create: plan.filter((step) => step.action === 'create').length,
  update: plan.filter((step) => step.action === 'update').length,
  unchanged: plan.filter((step) => step.action === 'unchanged').length,
  delete: plan.filter((step) => step.action === 'delete').length,
});

/** Whether the plan would change anything. */
export const hasChanges = (plan: readonly PlanStep[]): boolean =>
  plan.some((step) => step.action !== 'unchanged');

/**
 * The closing line: `Plan: 1 to create, …` for a dry run, `Applied: 1 created, …` after a run,
 * `No changes: …` when there was nothing to do.
 */
export const formatSummary = (plan: readonly PlanStep[], mode: 'dry-run' | 'applied'): string => {
  const counts = countPlan(plan);
  if (!hasChanges(plan)) return `No changes: ${counts.unchanged} unchanged.`;
  if (mode === 'dry-run') {
    return `Plan: ${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete, ${counts.unchanged} unchanged (dry run: nothing written).`;
  }
  return `Applied: ${counts.create} created, ${counts.update} updated, ${counts.delete} deleted, ${counts.unchanged} unchanged.`;
};
