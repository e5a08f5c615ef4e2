/** `herald console`: the web console on 127.0.0.1, until Ctrl-C. */
import { type Command, InvalidArgumentError } from 'commander';
import { startConsole } from '../console/server.ts';
import type { CliContext } from '../context.ts';

export const DEFAULT_CONSOLE_PORT = 8790;

const parsePort = (value: string): number => {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidArgumentError('expected a port number');
  return port;
};

/** Resolves on the first SIGINT or SIGTERM. */
const interrupted = (): Promise<void> =>
  new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });

export const registerConsole = (program: Command, context: CliContext): void => {
  program
    .command('console')
    .description('web console for channels, policies, deliveries and dead letters, on 127.0.0.1')
    .option('--port <port>', `port to listen on (0: any free port)`, parsePort, DEFAULT_CONSOLE_PORT)
    .action(async (options: { port: number }, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const running = await out.progress('Starting the console', () =>
        startConsole({ client, port: options.port, log: (line) => out.note(line) }),
      );
      out.line(`Herald console for ${client.endpoint}`);
      out.line(`Open ${running.url}`);
      out.line('(the link works once, in one browser; Ctrl-C stops the console)');
      await interrupted();
      await running.close();
    });
};
