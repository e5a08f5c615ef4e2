/**
 * Schemas built on first use instead of at import (cold start, issue 10). Building a zod schema runs
 * zod's constructors, and the first schema of each kind compiles them: the schemas Herald declared at
 * module scope cost every function instance milliseconds before its first event, most of them for
 * schemas that instance never uses (the admin API's, other channel types').
 *
 * `lazySchema(() => z.object({ … }))` returns a stand-in that becomes that schema at its first use (any
 * property read: `.parse`, `.extend`, `.optional()`, zod reading it inside another schema). Until then
 * nothing is built; a lazy schema nested in another (`z.object({ id: ResourceId })`) is built when the
 * outer one first parses. The stand-in is not a wrapper: it is initialised by the built schema's own
 * constructor, as zod's `clone()` would make a copy, so zod's internals, `instanceof`, `schema === X`
 * comparisons and `z.toJSONSchema` see one schema, the stand-in. Not for a schema that refers to
 * itself: that is `z.lazy`'s job.
 */
import * as z from 'zod';

export const lazySchema = <T extends z.ZodType>(build: () => T): T => {
  // Empty until first use; then the schema itself (its prototype, `_zod`, `def`…), reached through the proxy.
  const target = {};
  let state: 'lazy' | 'building' | 'built' = 'lazy';
  /** A build that threw: the schema is unusable, and every use says why. */
  let failure: { readonly error: unknown } | undefined;
  const standIn = new Proxy(target, {
    get: (_target, key, receiver) => {
      ready();
      return Reflect.get(target, key, receiver);
    },
    set: (_target, key, value, receiver) => {
      ready();
      return Reflect.set(target, key, value, receiver);
    },
    has: (_target, key) => {
      ready();
      return Reflect.has(target, key);
    },
    defineProperty: (_target, key, descriptor) => {
      ready();
      return Reflect.defineProperty(target, key, descriptor);
    },
    deleteProperty: (_target, key) => {
      ready();
      return Reflect.deleteProperty(target, key);
    },
    ownKeys: () => {
      ready();
      return Reflect.ownKeys(target);
    },
    getOwnPropertyDescriptor: (_target, key) => {
      ready();
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    getPrototypeOf: () => {
      ready();
      return Reflect.getPrototypeOf(target);
    },
  }) as T;
  const ready = (): void => {
    if (failure !== undefined) throw failure.error;
    // While the constructor runs, its reads and writes go straight to the target.
    if (state !== 'lazy') return;
    state = 'building';
    try {
      const built = build();
      Object.setPrototypeOf(target, Object.getPrototypeOf(built));
      // zod's constructors initialise `this`: what `new constr(def)` does in `clone()`, on the stand-in.
      Reflect.apply(built._zod.constr, standIn, [built._zod.def]);
      // What a clone does not carry over: the schema it was refined from, and `.meta()`/`.describe()`.
      if (built._zod.parent !== undefined) standIn._zod.parent = built._zod.parent;
      const meta = z.globalRegistry.get(built);
      if (meta !== undefined) z.globalRegistry.add(standIn, meta);
      state = 'built';
    } catch (error) {
      failure = { error };
      throw error;
    }
  };
  return standIn;
};
