/** What every command gets: its output, and an admin client for the endpoint the options name. */
import type { Command } from 'commander';
import { AdminClient } from './client.ts';
import { type Env, type ReadStackOutputs, resolveEndpoint } from './endpoint.ts';
import { type Io, Output } from './output.ts';

/** The global options (`herald --json --endpoint … <command>`). */
export interface GlobalOptions {
  readonly json?: boolean;
  readonly endpoint?: string;
  readonly local?: boolean;
  readonly stack?: string;
  readonly region?: string;
}

/** What the CLI runs with; tests pass their own. */
export interface CliDeps {
  readonly io: Io;
  readonly env: Env;
  /** @default CloudFormation DescribeStacks */
  readonly readStackOutputs?: ReadStackOutputs;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** A usage mistake the command line parser cannot see (conflicting flags, a malformed value). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Ends the command with an exit code; what went wrong has been printed already. */
export class QuietExit extends Error {
  override readonly name = 'QuietExit';

  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** Per-command helpers: output and an admin client, both from the global options. */
export class CliContext {
  constructor(private readonly deps: CliDeps) {}

  globals(command: Command): GlobalOptions {
    return command.optsWithGlobals<GlobalOptions>();
  }

  output(command: Command): Output {
    return new Output(this.deps.io, this.globals(command).json === true);
  }

  /** An admin client for the endpoint the global options (or the environment) name. */
  async client(command: Command): Promise<AdminClient> {
    const globals = this.globals(command);
    const endpoint = await this.output(command).progress('Finding the Herald API', () =>
      resolveEndpoint(globals, this.deps.env, this.deps.readStackOutputs),
    );
    return new AdminClient({
      baseUrl: endpoint.baseUrl,
      region: endpoint.region,
      credentials: endpoint.credentials,
      ...(this.deps.fetch === undefined ? {} : { fetch: this.deps.fetch }),
    });
  }
}
