import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoalescingSender, chunkBatches, type QueueEntry } from '#shared/aws/queue.ts';

const MAX_BATCH_BYTES = 1024 * 1024 - 16 * 1024;
const entry = (key: string, bytes: number) => ({ key, body: 'x'.repeat(bytes) });
const keysOf = (batches: { key: string }[][]) => batches.map((batch) => batch.map((item) => item.key));

describe('chunkBatches', () => {
  it('returns no batch for no entries', () => {
    expect(chunkBatches([])).toEqual([]);
  });

  it('puts at most 10 entries in a batch', () => {
    // Prepare
    const entries = Array.from({ length: 23 }, (_, i) => entry(`k${i}`, 10));

    // Act
    const batches = chunkBatches(entries);

    // Assess
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 3]);
  });

  it('starts a new batch before the byte limit is passed', () => {
    // Prepare: three bodies of 400 KiB; two fit under about 1 MiB, three do not
    const entries = ['a', 'b', 'c'].map((key) => entry(key, 400 * 1024));

    // Act
    const batches = chunkBatches(entries);

    // Assess
    expect(keysOf(batches)).toEqual([['a', 'b'], ['c']]);
  });

  it('counts bytes as UTF-8, not characters', () => {
    // Prepare: 300 Ki characters of 2 bytes each is 600 KiB
    const entries = ['a', 'b'].map((key) => ({ key, body: 'é'.repeat(300 * 1024) }));

    // Act
    const batches = chunkBatches(entries);

    // Assess
    expect(keysOf(batches)).toEqual([['a'], ['b']]);
  });

  it('puts an entry larger than the limit in a batch of its own', () => {
    const batches = chunkBatches([
      entry('small', 10),
      entry('huge', MAX_BATCH_BYTES + 1),
      entry('after', 10),
    ]);
    expect(keysOf(batches)).toEqual([['small'], ['huge'], ['after']]);
  });

  it('keeps every entry once and in order, within both limits', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 * 1024 }), { maxLength: 40 }), (sizes) => {
        // Prepare
        const entries = sizes.map((bytes, i) => entry(`k${i}`, bytes));

        // Act
        const batches = chunkBatches(entries);

        // Assess
        expect(batches.flat().map((item) => item.key)).toEqual(entries.map((item) => item.key));
        for (const batch of batches) {
          expect(batch.length).toBeGreaterThan(0);
          expect(batch.length).toBeLessThanOrEqual(10);
          expect(batch.reduce((sum, item) => sum + item.body.length, 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('CoalescingSender', () => {
  /** A queue that records each sendAll and refuses the bodies it is told to. */
  const recordingQueue = (refuse: (body: string) => boolean = () => false) => {
    const sends: QueueEntry[][] = [];
    return {
      sends,
      sendAll: async (entries: readonly QueueEntry[]) => {
        sends.push([...entries]);
        return entries.filter((entry) => refuse(entry.body)).map((entry) => entry.key);
      },
    };
  };

  it('sends the calls of one turn together, and gives each caller its own failed keys', async () => {
    // Prepare: two events routed at once, both to a channel `ops` (the keys repeat across callers)
    const queue = recordingQueue((body) => body === 'b-ops');
    const sender = new CoalescingSender(queue);

    // Act
    const [first, second] = await Promise.all([
      sender.sendAll([
        { key: 'ops', body: 'a-ops' },
        { key: 'audit', body: 'a-audit' },
      ]),
      sender.sendAll([{ key: 'ops', body: 'b-ops' }]),
    ]);

    // Assess
    expect(queue.sends).toHaveLength(1);
    expect(queue.sends[0]?.map((entry) => entry.body)).toEqual(['a-ops', 'a-audit', 'b-ops']);
    expect(first).toEqual([]);
    expect(second).toEqual(['ops']);
  });

  it('sends calls of later turns on their own, and passes a thrown error to every caller of its turn', async () => {
    const queue = recordingQueue();
    const sender = new CoalescingSender(queue);
    await sender.sendAll([{ key: 'x', body: 'x' }]);
    await sender.sendAll([{ key: 'y', body: 'y' }]);
    expect(queue.sends).toHaveLength(2);

    const failing = new CoalescingSender({
      sendAll: async () => {
        throw new Error('queue unavailable');
      },
    });
    const results = await Promise.allSettled([
      failing.sendAll([{ key: 'a', body: 'a' }]),
      failing.sendAll([{ key: 'b', body: 'b' }]),
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
  });
});
