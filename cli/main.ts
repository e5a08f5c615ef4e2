/**
 * The `herald` CLI: program wiring only. Commands live in `commands/`; `main` parses, runs, and turns
 * any failure into `herald: <reason>` on stderr and an exit code.
 */
import { Command, CommanderError } from 'commander';
import { HERALD_VERSION } from '#shared/domain/version.ts';
import { ApplyStepError } from './apply.ts';
import { HeraldApiError } from './client.ts';
import { registerApply } from './commands/apply.ts';
import { registerAudit } from './commands/audit.ts';
import { registerChannels } from './commands/channels.ts';
import { registerConsole } from './commands/console.ts';
import { registerDeliveries, registerDlq } from './commands/deliveries.ts';
import { registerEvents } from './commands/events.ts';
import { registerKeys } from './commands/keys.ts';
import { registerPolicies } from './commands/policies.ts';
import { registerSend } from './commands/send.ts';
import { registerSilences } from './commands/silences.ts';
import { CliContext, type CliDeps, QuietExit } from './context.ts';
import { EndpointError } from './endpoint.ts';
import { FileError } from './file.ts';
import type { TextSink } from './output.ts';

/** The whole command tree, writing to the given streams. */
export const buildProgram = (deps: CliDeps): Command => {
  const program = new Command('herald')
    .description('Herald: manage channels and policies, send events, follow deliveries')
    .version(HERALD_VERSION, '-V, --version')
    .option('--json', 'print the API response as JSON')
    .option('--endpoint <url>', 'base URL of the Herald HTTP API (skips reading the stack outputs)')
    .option(
      '--local',
      'use the stack on the local emulator (AWS_ENDPOINT_URL, default http://127.0.0.1:4566)',
    )
    .option('--stack <name>', 'CloudFormation stack name (default: $HERALD_STACK, else Herald)')
    .option('--region <region>', 'AWS region (default: the AWS SDK default chain)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => deps.io.stdout.write(text),
      writeErr: (text) => deps.io.stderr.write(text),
    });
  const context = new CliContext(deps);
  registerChannels(program, context);
  registerPolicies(program, context);
  registerApply(program, context);
  registerSend(program, context);
  registerEvents(program, context);
  registerDeliveries(program, context);
  registerDlq(program, context);
  registerKeys(program, context);
  registerSilences(program, context);
  registerAudit(program, context);
  registerConsole(program, context);
  return program;
};

const detailLines = (error: HeraldApiError): string[] =>
  error.details.map((detail) => {
    const path = [detail.index === undefined ? undefined : `events.${detail.index}`, detail.path]
      .filter((part) => part !== undefined && part !== '')
      .join('.');
    return `  ${path === '' ? '' : `${path}: `}${detail.message}`;
  });

/** Lines that explain a failure: `herald: 404 not_found: channel x does not exist` and any details. */
export const describeFailure = (error: unknown): string[] => {
  if (error instanceof ApplyStepError) {
    const [first = '', ...rest] = describeFailure(error.cause);
    const done = error.applied.length > 0 ? [`  (${error.applied.length} earlier step(s) were applied)`] : [];
    return [`herald: ${error.doing}: ${first.replace(/^herald: /, '')}`, ...rest, ...done];
  }
  if (error instanceof HeraldApiError) {
    const head = error.status === 0 ? error.message : `${error.status} ${error.code}: ${error.message}`;
    return [`herald: ${head}`, ...detailLines(error)];
  }
  if (error instanceof FileError) return [`herald: ${error.message}:`, ...error.lines()];
  if (error instanceof EndpointError) return [`herald: ${error.message}`];
  if (error instanceof Error) return [`herald: ${error.message}`];
  return [`herald: ${String(error)}`];
};

const writeLines = (sink: TextSink, lines: readonly string[]) => {
  for (const line of lines) sink.write(`${line}\n`);
};

/** Runs the CLI with `argv` (as `process.argv`); resolves to the exit code. */
export const main = async (argv: readonly string[], deps: CliDeps): Promise<number> => {
  const program = buildProgram(deps);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof QuietExit) return error.exitCode;
    writeLines(deps.io.stderr, describeFailure(error));
    return 1;
  }
};
