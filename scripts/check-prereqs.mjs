// Checks the two system prerequisites (Node >= 20, Python >= 3.10 with venv) and says what is missing;
// warns when Chromium, which only the console's browser tests need, is not installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const problems = [];
const [major] = process.versions.node.split('.').map(Number);
if (major < 20) problems.push(`Node.js ${process.versions.node} is too old: install Node.js 20 or newer.`);

const pythons = process.env.PYTHON ? [process.env.PYTHON] : ['python3', 'python'];
const python = pythons.find((candidate) => spawnSync(candidate, ['--version']).status === 0);
if (python === undefined) {
  problems.push('Python was not found: install Python 3.10 or newer (with the venv module), or set PYTHON.');
} else {
  const check = spawnSync(python, [
    '-c',
    'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 10) else 3)',
  ]);
  if (check.status === 3) problems.push(`${python} is older than 3.10: install Python 3.10 or newer.`);
  else if (check.status !== 0) {
    problems.push(
      `${python} has no working venv/ensurepip module: install it (Debian/Ubuntu: apt-get install python3-venv).`,
    );
  }
}

// Not needed to run Herald, only for the console's browser tests (test/integration/console.test.ts).
const chromium = process.env.HERALD_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.warn(
    `! Chromium was not found at ${chromium}: the console's browser tests will fail. Install it ` +
      '(Debian/Ubuntu: apt-get install chromium) or set HERALD_CHROMIUM.',
  );
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`✖ ${problem}`);
  process.exit(1);
}
