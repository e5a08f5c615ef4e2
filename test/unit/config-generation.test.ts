import { describe, expect, it } from 'vitest';
import { ConfigGeneration } from '#shared/runtime/config-generation.ts';

/** A generation counter and a clock the test moves. */
const setup = () => {
  const world = { generation: 1, now: 0, reads: 0, cleared: 0 };
  const tracker = new ConfigGeneration(
    async () => {
      world.reads += 1;
      return world.generation;
    },
    () => {
      world.cleared += 1;
    },
    1000,
    () => world.now,
  );
  return { world, tracker };
};

describe('ConfigGeneration', () => {
  it('reads the generation at most once per interval', async () => {
    // Prepare
    const { world, tracker } = setup();

    // Act
    await tracker.sync();
    world.now = 500;
    await tracker.sync();
    world.now = 999;
    await tracker.sync();
    world.now = 1000;
    await tracker.sync();

    // Assess
    expect(world.reads).toBe(2);
  });

  it('clears the caches when the generation moved, and only then', async () => {
    // Prepare
    const { world, tracker } = setup();
    await tracker.sync();

    // Act
    world.now = 1000;
    await tracker.sync();
    const clearedWhileUnchanged = world.cleared;
    world.generation = 2;
    world.now = 2000;
    await tracker.sync();

    // Assess
    expect(clearedWhileUnchanged).toBe(0);
    expect(world.cleared).toBe(1);
  });

  it('sees a change made just before a read started, within one interval of the change', async () => {
    // Prepare: in sync at t = 0.
    const { world, tracker } = setup();
    await tracker.sync();

    // Act: an admin write answered at t = 10 ms; an attempt starts at t = 1010 ms.
    world.generation = 2;
    world.now = 1010;
    await tracker.sync();

    // Assess
    expect(world.cleared).toBe(1);
  });

  it('shares one read between concurrent callers, and tries again after a failed read', async () => {
    // Prepare
    let fail = true;
    let reads = 0;
    const tracker = new ConfigGeneration(
      async () => {
        reads += 1;
        if (fail) throw new Error('throttled');
        return 1;
      },
      () => undefined,
    );

    // Act
    const concurrent = await Promise.allSettled([tracker.sync(), tracker.sync()]);
    fail = false;
    await tracker.sync();

    // Assess
    expect(concurrent.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(reads).toBe(2);
  });
});
