// Checks the two system prerequisites (Node >= 20, Python >= 3.10 with venv) and says what is missing.
import { spawnSync } from 'node:child_process';

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

if (problems.length > 0) {
  for (const problem of problems) console.error(`✖ ${problem}`);
  process.exit(1);
}
