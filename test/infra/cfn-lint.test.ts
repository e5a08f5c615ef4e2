import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeraldStack } from '../../infra/herald-stack.ts';
import { installCfnLint } from '../../scripts/lib/local-aws.ts';
import { STACKS } from './stacks.ts';

/** A first run installs cfn-lint into `.local/venv` from PyPI (about 15 s), then it is reused. */
const INSTALL_TIMEOUT_MS = 5 * 60_000;

/**
 * Checks left out, each with why:
 * - W3005 (a `DependsOn` already implied by a `GetAtt`): aws-cdk-lib makes every Lambda function
 *   depend on its role explicitly, beside the `Role` GetAtt; harmless, and not ours to change.
 */
const IGNORED_CHECKS = ['W3005'];

const outdir = mkdtempSync(join(tmpdir(), 'herald-cfn-lint-'));
let cfnLint: string;

beforeAll(() => {
  // Prepare: the pinned cfn-lint (npm test runs this project before any global setup installs it).
  cfnLint = installCfnLint((message) => console.log(message));
}, INSTALL_TIMEOUT_MS);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('cfn-lint', () => {
  it.each(Object.entries(STACKS))('finds nothing in the synthesized template (%s)', (name, props) => {
    // Prepare: synthesize without bundling (the lint is about the template, not the code).
    const app = new App({
      outdir: join(outdir, name.replace(/\W/g, '-')),
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    const stack = new HeraldStack(app, 'Herald', props);
    const assembly = app.synth();

    // Act
    const result = spawnSync(
      cfnLint,
      [
        '--format',
        'parseable',
        '--ignore-checks',
        ...IGNORED_CHECKS,
        '--',
        join(assembly.directory, stack.templateFile),
      ],
      { encoding: 'utf8' },
    );

    // Assess: errors and warnings alike, printed one a line.
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });
});
