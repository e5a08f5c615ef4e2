import * as z from 'zod';
import type { ConfigRepository, Page } from '../aws/config-repository.ts';
import { ValidationError } from '../domain/errors.ts';
import { toFieldIssues } from '../domain/issues.ts';
import { SilenceInput, SilenceRecord, silenceStatus } from '../domain/silence.ts';
import { lazySchema } from '../runtime/lazy-schema.ts';
import type { PutResult } from './channels.ts';
import {
  type AdminRequest,
  assertBodyId,
  checkIfMatch,
  etagOf,
  givenFieldNames,
  notFound,
  pageParams,
  parseBody,
  pathId,
  sameJson,
} from './request.ts';

/** A silence as the admin API returns it: with its status now and its ETag. */
export const toSilenceView = (record: SilenceRecord, now: Date) => {
  const { version, ...rest } = record;
  return { ...rest, status: silenceStatus(record, now), etag: etagOf(version) };
};
export type SilenceView = ReturnType<typeof toSilenceView>;

/** `GET /v1/silences`: optionally only those `active`, `pending` or `expired` now. */
export const SilenceQuery = lazySchema(() =>
  z.strictObject({
    status: z.enum(['pending', 'active', 'expired']).optional(),
    limit: z.string().optional(),
    nextToken: z.string().optional(),
  }),
);

const COMPARED = ['comment', 'events', 'match', 'channels', 'startsAt', 'endsAt', 'schedule'] as const;

/**
 * Admin operations on silences and maintenance windows (SPEC §4, §6), kept in the config table beside
 * the policies: a change moves the config generation, so routing uses it within the propagation
 * promise. Expiring a silence is a `PUT` with `endsAt` now (the CLI's `silences expire`); an expired
 * silence stays readable until it is deleted.
 */
export class SilenceAdmin {
  constructor(
    private readonly config: Pick<
      ConfigRepository,
      'page' | 'getItem' | 'putVersioned' | 'deleteVersioned' | 'bumpGeneration'
    >,
  ) {}

  /** A page of silences (in id order), optionally only those with a status now. */
  async list(request: AdminRequest, now: Date): Promise<Page<SilenceView>> {
    const parsed = SilenceQuery.safeParse(request.query);
    if (!parsed.success) {
      throw new ValidationError('invalid_request', 'the query is not valid', toFieldIssues(parsed.error));
    }
    const { limit, nextToken } = pageParams(request);
    const { status } = parsed.data;
    const page = await this.config.page('silence', SilenceRecord, limit, nextToken);
    const items = page.items
      .map((record) => toSilenceView(record, now))
      .filter((view) => status === undefined || view.status === status);
    return { ...page, items };
  }

  async get(id: string): Promise<SilenceRecord> {
    const item = await this.config.getItem('silence', id);
    if (item === undefined) throw notFound('silence', id);
    return SilenceRecord.parse(item);
  }

  async put(request: AdminRequest, dryRun: boolean, now: Date): Promise<PutResult<SilenceView>> {
    const id = pathId(request);
    const input = parseBody(request, SilenceInput);
    assertBodyId(id, input.id);
    const item = await this.config.getItem('silence', id);
    const current = item === undefined ? undefined : SilenceRecord.parse(item);
    checkIfMatch(request, current?.version, 'silence', id);
    const startsAt = input.startsAt ?? current?.startsAt ?? now.toISOString();
    const changes =
      current === undefined
        ? givenFieldNames(request)
        : COMPARED.filter((key) => !sameJson(key === 'startsAt' ? startsAt : input[key], current[key]));
    if (dryRun) {
      if (current === undefined) return { kind: 'planned', action: 'create', changes: [], etag: null };
      return {
        kind: 'planned',
        action: changes.length > 0 ? 'update' : 'unchanged',
        changes,
        etag: etagOf(current.version),
      };
    }
    const record = SilenceRecord.parse({
      ...input,
      id,
      startsAt,
      createdAt: current?.createdAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
      version: (current?.version ?? 0) + 1,
    });
    await this.config.putVersioned('silence', record, current?.version);
    await this.config.bumpGeneration({ kind: 'silence', id });
    return { kind: 'written', created: current === undefined, view: toSilenceView(record, now), changes };
  }

  async delete(request: AdminRequest): Promise<void> {
    const id = pathId(request);
    const current = await this.get(id);
    checkIfMatch(request, current.version, 'silence', id);
    await this.config.deleteVersioned('silence', id, current.version);
    await this.config.bumpGeneration({ kind: 'silence', id });
  }
}
