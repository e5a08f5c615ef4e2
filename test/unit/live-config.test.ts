import { describe, expect, it } from 'vitest';
import type { ChannelRecord } from '#shared/channels/record.ts';
import type { PolicyRecord } from '#shared/domain/policy.ts';
import type { SilenceRecord } from '#shared/domain/silence.ts';
import {
  type ConfigChange,
  type ConfigLoad,
  type ConfigRef,
  type ConfigSnapshot,
  type ConfigSnapshots,
  type ConfigSource,
  LiveConfig,
} from '#shared/runtime/live-config.ts';

const policy = (id: string, version = 1): PolicyRecord => ({
  id,
  enabled: true,
  events: ['*'],
  match: {},
  minSeverity: 'info',
  channels: ['ops'],
  createdAt: '2026-11-25T00:00:00.000Z',
  updatedAt: '2026-11-25T00:00:00.000Z',
  version,
});

const silence = (id: string, version = 1): SilenceRecord => ({
  id,
  events: ['*'],
  match: { environment: 'staging' },
  startsAt: '2026-11-25T00:00:00.000Z',
  endsAt: '2026-11-26T00:00:00.000Z',
  createdAt: '2026-11-25T00:00:00.000Z',
  updatedAt: '2026-11-25T00:00:00.000Z',
  version,
});

/** A config table in memory that counts what is read from it. */
class FakeSource implements ConfigSource {
  readonly policies = new Map<string, PolicyRecord>();
  readonly silences = new Map<string, SilenceRecord>();
  readonly log: ConfigChange[] = [];
  generationValue = 0;
  reads = { generation: 0, fullLists: 0, changes: 0, records: 0 };

  /** An admin write: the record, the generation, then (unless `unlogged`) its change record. */
  write(id: string, record: PolicyRecord | undefined, { unlogged = false } = {}) {
    if (record === undefined) this.policies.delete(id);
    else this.policies.set(id, record);
    this.generationValue += 1;
    if (!unlogged) this.log.push({ generation: this.generationValue, kind: 'policy', id });
  }

  async generation() {
    this.reads.generation += 1;
    return this.generationValue;
  }
  async listPolicies() {
    this.reads.fullLists += 1;
    return [...this.policies.values()];
  }
  async listChannels(): Promise<ChannelRecord[]> {
    return [];
  }
  async listSilences() {
    return [...this.silences.values()];
  }
  /** An admin write of a silence, logged like any change. */
  writeSilence(id: string, record: SilenceRecord | undefined) {
    if (record === undefined) this.silences.delete(id);
    else this.silences.set(id, record);
    this.generationValue += 1;
    this.log.push({ generation: this.generationValue, kind: 'silence', id });
  }
  async changesBetween(after: number, upTo: number) {
    this.reads.changes += 1;
    return this.log.filter((change) => change.generation > after && change.generation <= upTo);
  }
  async getMany(refs: readonly ConfigRef[]) {
    this.reads.records += refs.length;
    const policies = refs.flatMap((ref) => {
      const found = ref.kind === 'policy' ? this.policies.get(ref.id) : undefined;
      return found === undefined ? [] : [found];
    });
    const silences = refs.flatMap((ref) => {
      const found = ref.kind === 'silence' ? this.silences.get(ref.id) : undefined;
      return found === undefined ? [] : [found];
    });
    return { policies, channels: [], silences };
  }
}

/** The snapshots routers share, in memory: the latest one kept, what was asked and saved counted. */
class FakeSnapshots implements ConfigSnapshots {
  kept: ConfigSnapshot | undefined;
  saved: ConfigSnapshot[] = [];
  reads = 0;

  async latest(notBefore: number) {
    this.reads += 1;
    return this.kept !== undefined && this.kept.takenAt >= notBefore ? this.kept : undefined;
  }
  async save(snapshot: ConfigSnapshot) {
    this.saved.push(snapshot);
    if (this.kept === undefined || this.kept.takenAt < snapshot.takenAt) this.kept = snapshot;
  }
}

