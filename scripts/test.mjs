// `npm test`: every check and every test, in the order that fails fastest. Prints a closing
// "N passed, N failed" line. Runs on the Node that npm puts first on PATH (node_modules/.bin: Node 24).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const step = (title, command, args) => {
  console.log(`\n▶ ${title}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  return result.status === 0;
};

const extra = process.argv.slice(2);
let ok = step('Prerequisites', process.execPath, [join(root, 'scripts', 'check-prereqs.mjs')]);
ok = ok && step('Type check', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']);
ok =
  ok &&
  step('Type check (console browser code)', bin('tsc'), ['--noEmit', '-p', 'cli/console/ui/tsconfig.json']);
ok = ok && step('Lint and format', bin('biome'), ['check', '.']);
if (!ok) {
  console.log('\n0 passed, 1 failed');
  process.exit(1);
}

mkdirSync(join(root, '.local'), { recursive: true });
const report = join(root, '.local', 'vitest-report.json');
const testsOk = step('Unit, infrastructure and integration tests', bin('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...extra,
]);
let passed = 0;
let failed = testsOk ? 0 : 1;
try {
  const results = JSON.parse(readFileSync(report, 'utf8'));
  passed = results.numPassedTests;
  failed = results.numFailedTests + (testsOk || results.numFailedTests > 0 ? 0 : 1);
} catch {
  // no report: vitest itself failed before running tests
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(testsOk && failed === 0 ? 0 : 1);
