/**
 * `npm run bundle-sizes`: synthesizes the stack and prints each function's deployed bundle size
 * (the esbuild output CDK uploads), raw and gzipped.
 *
 * Also the bundling the benchmarks share: {@link synthesizeFunctions} (the bundles CDK deploys, with
 * their environment) and {@link bundleLikeLambda} (esbuild with the deployed options, for bundles CDK
 * does not build).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile } from 'esbuild';

export const ROOT = join(import.meta.dirname, '..', '..');

/** A function as `cdk synth` bundled it. */
export interface DeployedFunction {
  /** The function's folder under `functions/` (`ingest`, `router`…). */
  readonly name: string;
  /** The bundle CDK uploads (`index.js`, its source map beside it). */
  readonly file: string;
  /** The function's environment variables; references to other resources are left as CloudFormation objects. */
  readonly environment: Readonly<Record<string, unknown>>;
}

type Resource = {
  Type: string;
  Metadata?: Record<string, string>;
  Properties?: { Environment?: { Variables?: Record<string, unknown> } };
};

/** Runs `cdk synth` into `out` (the default stack, as deployed) and returns its functions' bundles. */
export const synthesizeFunctions = (out: string): DeployedFunction[] => {
  const bin = join(ROOT, 'node_modules', '.bin');
  const synth = spawnSync(join(bin, 'cdk'), ['synth', '--quiet', '--output', out], {
    cwd: ROOT,
    // The CDK app runs through `tsx`, found on PATH as `npm run` would.
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (synth.status !== 0) throw new Error(`cdk synth failed (exit ${synth.status})`);
  const template = JSON.parse(readFileSync(join(out, 'Herald.template.json'), 'utf8')) as {
    Resources: Record<string, Resource>;
  };
  return Object.values(template.Resources).flatMap((resource) => {
    const assetPath = resource.Metadata?.['aws:asset:path'];
    // `Herald/Herald/Ingest/IngestFunction/Function/Resource`: the HeraldFunction's id names the function.
    const construct = /([^/]+)Function\/Function\/Resource$/.exec(resource.Metadata?.['aws:cdk:path'] ?? '');
    if (
      resource.Type !== 'AWS::Lambda::Function' ||
      assetPath === undefined ||
      construct?.[1] === undefined
    ) {
      return [];
    }
    return [
      {
        name: construct[1].toLowerCase(),
        file: join(out, assetPath, 'index.js'),
        environment: resource.Properties?.Environment?.Variables ?? {},
      },
    ];
  });
};

/**
 * The esbuild options CDK's `NodejsFunction` turns `HeraldFunction`'s bundling props into
 * (`infra/constructs/herald-function.ts`): keep the two in step. {@link bundleLikeLambda} output is
 * compared byte for byte with the synthesized bundles by the cold-start benchmark.
 */
export const LAMBDA_BUNDLING: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  external: [],
  absWorkingDir: ROOT,
};

/** Bundles `entry` into `outfile` (name it `index.js`, as CDK does) the way a Herald function is bundled. */
export const bundleLikeLambda = async (entry: string, outfile: string): Promise<Metafile> => {
  const result = await build({
    ...LAMBDA_BUNDLING,
    entryPoints: [entry],
    outfile,
    metafile: true,
    logLevel: 'error',
  });
  return result.metafile;
};

const printSizes = () => {
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  const functions = synthesizeFunctions(join(ROOT, '.local', 'bench.out'));
  console.log('function                         bundle (index.js)   gzipped');
  for (const { name, file } of functions) {
    console.log(
      `${name.padEnd(32)} ${kib(statSync(file).size).padStart(12)} ${kib(gzipSync(readFileSync(file)).length).padStart(14)}`,
    );
  }
};

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  try {
    printSizes();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