const setUp = (options: { maxChanges?: number; snapshots?: ConfigSnapshots; source?: FakeSource } = {}) => {
  const source = options.source ?? new FakeSource();
  let now = 0;
  const live = new LiveConfig(
    source,
    (policies) => policies.map((entry) => `${entry.id}@${entry.version}`).sort(),
    {
      now: () => now,
      ...options,
    },
  );
  return { source, live, advance: (ms: number) => (now += ms), at: (ms: number) => (now = ms) };
};

describe('LiveConfig (the router’s policies, caught up from the change log)', () => {
  it('reads everything once, then only the records a change names', async () => {
    // Prepare
    const { source, live, advance } = setUp();
    for (let index = 0; index < 1000; index += 1) source.write(`p${index}`, policy(`p${index}`));
    expect(await live.get()).toHaveLength(1000);

    // Act
    source.write('p7', policy('p7', 2));
    source.write('p8', undefined);
    source.write('new', policy('new'));
    advance(1000);
    const view = await live.get();

    // Assess
    expect(view).toContain('p7@2');
    expect(view).not.toContain('p8@1');
    expect(view).toContain('new@1');
    expect(view).toHaveLength(1000);
    expect(source.reads).toMatchObject({ fullLists: 1, changes: 1, records: 3 });
  });

  it('catches up silences from the change log like policies', async () => {
    // Prepare
    const source = new FakeSource();
    let now = 0;
    const live = new LiveConfig(
      source,
      (_policies, _channels, silences) => silences.map((entry) => `${entry.id}@${entry.version}`).sort(),
      { now: () => now },
    );
    source.writeSilence('quiet', silence('quiet'));
    expect(await live.get()).toEqual(['quiet@1']);

    // Act
    source.writeSilence('quiet', silence('quiet', 2));
    source.writeSilence('window', silence('window'));
    now += 1000;
    const changed = await live.get();
    source.writeSilence('quiet', undefined);
    now += 1000;
    const deleted = await live.get();

    // Assess
    expect(changed).toEqual(['quiet@2', 'window@1']);
    expect(deleted).toEqual(['window@1']);
    expect(source.reads).toMatchObject({ fullLists: 1, changes: 2, records: 3 });
  });

  it('reads the generation at most once per interval, and nothing else while it stands still', async () => {
    const { source, live, advance } = setUp();
    await live.get();
    await live.get();
    advance(999);
    await live.get();
    advance(1);
    await live.get();
    expect(source.reads).toEqual({ generation: 2, fullLists: 1, changes: 0, records: 0 });
  });

  it('waits out a gap in the log for a moment, then reads everything again', async () => {
    // Prepare: a writer moved the generation but has not logged its change
    const { source, live, advance } = setUp();
    await live.get();
    source.write('a', policy('a'), { unlogged: true });
    source.write('b', policy('b'));

    // Act + Assess: nothing applied past the gap…
    advance(1000);
    expect(await live.get()).toEqual([]);
    advance(5000);
    expect(await live.get()).toEqual([]);
    // …until the grace period ends
    advance(5000);
    expect(await live.get()).toEqual(['a@1', 'b@1']);
    expect(source.reads.fullLists).toBe(2);
  });

  it('applies a gap as soon as its change is logged', async () => {
    const { source, live, advance } = setUp();
    await live.get();
    source.write('a', policy('a'), { unlogged: true });
    advance(1000);
    await live.get();
    source.log.push({ generation: 1, kind: 'policy', id: 'a' });
    advance(1000);
    expect(await live.get()).toEqual(['a@1']);
    expect(source.reads.fullLists).toBe(1);
  });

  it('reads everything again after too many changes at once, and after the full-reload period', async () => {
    const { source, live, advance } = setUp({ maxChanges: 2 });
    await live.get();
    for (const id of ['a', 'b', 'c']) source.write(id, policy(id));
    advance(1000);
    expect(await live.get()).toEqual(['a@1', 'b@1', 'c@1']);
    expect(source.reads).toMatchObject({ fullLists: 2, changes: 0 });
    advance(15 * 60_000);
    await live.get();
    expect(source.reads.fullLists).toBe(3);
  });
});

const MINUTE = 60_000;
const viewOf = (policies: readonly PolicyRecord[]) =>
  policies.map((entry) => `${entry.id}@${entry.version}`).sort();

