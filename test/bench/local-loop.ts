/**
 * The local loop (issue 10): wall time of `npm run local` on a fresh clone of this repository's
 * committed `main` to the first delivery, split into its phases (npm ci, emulator install and start,
 * CDK bootstrap, synthesis and bundling, deployment, first cold starts and demo), then a second
 * `npm run local` on the running emulator. Needs port 4566 free: it starts its own emulator in the
 * clone and stops it after. npm and pip caches are whatever this machine has (warm after one run).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../scripts/lib/local-aws.ts';
import { log } from './stack.ts';
import type { Row } from './table.ts';

/** Progress lines of `npm run local`, in order, and the phase each one starts. */
const MARKERS: { readonly pattern: RegExp; readonly phase: string }[] = [
  { pattern: /Installing MiniStack/, phase: 'emulator install' },
  { pattern: /Starting MiniStack/, phase: 'emulator start' },
  { pattern: /Checking the CDK bootstrap/, phase: 'bootstrap' },
  { pattern: /Deploying the/, phase: 'synthesis, bundling and deployment' },
  { pattern: /Configuring the demo/, phase: 'first cold starts and demo' },
];

interface LoopRun {
  readonly totalMs: number;
  /** Phase → milliseconds, in the order met. */
  readonly phases: Map<string, number>;
  /** What `cdk deploy` reported: synthesis with bundling, and deployment (seconds). */
  readonly cdk?: { synthesis: number; deployment: number };
}

const healthy = async () => {
  try {
    return (await fetch('http://127.0.0.1:4566/_ministack/health')).ok;
  } catch {
    return false;
  }
};

/** Runs `npm run local` (exiting after the demo) in `dir`, timing each phase up to the first delivery. */
const runLocal = (dir: string): Promise<LoopRun> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('npm', ['run', 'local'], {
      cwd: dir,
      env: { ...process.env, HERALD_LOCAL_EXIT_AFTER_DEMO: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const phases = new Map<string, number>();
    let current = 'prerequisites and tsx';
    let currentSince = started;
    let cdk: LoopRun['cdk'];
    let firstDelivery: number | undefined;
    let output = '';
    const enter = (phase: string, at: number) => {
      phases.set(current, (phases.get(current) ?? 0) + (at - currentSince));
      current = phase;
      currentSince = at;
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      const at = performance.now();
      for (const line of chunk.split('\n')) {
        const marker = MARKERS.find((entry) => entry.pattern.test(line));
        if (marker) enter(marker.phase, at);
        const reported = /synthesis and bundling ([0-9.]+) s, deployment ([0-9.]+) s/.exec(line);
        if (reported) cdk = { synthesis: Number(reported[1]), deployment: Number(reported[2]) };
        if (firstDelivery === undefined && line.includes('📬')) {
          firstDelivery = at;
          enter('after the first delivery', at);
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('exit', (code) => {
      if (code !== 0 || firstDelivery === undefined) {
        reject(new Error(`npm run local exited ${code} without a delivery:\n${output.slice(-3000)}`));
        return;
      }
      phases.delete('after the first delivery');
      resolve({ totalMs: firstDelivery - started, phases, ...(cdk ? { cdk } : {}) });
    });
  });

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const describeRun = (run: LoopRun): string =>
  [...run.phases]
    .map(([phase, ms]) => {
      if (phase === 'synthesis, bundling and deployment' && run.cdk) {
        return `synthesis and bundling ${run.cdk.synthesis.toFixed(1)} s + deployment ${run.cdk.deployment.toFixed(1)} s (of ${seconds(ms)})`;
      }
      return `${phase} ${seconds(ms)}`;
    })
    .join(', ');

export const benchLocalLoop = async (): Promise<Row[]> => {
  if (await healthy())
    throw new Error('an emulator is already running on 4566: stop it (npm run local:down) first');
  const dir = mkdtempSync(join(tmpdir(), 'herald-local-loop-'));
  try {
    log(`cloning main into ${dir}…`);
    spawnSync('git', ['clone', '--quiet', ROOT, dir], { stdio: 'inherit' });
    const npmStarted = performance.now();
    const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      stdio: 'inherit',
    });
    if (ci.status !== 0) throw new Error('npm ci failed');
    const npmMs = performance.now() - npmStarted;
    log(`npm ci ${seconds(npmMs)}; npm run local…`);
    const first = await runLocal(dir);
    log(`first run: ${seconds(first.totalMs)} (${describeRun(first)}); second run…`);
    const second = await runLocal(dir);
    log(`second run: ${seconds(second.totalMs)} (${describeRun(second)})`);
    return [
      {
        figure: 'local loop: fresh clone to first delivery',
        measured: `${seconds(npmMs + first.totalMs)}: npm ci ${seconds(npmMs)}, ${describeRun(first)}`,
        baseline: 'before issue 10: 20 s + 47.8 s = 68 s',
        target: '≤ 45 s (warm npm and pip caches)',
        holds: npmMs + first.totalMs <= 45_000,
      },
      {
        figure: 'local loop: second `npm run local` on the running emulator',
        measured: `${seconds(second.totalMs)}: ${describeRun(second)}`,
        baseline: '',
        target: '≤ 20 s',
        holds: second.totalMs <= 20_000,
      },
    ];
  } finally {
    spawnSync('npm', ['run', 'local:down'], { cwd: dir, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
};

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await benchLocalLoop());
}
