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

/** The whole config as one router read it from the table: every record, at a generation. */
export interface ConfigSnapshot extends ConfigRecords {
  readonly generation: number;
  /** When the read began (ms since the epoch): the generation was read then, the records after it. */
  readonly takenAt: number;
}

/** Where a router leaves what it read whole for the others' cold starts (see ConfigSnapshotStore). */
export interface ConfigSnapshots {
  /** The latest snapshot unless it was taken before `notBefore` (ms); undefined too when unreadable. */
  latest(notBefore: number): Promise<ConfigSnapshot | undefined>;
  /** Keeps `snapshot` as the latest unless a later one is kept already; never throws. */
  save(snapshot: ConfigSnapshot): Promise<void>;
}

/** No sharing: every cold start reads everything. */
const NO_SNAPSHOTS: ConfigSnapshots = {
  latest: async () => undefined,
  save: async () => undefined,
};

/** What a full read or a snapshot brought, for the log: how, at which generation, how many, how long. */
export interface ConfigLoad {
  readonly kind: 'full' | 'snapshot';
  readonly generation: number;
  readonly policies: number;
  readonly channels: number;
  readonly silences: number;
  readonly ms: number;
}

export interface LiveConfigOptions {
  /** Told of each full read and each start from a snapshot (not of catching up). @default nothing */
  readonly onLoad?: (load: ConfigLoad) => void;
  /**
   * Snapshots shared between routers: a full read saves one, and a cold start begins from the latest
   * (then reads the changes logged since it) instead of reading every record. @default none
   */
  readonly snapshots?: ConfigSnapshots;
  /** How old a snapshot a cold start begins from (well inside the change log's day). @default 1 h */
  readonly snapshotMaxAgeMs?: number;
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

/**
 * How the config was brought up to date, for logs and benchmarks: read whole, begun from a snapshot
 * (and the changes logged since), caught up from the change log, or already up to date.
 */
export type SyncKind = 'full' | 'snapshot' | 'changes' | 'none';

/**
 * The router's policies, channels and silences, kept in memory and brought up to date from the change log
 * rather than read again whole: on a cold start it reads everything once; after that it reads the
 * generation at most once per interval and, when it moved, only the changed records (a single policy
 * change costs two small reads, whatever the number of policies). A gap in the log that lasts, too
 * many changes at once, or the full-reload period reads everything again. `build` turns the records
 * into what routing uses (the policy index) after every change.
 *
 * With `snapshots`, what one router read whole serves the others: each full read is saved, and a cold
 * start begins from a snapshot up to `snapshotMaxAgeMs` old, then reads the changes logged since, as a
 * warm router does (with 100,000 policies, a few reads of about a megabyte instead of 35 MB of
 * records). The full-reload period stays a full read from the table for each router, unless another
 * router's snapshot is younger than half the period; a router that began from an older snapshot reads
 * everything within half the period.
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
  private saving: Promise<void> = Promise.resolve();
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
      onLoad: () => {},
      snapshots: NO_SNAPSHOTS,
      snapshotMaxAgeMs: 60 * 60_000,
      checkIntervalMs: 1000,
      fullReloadMs: 15 * 60_000,
      maxChanges: 1000,
      gapGraceMs: 10_000,
      now: Date.now,
      ...options,
    };
  }

  /**
   * Resolves when the snapshots this instance is saving are saved: a full read saves one without
   * holding up the routing that waited for the read, so the handler awaits this once its batch is
   * routed (a Lambda instance is frozen between invocations).
   */
  async settled(): Promise<void> {
    await this.saving;
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
    const kind = await this.bringUpToDate(started);
    if (kind === 'full' || kind === 'snapshot') {
      this.options.onLoad({
        kind,
        generation: this.generation,
        policies: this.policies.size,
        channels: this.channels.size,
        silences: this.silences.size,
        ms: this.options.now() - started,
      });
    }
    return kind;
  }

  private async bringUpToDate(started: number): Promise<SyncKind> {
    const cold = this.view === undefined;
    let restored = false;
    if (cold || started - this.loadedAt >= this.options.fullReloadMs) {
      const maxAge = cold ? this.options.snapshotMaxAgeMs : this.options.fullReloadMs / 2;
      const snapshot = await this.options.snapshots.latest(started - maxAge);
      if (snapshot === undefined) {
        await this.reload(started);
        return 'full';
      }
      this.restore(snapshot, started);
      restored = true;
    }
    try {
      return await this.catchUp(started, restored);
    } catch (error) {
      // A snapshot replaced what is held but the view was not rebuilt from it: begin again next time.
      if (restored) this.loadedAt = Number.NEGATIVE_INFINITY;
      throw error;
    }
  }

  /** Reads the changes logged since the generation held, and rebuilds the view (always after a restore). */
  private async catchUp(started: number, restored: boolean): Promise<SyncKind> {
    const latest = await this.source.generation();
    if (latest < this.generation || latest - this.generation > this.options.maxChanges) {
      await this.reload(started);
      return 'full';
    }
    const changes =
      latest === this.generation ? [] : await this.source.changesBetween(this.generation, latest);
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
    if (inOrder.length > 0) await this.apply(inOrder);
    this.generation = reached;
    if (restored || inOrder.length > 0) this.rebuild();
    this.checkedAt = started;
    if (restored) return 'snapshot';
    return inOrder.length > 0 ? 'changes' : 'none';
  }

  /**
   * Begins from a snapshot instead of a full read. It counts as a full read as of when it was taken,
   * but for at most half the full-reload period: a router that began from an older one reads
   * everything (or a younger snapshot) within that half.
   */
  private restore(snapshot: ConfigSnapshot, started: number): void {
    this.replace(snapshot);
    this.generation = snapshot.generation;
    this.gapSince = undefined;
    this.loadedAt = Math.min(started, Math.max(snapshot.takenAt, started - this.options.fullReloadMs / 2));
  }

  private async reload(started: number): Promise<void> {
    // The generation first: a change made while reading is seen again by the next check (harmless).
    const generation = await this.source.generation();
    const [policies, channels, silences] = await Promise.all([
      this.source.listPolicies(),
      this.source.listChannels(),
      this.source.listSilences(),
    ]);
    this.replace({ policies, channels, silences });
    this.generation = generation;
    this.gapSince = undefined;
    this.loadedAt = started;
    this.checkedAt = started;
    this.rebuild();
    // Saved after the caller's work, not in its way (see `settled`).
    const saving = this.options.snapshots.save({
      generation,
      takenAt: started,
      policies,
      channels,
      silences,
    });
    this.saving = Promise.all([this.saving, saving]).then(() => undefined);
  }

  private replace(records: ConfigRecords): void {
    this.policies.clear();
    this.channels.clear();
    this.silences.clear();
    for (const policy of records.policies) this.policies.set(policy.id, policy);
    for (const channel of records.channels) this.channels.set(channel.id, channel);
    for (const silence of records.silences) this.silences.set(silence.id, silence);
  }

  /** Applies logged changes (the caller moves the generation and rebuilds the view). */
  private async apply(changes: readonly ConfigChange[]): Promise<void> {
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
  }

  private rebuild(): void {
    this.view = this.build(
      [...this.policies.values()],
      [...this.channels.values()],
      [...this.silences.values()],
    );
  }
}
