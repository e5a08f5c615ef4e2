/** `herald apply -f herald.yaml [--dry-run] [--prune]`. */
import type { Command } from 'commander';
import { executePlan, formatStep, formatSummary, hasChanges, parseApplyFile, planApply } from '../apply.ts';
import type { CliContext } from '../context.ts';
import { readInputFile } from '../file.ts';
import { printWarnings } from './shared.ts';

interface ApplyOptions {
  readonly file: string;
  readonly dryRun?: boolean;
  readonly prune?: boolean;
}

export const registerApply = (program: Command, context: CliContext): void => {
  program
    .command('apply')
    .description('make the channels, policies and silences on the server match a file')
    .requiredOption(
      '-f, --file <file>',
      'channels, policies and silences (YAML or JSON), as in examples/herald.local.yaml',
    )
    .option('--dry-run', 'show the plan; change nothing')
    .option(
      '--prune',
      'also delete channels and policies the file does not name (and silences, if it has a silences key)',
    )
    .action(async (options: ApplyOptions, command: Command) => {
      const out = context.output(command);
      const desired = parseApplyFile(await readInputFile(options.file), options.file);
      const client = await context.client(command);
      const plan = await out.progress('Planning', () =>
        planApply(desired, client, { prune: options.prune === true }),
      );
      const dryRun = options.dryRun === true;
      if (!out.json) {
        for (const step of plan) {
          out.line(formatStep(step));
          // Without --dry-run, written steps report the warnings of the write itself (below).
          if (dryRun || step.action === 'unchanged') printWarnings(out, step.kind, step.id, step.warnings);
        }
      }
      const applied =
        dryRun || !hasChanges(plan)
          ? []
          : await out.progress('Applying', () =>
              executePlan(plan, {
                putChannel: (id, body, ifMatch) => client.putChannel(id, body, { ifMatch }),
                putPolicy: (id, body, ifMatch) => client.putPolicy(id, body, { ifMatch }),
                putSilence: (id, body, ifMatch) => client.putSilence(id, body, { ifMatch }),
                deleteChannel: (id) => client.deleteChannel(id),
                deletePolicy: (id) => client.deletePolicy(id),
                deleteSilence: (id) => client.deleteSilence(id),
              }),
            );
      if (out.json) {
        return out.printJson({
          dryRun,
          plan: plan.map(({ body: _body, ...step }) => step),
          applied: applied.map(({ step, warnings }) => ({
            kind: step.kind,
            id: step.id,
            action: step.action,
            warnings,
          })),
        });
      }
      for (const { step, warnings } of applied) printWarnings(out, step.kind, step.id, warnings);
      out.line(formatSummary(plan, dryRun ? 'dry-run' : 'applied'));
    });
};