describe('LiveConfig with snapshots (what one router read whole, shared with the others)', () => {
  it('saves what a full read found, at the generation read before it', async () => {
    // Prepare: a change lands while the policies are being read
    const snapshots = new FakeSnapshots();
    const { source, live } = setUp({ snapshots });
    source.write('a', policy('a'));
    source.write('b', policy('b'));
    const listPolicies = source.listPolicies.bind(source);
    source.listPolicies = async () => {
      const listed = await listPolicies();
      source.write('c', policy('c'));
      return listed;
    };

    // Act
    await live.get();
    await live.settled();

    // Assess: the generation from before the read, so a router beginning from it reads that change again
    expect(snapshots.saved).toHaveLength(1);
    expect(snapshots.saved[0]).toMatchObject({ generation: 2, takenAt: 0 });
    expect(snapshots.saved[0]?.policies.map((entry) => entry.id).sort()).toEqual(['a', 'b']);
    const next = setUp({ snapshots, source });
    expect(await next.live.sync()).toBe('snapshot');
    expect(await next.live.get()).toEqual(['a@1', 'b@1', 'c@1']);
  });

  it('saves without holding up the read: get() answers before the save ends, settled() after it', async () => {
    // Prepare: a save that ends when told to
    let finish = () => {};
    const snapshots = new FakeSnapshots();
    snapshots.save = (snapshot) =>
      new Promise<void>((resolve) => {
        finish = () => {
          snapshots.saved.push(snapshot);
          resolve();
        };
      });
    const { source, live } = setUp({ snapshots });
    source.write('a', policy('a'));

    // Act + Assess
    expect(await live.get()).toEqual(['a@1']);
    let settled = false;
    const settling = live.settled().then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    finish();
    await settling;
    expect(snapshots.saved).toHaveLength(1);
  });

  it('tells of each full read and start from a snapshot, with counts, and not of catching up', async () => {
    // Prepare
    const snapshots = new FakeSnapshots();
    const source = new FakeSource();
    source.write('a', policy('a'));
    const loads: ConfigLoad[] = [];
    let clock = 0;
    const options = { snapshots, now: () => clock, onLoad: (load: ConfigLoad) => void loads.push(load) };
    const first = new LiveConfig(source, () => 0, options);
    const second = new LiveConfig(source, () => 0, options);

    // Act
    await first.get();
    source.write('b', policy('b'));
    clock = 1000;
    await first.get();
    await second.get();

    // Assess
    expect(loads).toEqual([
      { kind: 'full', generation: 1, policies: 1, channels: 0, silences: 0, ms: 0 },
      { kind: 'snapshot', generation: 2, policies: 2, channels: 0, silences: 0, ms: 0 },
    ]);
  });

  it('builds the view once for a snapshot and the changes since it', async () => {
    const snapshots = new FakeSnapshots();
    const source = new FakeSource();
    source.write('a', policy('a'));
    await setUp({ snapshots, source }).live.get();
    source.write('b', policy('b'));
    source.write('c', policy('c'));

    let builds = 0;
    const live = new LiveConfig(
      source,
      (policies) => {
        builds += 1;
        return policies.length;
      },
      { snapshots, now: () => 0 },
    );
    expect(await live.get()).toBe(3);
    expect(builds).toBe(1);
  });

  it('begins again when catching up after a snapshot fails, never keeping the view from before it', async () => {
    // Prepare: a warm router holding a@1; a@2 since, in a snapshot another router saved
    const snapshots = new FakeSnapshots();
    const source = new FakeSource();
    source.write('a', policy('a'));
    let clock = 0;
    const live = new LiveConfig(source, (policies) => viewOf(policies), {
      snapshots,
      now: () => clock,
    });
    expect(await live.get()).toEqual(['a@1']);
    source.write('a', policy('a', 2));
    snapshots.kept = {
      generation: 2,
      takenAt: 14 * MINUTE,
      policies: [policy('a', 2)],
      channels: [],
      silences: [],
    };

    // Act: the full-reload period ends, the snapshot is restored, then reading the generation fails once
    clock = 15 * MINUTE;
    const generation = source.generation.bind(source);
    source.generation = async () => {
      source.generation = generation;
      throw new Error('throttled');
    };
    await expect(live.sync()).rejects.toThrow('throttled');
    clock += 1000;

    // Assess: the next check begins again and shows a@2
    expect(await live.get()).toEqual(['a@2']);
  });

  it('begins a cold start from the latest snapshot and the changes logged since it, reading no list', async () => {
    // Prepare: one router read everything and saved it; then the config changed
    const snapshots = new FakeSnapshots();
    const source = new FakeSource();
    for (const id of ['a', 'b', 'c']) source.write(id, policy(id));
    const first = setUp({ snapshots, source });
    await first.live.get();
    source.write('a', policy('a', 2));
    source.write('b', undefined);
    source.write('d', policy('d'));
    const reads = { ...source.reads };

    // Act: another router's cold start, ten minutes later
    const second = setUp({ snapshots, source });
    second.at(10 * MINUTE);
    const kind = await second.live.sync();

    // Assess
    expect(kind).toBe('snapshot');
    expect(await second.live.get()).toEqual(['a@2', 'c@1', 'd@1']);
    expect(source.reads.fullLists - reads.fullLists).toBe(0);
    expect(source.reads.records - reads.records).toBe(3);
    expect(snapshots.saved).toHaveLength(1);
  });

  it('reads everything on a cold start when the latest snapshot is over an hour old, and saves anew', async () => {
    const snapshots = new FakeSnapshots();
    const source = new FakeSource();
    source.write('a', policy('a'));
    await setUp({ snapshots, source }).live.get();

    const late = setUp({ snapshots, source });
    late.at(60 * MINUTE + 1);
    expect(await late.live.sync()).toBe('full');
    expect(source.reads.fullLists).toBe(2);
    expect(snapshots.saved.map((snapshot) => snapshot.takenAt)).toEqual([0, 60 * MINUTE + 1]);
  });

  it('reads everything when a snapshot is further behind than the changes it may catch up', async () => {
    const snapshots = new FakeSnapshots();
    const source = new FakeSource();
    await setUp({ snapshots, source, maxChanges: 2 }).live.get();
    for (const id of ['a', 'b', 'c']) source.write(id, policy(id));

    const second = setUp({ snapshots, source, maxChanges: 2 });
    expect(await second.live.sync()).toBe('full');
    expect(await second.live.get()).toEqual(['a@1', 'b@1', 'c@1']);
  });

  it('keeps to the full-reload period: a router that began from an old snapshot reads everything within half of it', async () => {
    // Prepare: a snapshot 40 minutes old when a router starts
    const snapshots = new FakeSnapshots();
    const source = new FakeSource();
    source.write('a', policy('a'));
    await setUp({ snapshots, source }).live.get();
    const router = setUp({ snapshots, source });
    router.at(40 * MINUTE);
    expect(await router.live.sync()).toBe('snapshot');

    // Act + Assess: at 7.5 minutes, the full reload; the only snapshot is older than that, so the table
    router.advance(7.5 * MINUTE - 1000);
    expect(await router.live.sync()).toBe('none');
    router.advance(1000);
    expect(await router.live.sync()).toBe('full');
    expect(source.reads.fullLists).toBe(2);
  });

  it('takes the full reload from another router’s snapshot when it is younger than half the period', async () => {
    // Prepare: two routers; the second read everything ten minutes after the first
    const snapshots = new FakeSnapshots();
    const source = new FakeSource();
    source.write('a', policy('a'));
    const first = setUp({ snapshots, source });
    await first.live.get();
    const second = setUp({ snapshots, source });
    second.at(10 * MINUTE);
    snapshots.kept = undefined;
    expect(await second.live.sync()).toBe('full');
    source.write('b', policy('b'));

    // Act: the first router's full-reload period ends
    first.advance(15 * MINUTE);
    const kind = await first.live.sync();

    // Assess: it began again from the second's snapshot (5 minutes old) and the change since
    expect(kind).toBe('snapshot');
    expect(await first.live.get()).toEqual(['a@1', 'b@1']);
    expect(source.reads.fullLists).toBe(2);
  });
});
