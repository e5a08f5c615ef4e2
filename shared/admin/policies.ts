import type { ConfigRepository, Page } from '../aws/config-repository.ts';
import { PolicyInput, PolicyRecord } from '../domain/policy.ts';
import type { PutResult } from './channels.ts';
import {
  type AdminRequest,
  assertBodyId,
  checkIfMatch,
  etagOf,
  givenFieldNames,
  notFound,
  parseBody,
  pathId,
  sameJson,
} from './request.ts';

/** A policy as the admin API returns it. */
export const toPolicyView = (record: PolicyRecord) => {
  const { version, ...rest } = record;
  return { ...rest, etag: etagOf(version) };
};
export type PolicyView = ReturnType<typeof toPolicyView> & { warnings?: string[] };

const COMPARED = [
  'description',
  'enabled',
  'events',
  'match',
  'minSeverity',
  'channels',
  'dedupWindow',
] as const;

/** Admin operations on policies. A policy may name channels that do not exist yet: it gets warnings. */
export class PolicyAdmin {
  constructor(
    private readonly config: Pick<
      ConfigRepository,
      'page' | 'getPolicy' | 'getChannel' | 'putVersioned' | 'deleteVersioned' | 'bumpGeneration'
    >,
  ) {}

  async list(limit: number, nextToken: string | undefined): Promise<Page<PolicyView>> {
    const page = await this.config.page('policy', PolicyRecord, limit, nextToken);
    return { ...page, items: page.items.map(toPolicyView) };
  }

  async get(id: string): Promise<PolicyRecord> {
    const record = await this.config.getPolicy(id);
    if (record === undefined) throw notFound('policy', id);
    return record;
  }

  async put(
    request: AdminRequest,
    dryRun: boolean,
    now: Date,
  ): Promise<PutResult<PolicyView> & { warnings: string[] }> {
    const id = pathId(request);
    const input = parseBody(request, PolicyInput);
    assertBodyId(id, input.id);
    const current = await this.config.getPolicy(id);
    checkIfMatch(request, current?.version, 'policy', id);
    const missing = await Promise.all(
      input.channels.map(async (channel) =>
        (await this.config.getChannel(channel)) === undefined ? channel : undefined,
      ),
    );
    const warnings = missing
      .filter((channel): channel is string => channel !== undefined)
      .map((channel) => `channel ${channel} does not exist (yet): the policy sends nothing to it`);

    // What changes, by name (dry-run plans and the audit log); a create names the fields given.
    const changes =
      current === undefined
        ? givenFieldNames(request)
        : COMPARED.filter((key) => !sameJson(input[key], current[key]));
    if (dryRun) {
      if (current === undefined)
        return { kind: 'planned', action: 'create', changes: [], etag: null, warnings };
      return {
        kind: 'planned',
        action: changes.length > 0 ? 'update' : 'unchanged',
        changes,
        etag: etagOf(current.version),
        warnings,
      };
    }

    const record: PolicyRecord = {
      ...input,
      id,
      createdAt: current?.createdAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
      version: (current?.version ?? 0) + 1,
    };
    await this.config.putVersioned('policy', record, current?.version);
    await this.config.bumpGeneration({ kind: 'policy', id });
    const view: PolicyView = { ...toPolicyView(record), warnings };
    return { kind: 'written', created: current === undefined, view, warnings, changes };
  }

  async delete(request: AdminRequest): Promise<void> {
    const id = pathId(request);
    const current = await this.get(id);
    checkIfMatch(request, current.version, 'policy', id);
    await this.config.deleteVersioned('policy', id, current.version);
    await this.config.bumpGeneration({ kind: 'policy', id });
  }
}
