#!/usr/bin/env node
// The `herald` CLI: TypeScript sources run through tsx, so there is no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv, {
  io: { stdout: process.stdout, stderr: process.stderr },
  env: process.env,
});
