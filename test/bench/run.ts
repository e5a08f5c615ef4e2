/**
 * `npm run bench`: issue 10's figures in one table, each beside a baseline measured in the same run
 * and its target. Not part of `npm test` (figures are measured, never asserted). In order: the local
 * loop (a fresh clone of `main` with its own emulator, so port 4566 must be free), policy matching
 * and cold starts (CPU only), then on one emulator: policy loading, AWS requests and cost per
 * notification, ingest and end to end. Prints the table in Markdown and writes it, with the date and
 * the machine, to `.local/bench.md`.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { LOCAL_DIR } from '../../scripts/lib/local-aws.ts';
import { benchColdStart } from './cold-start.ts';
import { costRows } from './cost.ts';
import { endToEndBench } from './end-to-end.ts';
import { ingestBench } from './ingest.ts';
import { benchLocalLoop } from './local-loop.ts';
import { benchMatching } from './matching.ts';
import { benchPolicyLoading } from './policy-loading.ts';
import { measureRequests, printBreakdown, requestRows } from './requests.ts';
import { benchStack, log } from './stack.ts';
import { markdownTable, type Row } from './table.ts';

const rows: Row[] = [];
const timings: string[] = [];
const started = performance.now();

/** Runs one part; a part that fails shows as a failed row, and the others still run. */
const part = async (name: string, measure: () => Promise<readonly Row[]>) => {
  log(`— ${name}`);
  const partStarted = performance.now();
  try {
    rows.push(...(await measure()));
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    rows.push({ figure: name, measured: `failed: ${message}`, baseline: '', target: '', holds: false });
  }
  timings.push(`${name} ${((performance.now() - partStarted) / 1000).toFixed(0)} s`);
};

await part('local loop', benchLocalLoop);
await part('policy matching', () => benchMatching());
await part('cold start', () => benchColdStart());
const bench = await benchStack();
try {
  await part('policy loading', () => benchPolicyLoading());
  await part('AWS requests and cost per notification', async () => {
    const result = await measureRequests(bench);
    printBreakdown(result);
    return [...requestRows(result), ...costRows(result)];
  });
  await part('ingest', () => ingestBench(bench));
  await part('end to end', () => endToEndBench(bench));
} finally {
  bench.stop();
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version} (driver), ${process.platform}`;
const report = [
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine} in ${((performance.now() - started) / 60_000).toFixed(1)} min (${timings.join(', ')}).`,
  '',
  markdownTable(rows),
].join('\n');
writeFileSync(join(LOCAL_DIR, 'bench.md'), `${report}\n`);
console.log(`\n${report}\n\n(also in .local/bench.md)`);
