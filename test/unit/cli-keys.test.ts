import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseScope } from '../../cli/commands/keys.ts';

describe('herald keys create --scope', () => {
  it('reads attribute=value, several values, and repeats', () => {
    const first = parseScope('tenant=acme');
    const second = parseScope('environment=production, staging', first);

    expect(second).toEqual({ tenant: ['acme'], environment: ['production', 'staging'] });
    expect(parseScope('tenant=globex', second).tenant).toEqual(['acme', 'globex']);
  });

  it.each(['tenant', '=acme', 'tenant='])('refuses %j', (value) => {
    expect(() => parseScope(value)).toThrow(InvalidArgumentError);
  });
});
