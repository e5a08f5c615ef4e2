import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkBatches } from '#shared/aws/queue.ts';

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
