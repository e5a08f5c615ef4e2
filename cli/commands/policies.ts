/** `herald policies list|get|put|delete`. */
import type { Command } from 'commander';
import { PolicyInput } from '#shared/domain/policy.ts';
import type { PolicyView } from '../client.ts';
import type { CliContext } from '../context.ts';
import { readStructured } from '../file.ts';
import { formatFields } from '../output.ts';
import { checkBodyId, describeWrite, printPlan, printWarnings } from './shared.ts';

interface PutOptions {
  readonly file: string;
  readonly ifMatch?: string;
  readonly dryRun?: boolean;
}

/** `environment=production database=*` */
export const matchText = (match: PolicyView['match']): string =>
  Object.entries(match ?? {})
    .map(([attribute, pattern]) => `${attribute}=${Array.isArray(pattern) ? pattern.join('|') : pattern}`)
    .join(' ');

export const policyFields = (policy: PolicyView): [string, unknown][] => [
  ['id', policy.id],
  ['enabled', policy.enabled],
  ['description', policy.description],
  ['events', policy.events],
  ['match', matchText(policy.match)],
  ['minSeverity', policy.minSeverity],
  ['channels', policy.channels],
  ['dedupWindow', policy.dedupWindow],
  ['created', policy.createdAt],
  ['updated', policy.updatedAt],
  ['etag', policy.etag],
];

export const registerPolicies = (program: Command, context: CliContext): void => {
  const policies = program
    .command('policies')
    .description('manage policies (which events go to which channels)');

  policies
    .command('list')
    .description('list every policy')
    .action(async (_options: object, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const items = await out.progress('Listing policies', () => client.listAllPolicies());
      if (out.json) return out.printJson({ items });
      out.table(items, [
        { header: 'id', value: (policy) => policy.id },
        { header: 'enabled', value: (policy) => policy.enabled },
        { header: 'events', value: (policy) => policy.events },
        { header: 'match', value: (policy) => matchText(policy.match) },
        { header: 'min severity', value: (policy) => policy.minSeverity },
        { header: 'channels', value: (policy) => policy.channels },
      ]);
    });

  policies
    .command('get <id>')
    .description('show one policy')
    .action(async (id: string, _options: object, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      const { view } = await out.progress(`Reading policy ${id}`, () => client.getPolicy(id));
      if (out.json) return out.printJson(view);
      out.line(formatFields(policyFields(view)));
    });

  policies
    .command('put <id>')
    .description('create or replace a policy from a YAML or JSON file')
    .requiredOption('-f, --file <file>', 'the policy (YAML or JSON)')
    .option('--if-match <etag>', 'only if the policy still has this ETag (from `policies get`)')
    .option('--dry-run', 'show what would change; write nothing')
    .action(async (id: string, options: PutOptions, command: Command) => {
      const out = context.output(command);
      const { raw } = await readStructured(options.file, PolicyInput);
      checkBodyId(options.file, raw, id);
      const client = await context.client(command);
      if (options.dryRun) {
        const plan = await out.progress(`Planning policy ${id}`, () => client.planPolicy(id, raw));
        return out.json ? out.printJson(plan) : printPlan(out, 'policy', id, plan);
      }
      const written = await out.progress(`Writing policy ${id}`, () =>
        client.putPolicy(id, raw, { ifMatch: options.ifMatch }),
      );
      if (out.json) return out.printJson(written.view);
      out.line(describeWrite('policy', id, written));
      printWarnings(out, 'policy', id, written.view.warnings ?? []);
    });

  policies
    .command('delete <id>')
    .description('delete a policy')
    .option('--if-match <etag>', 'only if the policy still has this ETag')
    .action(async (id: string, options: { ifMatch?: string }, command: Command) => {
      const out = context.output(command);
      const client = await context.client(command);
      await out.progress(`Deleting policy ${id}`, () =>
        client.deletePolicy(id, { ifMatch: options.ifMatch }),
      );
      if (out.json) return out.printJson({ deleted: id });
      out.line(`Deleted policy ${id}.`);
    });
};
