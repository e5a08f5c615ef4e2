import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HERALD_VERSION } from '#shared/domain/version.ts';

describe('HERALD_VERSION', () => {
  it('equals the version in package.json (sent in user-agent)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(HERALD_VERSION).toBe(pkg.version);
  });
});
