import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { lazySchema } from '../../shared/runtime/lazy-schema.ts';

const eager = () =>
  z.strictObject({
    id: z.string().regex(/^[a-z]+$/, 'id must be lower-case letters'),
    count: z.number().int().min(1).optional(),
  });

describe('lazySchema', () => {
  it('builds nothing until the schema is first used, then once', () => {
    let builds = 0;
    const schema = lazySchema(() => {
      builds += 1;
      return eager();
    });
    expect(builds).toBe(0);
    schema.parse({ id: 'abc' });
    schema.safeParse({ id: 'x', count: 2 });
    expect(builds).toBe(1);
  });

  it('parses, refuses and reports issues exactly as the schema it stands for', () => {
    const lazy = lazySchema(eager);
    const inputs = [
      { id: 'abc' },
      { id: 'ABC' },
      { id: 'abc', count: 0 },
      { id: 'abc', extra: true },
      'nope',
    ];
    for (const input of inputs) {
      const [a, b] = [lazy.safeParse(input), eager().safeParse(input)];
      expect(a.success).toBe(b.success);
      expect(a.data).toEqual(b.data);
      expect(a.error?.issues).toEqual(b.error?.issues);
    }
  });

  it('works where zod reads it: nested in another schema, extended, made optional, as JSON Schema', () => {
    const lazy = lazySchema(eager);
    const outer = z.object({ inner: lazy, list: z.array(lazy).optional() });
    expect(outer.safeParse({ inner: { id: 'abc' }, list: [{ id: 'd' }] }).success).toBe(true);
    expect(outer.safeParse({ inner: { id: 'ABC' } }).error?.issues[0]?.path).toEqual(['inner', 'id']);
    expect(lazy.extend({ more: z.boolean() }).parse({ id: 'a', more: true })).toEqual({
      id: 'a',
      more: true,
    });
    expect(lazy.optional().parse(undefined)).toBeUndefined();
    expect(z.toJSONSchema(lazySchema(eager))).toEqual(z.toJSONSchema(eager()));
    expect(lazy instanceof z.ZodObject).toBe(true);
  });

  it('keeps refinements, descriptions and metadata', () => {
    const refined = () =>
      z
        .object({ from: z.number(), to: z.number() })
        .refine((range) => range.from <= range.to, { message: 'from must not be after to', path: ['to'] })
        .describe('a range');
    const lazy = lazySchema(refined);
    expect(lazy.safeParse({ from: 2, to: 1 }).error?.issues).toEqual(
      refined().safeParse({ from: 2, to: 1 }).error?.issues,
    );
    expect(lazy.description).toBe('a range');
  });

  it('says why on every use when the schema could not be built', () => {
    const broken = lazySchema((): z.ZodString => {
      throw new Error('no schema today');
    });
    expect(() => broken.parse('x')).toThrow('no schema today');
    expect(() => broken.safeParse('x')).toThrow('no schema today');
  });
});
