import type { ChannelRecord } from '../channels/record.ts';
import type { PolicyRecord } from '../domain/policy.ts';
import type { SilenceRecord } from '../domain/silence.ts';

/** A channel, policy or silence, by kind and id. */
export interface ConfigRef {
  readonly kind: 'channel' | 'policy' | 'silence';
  readonly id: string;
}

/** Records of each kind routing reads. */
export interface ConfigRecords {
  readonly channels: ChannelRecord[];
  readonly policies: PolicyRecord[];
  readonly silences: SilenceRecord[];
}

/** One move of the config generation and the record it changed. */
export interface ConfigChange extends ConfigRef {
  readonly generation: number;
}

/** Where the router's config comes from (the config table). */
export interface ConfigSource {
  generation(): Promise<number>;
  listPolicies(): Promise<PolicyRecord[]>;
  listChannels(): Promise<ChannelRecord[]>;
  listSilences(): Promise<SilenceRecord[]>;
  changesBetween(after: number, upTo: number): Promise<ConfigChange[]>;
  /** The records among `refs` that exist; a ref without a record was deleted. */
  getMany(refs: readonly ConfigRef[]): Promise<ConfigRecords>;
}

export interface LiveConfigOptions {
  /** How often the generation is read. @default 1000 */
  readonly checkIntervalMs?: number;
  /** Everything is read again after this long, whatever the log says. @default 15 min */
  readonly fullReloadMs?: number;
  /** More changes than this at once are read as a full reload. @default 1000 */
  readonly maxChanges?: number;
  /** How long a gap in the change log may last (its writer between two writes) before a full reload. */
  readonly gapGraceMs?: number;
  readonly now?: () => number;
}

/** How the config was brought up to date, for logs and benchmarks. */
export type SyncKind = 'full' | 'changes' | 'none';

/**
 * The router's policies, channels and silences, kept in memory and brought up to date from the change log
 * rather than read again whole: on a cold start it reads everything once; after that it reads the
 * generation at most once per interval and, when it moved, only the changed records (a single policy
 * change costs two small reads, whatever the number of policies). A gap in the log that lasts, too
 * many changes at once, or the full-reload period reads everything again. `build` turns the records
 * into what routing uses (the policy index) after every change.
 */
export class LiveConfig<View> {
  private readonly policies = new Map<string, PolicyRecord>();
  private readonly channels = new Map<string, ChannelRecord>();
  private readonly silences = new Map<string, SilenceRecord>();
  private view: View | undefined;
  private generation = 0;
  private loadedAt = Number.NEGATIVE_INFINITY;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private gapSince: number | undefined;
  private pending: Promise<SyncKind> | undefined;
  private readonly options: Required<LiveConfigOptions>;

  constructor(
    private readonly source: ConfigSource,
    private readonly build: (
      policies: readonly PolicyRecord[],
      channels: readonly ChannelRecord[],
      silences: readonly SilenceRecord[],
    ) => View,
    options: LiveConfigOptions = {},
  ) {
    this.options = {
      checkIntervalMs: 1000,
      fullReloadMs: 15 * 60_000,
      maxChanges: 1000,
      gapGraceMs: 10_000,
      now: Date.now,
      ...options,
    };
  }

  /** The current view, brought up to date first when the interval has passed. */
  async get(): Promise<View> {
    await this.sync();
    return this.view as View;
  }

  /** Brings the config up to date unless it was checked less than an interval ago. */
  async sync(): Promise<SyncKind> {
    const now = this.options.now();
    if (this.view !== undefined && now - this.checkedAt < this.options.checkIntervalMs) return 'none';
    this.pending ??= this.refresh().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async refresh(): Promise<SyncKind> {
    const started = this.options.now();
    if (this.view === undefined || started - this.loadedAt >= this.options.fullReloadMs) {
      await this.reload(started);
      return 'full';
    }
    const latest = await this.source.generation();
    if (latest === this.generation) {
      this.checkedAt = started;
      return 'none';
    }
    if (latest < this.generation || latest - this.generation > this.options.maxChanges) {
      await this.reload(started);
      return 'full';
    }
    const changes = await this.source.changesBetween(this.generation, latest);
    const byGeneration = new Map(changes.map((change) => [change.generation, change]));
    const inOrder: ConfigChange[] = [];
    for (let next = this.generation + 1; byGeneration.has(next); next += 1) {
      inOrder.push(byGeneration.get(next) as ConfigChange);
    }
    const reached = this.generation + inOrder.length;
    if (reached < latest) {
      // A writer moved the generation and has not logged its change yet (or never will).
      this.gapSince ??= started;
      if (started - this.gapSince >= this.options.gapGraceMs) {
        await this.reload(started);
        return 'full';
      }
    } else {
      this.gapSince = undefined;
    }
    if (inOrder.length > 0) await this.apply(inOrder, reached);
    this.checkedAt = started;
    return inOrder.length > 0 ? 'changes' : 'none';
  }

  private async reload(started: number): Promise<void> {
    // The generation first: a change made while reading is seen again by the next check (harmless).
    const generation = await this.source.generation();
    const [policies, channels, silences] = await Promise.all([
      this.source.listPolicies(),
      this.source.listChannels(),
      this.source.listSilences(),
    ]);
    this.policies.clear();
    this.channels.clear();
    this.silences.clear();
    for (const policy of policies) this.policies.set(policy.id, policy);
    for (const channel of channels) this.channels.set(channel.id, channel);
    for (const silence of silences) this.silences.set(silence.id, silence);
    this.generation = generation;
    this.gapSince = undefined;
    this.loadedAt = started;
    this.checkedAt = started;
    this.rebuild();
  }

  private async apply(changes: readonly ConfigChange[], generation: number): Promise<void> {
    const refs = [...new Map(changes.map((change) => [`${change.kind}#${change.id}`, change])).values()];
    const found = await this.source.getMany(refs.map(({ kind, id }) => ({ kind, id })));
    for (const ref of refs) {
      if (ref.kind === 'policy') this.policies.delete(ref.id);
      else if (ref.kind === 'channel') this.channels.delete(ref.id);
      else this.silences.delete(ref.id);
    }
    for (const policy of found.policies) this.policies.set(policy.id, policy);
    for (const channel of found.channels) this.channels.set(channel.id, channel);
    for (const silence of found.silences) this.silences.set(silence.id, silence);
    this.generation = generation;
    this.rebuild();
  }

  private rebuild(): void {
    this.view = this.build(
      [...this.policies.values()],
      [...this.channels.values()],
      [...this.silences.values()],
    );
  }
}
