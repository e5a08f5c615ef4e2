/**
 * `npm run bundle-sizes`: synthesizes the stack and prints each function's deployed bundle size
 * (the esbuild output CDK uploads), raw and gzipped.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = join(import.meta.dirname, '..', '..');
const out = join(root, '.local', 'bench.out');
const synth = spawnSync(join(root, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--output', out], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (synth.status !== 0) process.exit(1);

type Resource = { Type: string; Metadata?: Record<string, string>; Properties?: { Description?: string } };
const template = JSON.parse(readFileSync(join(out, 'Herald.template.json'), 'utf8')) as {
  Resources: Record<string, Resource>;
};
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
console.log('function                         bundle (index.js)   gzipped');
for (const [id, resource] of Object.entries(template.Resources)) {
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (resource.Type !== 'AWS::Lambda::Function' || assetPath === undefined) continue;
  const file = join(out, assetPath, 'index.js');
  const name = id.replace(/^Herald/, '').replace(/Function[0-9A-F]{8}$/, '');
  console.log(
    `${name.padEnd(32)} ${kib(statSync(file).size).padStart(12)} ${kib(gzipSync(readFileSync(file)).length).padStart(14)}`,
  );
}
