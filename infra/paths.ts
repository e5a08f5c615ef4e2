import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Herald's package root, found from this module up: `infra/` when run from the sources, `dist/construct/`
 * when loaded through the package entry point (`herald/construct`), in a checkout or installed.
 */
const findRoot = (from: string): string => {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'functions'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no Herald package root (with functions/) above ${from}`);
  }
};

const root = findRoot(import.meta.dirname);

/** The handler file of a function under `functions/`. */
export const functionEntry = (name: string): string => join(root, 'functions', name, 'handler.ts');

/**
 * Where the functions are bundled from when Herald has its own lock file (a checkout, or a package
 * linked from one, whose real path lies outside the app's directory): Herald's root, so the handlers
 * are under the bundling root and built with the dependency versions Herald pins. Nothing for an
 * installed copy (no lock file is packed): it lies under the app, whose lock file CDK finds.
 */
export const bundlingRoot = (): { projectRoot: string; depsLockFilePath: string } | undefined => {
  const depsLockFilePath = join(root, 'package-lock.json');
  return existsSync(depsLockFilePath) ? { projectRoot: root, depsLockFilePath } : undefined;
};

/** The Powertools Tracer's own entry, bundled beside each function's `index.js` (see `HeraldFunction`). */
export const tracerEntry = (): string => join(root, 'shared', 'runtime', 'xray-tracer.ts');

/** The digest renderers' own entry, bundled beside the `index.js` of functions that send digests. */
export const digestsEntry = (): string => join(root, 'shared', 'channels', 'digests.ts');
