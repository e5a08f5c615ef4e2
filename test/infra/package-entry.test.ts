/**
 * The package entry point, `herald/construct`, as another CDK app uses it: built with
 * `npm run build:construct`, installed as a linked package (what `npm install ../herald` makes), loaded by
 * plain Node.js (no TypeScript loader) and type-checked against its declarations.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BUILD_TIMEOUT_MS = 60_000;

/** A CDK app of its own (CommonJS, like `cdk init`), with Herald and aws-cdk-lib linked in. */
const consumer = mkdtempSync(join(tmpdir(), 'herald-consumer-'));

/** Runs `command` and returns its output, failing with it when the command fails. */
const run = (command: string, args: readonly string[], cwd: string): string => {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited with ${result.status}:\n${result.stderr}${result.stdout}`,
    );
  }
  return result.stdout;
};

/** The app: a stack of its own with Herald in it, printed as its template (functions not bundled). */
const APP_JS = `
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Herald } from 'herald/construct';

const app = new App({ outdir: process.argv[2], context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new Stack(app, 'Consumer', { env: { account: '123456789012', region: 'eu-west-1' } });
new Herald(stack, 'Notifications', {
  memorySize: { deliver: 512 },
  timeout: { deliver: Duration.seconds(45) },
});
process.stdout.write(JSON.stringify(app.synth().getStackByName('Consumer').template));
`;

/** The same in TypeScript, checked against the declarations the entry point's `types` name. */
const APP_TS = `
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Herald, type HeraldProps } from 'herald/construct';

const props: HeraldProps = { memorySize: { deliver: 512 }, timeout: { deliver: Duration.seconds(45) } };
const herald = new Herald(new Stack(new App(), 'Consumer'), 'Notifications', props);
export const visibility: number = herald.delivery.queue.visibilityTimeout.toSeconds();
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['es2022'],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    types: ['node'],
  },
  include: ['app.ts'],
};

beforeAll(() => {
  // Prepare: build the entry point, then link Herald and its peers into the app as npm would.
  run('npm', ['run', 'build:construct'], ROOT);
  mkdirSync(join(consumer, 'node_modules', '@types'), { recursive: true });
  symlinkSync(ROOT, join(consumer, 'node_modules', 'herald'), 'dir');
  for (const peer of ['aws-cdk-lib', 'constructs', '@types/node']) {
    symlinkSync(join(ROOT, 'node_modules', peer), join(consumer, 'node_modules', peer), 'dir');
  }
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  writeFileSync(join(consumer, 'app.mjs'), APP_JS);
  writeFileSync(join(consumer, 'app.ts'), APP_TS);
  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(TSCONFIG));
}, BUILD_TIMEOUT_MS);

afterAll(() => rmSync(consumer, { recursive: true, force: true }));

describe('herald/construct', () => {
  it('synthesizes in another app run by plain Node.js, the functions found where the package is', () => {
    // Act: run from the app's directory, which has no lock file (Herald bundles from its own root).
    const template = Template.fromJSON(
      JSON.parse(run(process.execPath, ['app.mjs', join(consumer, 'cdk.out')], consumer)),
    );

    // Assess
    template.resourceCountIs('AWS::Lambda::Function', 7);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Herald deliver'),
      MemorySize: 512,
      Timeout: 45,
    });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 6 * 45 });
  });

  it('type-checks against its declarations in a CommonJS app without TypeScript extensions', () => {
    // Act
    const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], {
      cwd: consumer,
      encoding: 'utf8',
    });

    // Assess
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });

  it('loads neither the AWS SDK nor handler code', () => {
    // Act
    const bundle = readFileSync(join(ROOT, 'dist', 'construct', 'index.js'), 'utf8');

    // Assess: bare imports are left to the app's node_modules; the bundle names each module it holds.
    const imported = [...bundle.matchAll(/\b(?:from|import)\s*\(?"([^"]+)"/g)].map(([, from]) => from);
    expect(imported).toContain('aws-cdk-lib');
    expect(imported.filter((from) => from?.startsWith('@aws-sdk/'))).toEqual([]);
    const modules = [...bundle.matchAll(/^\/\/ (\S+\.ts)$/gm)].map(([, path]) => path);
    expect(modules.length).toBeGreaterThan(0);
    expect(modules.filter((path) => !/^(infra|shared)\//.test(path ?? ''))).toEqual([]);
  });
});
