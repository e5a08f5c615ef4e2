import { describe, expect, it } from 'vitest';
import { HttpError } from '#shared/domain/errors.ts';
import { KeyScope } from '#shared/ingest/key-scope.ts';
import { assertInScope, readScopeContext, scopeViolations } from '#shared/ingest/scope.ts';

const event = (attributes: Record<string, string>, source = 'ci') => ({ source, attributes });

describe('API key scope', () => {
  it('lets events inside the scope through', () => {
    const scope = KeyScope.parse({ tenant: 'acme', environment: ['prod*', 'staging'] });

    expect(scopeViolations([event({ tenant: 'acme', environment: 'production' })], scope)).toEqual([]);
    expect(() => assertInScope([event({ tenant: 'acme', environment: 'staging' })], scope)).not.toThrow();
    expect(() => assertInScope([event({})], undefined)).not.toThrow();
  });

  it('names each attribute outside the scope, or missing, with the event index', () => {
    const scope = KeyScope.parse({ tenant: 'acme', source: 'ci-*' });

    const issues = scopeViolations(
      [event({ tenant: 'acme' }, 'ci-acme'), event({ tenant: 'globex' }), event({})],
      scope,
    );

    expect(issues).toEqual([
      { index: 1, path: 'attributes.tenant', message: "outside this API key's scope (tenant: acme)" },
      { index: 1, path: 'source', message: "outside this API key's scope (source: ci-*)" },
      { index: 2, path: 'attributes.tenant', message: "required by this API key's scope (tenant: acme)" },
      { index: 2, path: 'source', message: "outside this API key's scope (source: ci-*)" },
    ]);
  });

  it('refuses the whole request with 403 when one event is outside', () => {
    const scope = KeyScope.parse({ tenant: 'acme' });

    let thrown: unknown;
    try {
      assertInScope([event({ tenant: 'acme' }), event({ tenant: 'globex' })], scope);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(HttpError);
    expect(thrown).toMatchObject({ status: 403, code: 'outside_key_scope', details: [{ index: 1 }] });
  });

  it('keeps negations: a purely negative condition lets an absent attribute through', () => {
    const scope = KeyScope.parse({ environment: '!production' });

    expect(scopeViolations([event({}), event({ environment: 'staging' })], scope)).toEqual([]);
    expect(scopeViolations([event({ environment: 'production' })], scope)).toHaveLength(1);
  });

  it('reads the scope the authorizer passed on, and refuses empty or oversized scopes', () => {
    expect(readScopeContext('')).toBeUndefined();
    expect(readScopeContext(undefined)).toBeUndefined();
    expect(readScopeContext('{"tenant":"acme"}')).toEqual({ tenant: 'acme' });
    expect(KeyScope.safeParse({}).success).toBe(false);
    expect(KeyScope.safeParse({ tenant: '' }).success).toBe(false);
  });
});
