/**
 * The audit log (SPEC §6): who changed what and when. Every admin write (PUT, DELETE, POST) and the
 * signing-secret read are recorded in one place, around the route table (see {@link AuditLog.record}),
 * with the caller's IAM principal, the route, the resource, the outcome and the names of the changed
 * fields: never a value.
 */
import * as z from 'zod';
import {
  type AuditEntry,
  type AuditPrincipal,
  type AuditRepository,
  auditPageKey,
} from '../aws/audit-repository.ts';
import { decodePageToken, encodePageToken } from '../aws/page-token.ts';
import { HttpError, ValidationError } from '../domain/errors.ts';
import { newEventId } from '../domain/ids.ts';
import { toFieldIssues } from '../domain/issues.ts';
import { lazySchema } from '../runtime/lazy-schema.ts';
import type { LogAttributes } from '../runtime/log.ts';
import { type AdminRequest, type AdminResponse, isDryRun, pageParams } from './request.ts';
import { ADMIN_ROUTE_KEYS } from './routes.ts';

/** The principal of a request that carried no IAM identity (IAM authorization off, as on the emulator). */
export const UNKNOWN_PRINCIPAL = 'unknown';

/** Reads that are audited as writes are: they return a secret. */
const AUDITED_READS: ReadonlySet<string> = new Set(['GET /v1/channels/{id}/signing-secret']);

/** Longest identity or resource id an entry keeps (they come from API Gateway and the path). */
const MAX_TEXT = 2048;

const Identity = lazySchema(() => z.string().min(1).max(MAX_TEXT).optional().catch(undefined));

/** The IAM authorizer's part of an HTTP API (payload 2.0) request context. */
const IamRequestContext = lazySchema(() =>
  z.object({
    authorizer: z.object({
      iam: z.object({ userArn: Identity, userId: Identity, accountId: Identity, callerId: Identity }),
    }),
  }),
);

/**
 * The caller's IAM principal from an HTTP API request context (`authorizer.iam`, which API Gateway
 * fills in on IAM-authorized routes): its ARN, user id, account and caller id, as far as given. Without
 * an IAM identity, `{arn: "unknown"}`. Never the access key.
 */
export const principalOf = (requestContext: unknown): AuditPrincipal => {
  const parsed = IamRequestContext.safeParse(requestContext);
  if (!parsed.success) return { arn: UNKNOWN_PRINCIPAL };
  const { userArn, userId, accountId, callerId } = parsed.data.authorizer.iam;
  return {
    arn: userArn ?? UNKNOWN_PRINCIPAL,
    ...(userId === undefined ? {} : { userId }),
    ...(accountId === undefined ? {} : { accountId }),
    ...(callerId === undefined ? {} : { callerId }),
  };
};

/**
 * Whether a request is audited: a write (PUT, DELETE, POST) or a read that returns a secret, on a route
 * the API has. A dry run writes nothing, so it is not.
 */
export const isAudited = (request: AdminRequest): boolean => {
  const routeKey = request.routeKey;
  if (!(ADMIN_ROUTE_KEYS as readonly string[]).includes(routeKey)) return false;
  const method = routeKey.split(' ')[0];
  if (method === 'GET') return AUDITED_READS.has(routeKey);
  return !(method === 'PUT' && isDryRun(request));
};

/** The HTTP status a failed request is answered with (as `httpErrors` maps it). */
const statusOf = (error: unknown): number => (error instanceof HttpError ? error.status : 500);

export const AuditListQuery = lazySchema(() =>
  z.strictObject({
    since: z.iso.datetime({ offset: true, message: 'since must be an RFC 3339 date-time' }).optional(),
    limit: z.string().optional(),
    nextToken: z.string().optional(),
  }),
);

export interface AuditLogDeps {
  readonly repository: Pick<AuditRepository, 'put' | 'list'>;
  /** Where a failure to record an outcome is reported (Powertools' Logger satisfies it). */
  readonly log: { error(message: string, attributes: LogAttributes): void };
  /** @default a new ULID */
  readonly newId?: () => string;
}

/** Records audited requests and lists them (`GET /v1/audit`). */
export class AuditLog {
  private readonly newId: () => string;

  constructor(private readonly deps: AuditLogDeps) {
    this.newId = deps.newId ?? newEventId;
  }

  /**
   * Runs a request through `run` and, when it is audited ({@link isAudited}), records it in two steps:
   *
   * 1. Before `run`, an entry with `status: null`. **If it cannot be written, the request is refused**
   *    with `503 audit_unavailable` and `run` is not called: no write, and no secret read, happens
   *    without a trace.
   * 2. After `run`, the same entry (same key) with the status, the resource (a created API key or
   *    redrive from the route's `audit` note, else the path `id`) and the changed field names. A
   *    failure (4xx, or anything else as 500) is recorded with its status, no fields, and rethrown
   *    unchanged. **If this second write fails, the failure is logged at error level and the answer
   *    goes out anyway**: the change has happened, and failing the request would invite a retry of a
   *    write that already took effect, or lose a new API key that is shown only once. The entry then
   *    stays with `status: null`, which reads as "outcome not recorded".
   */
  async record(
    request: AdminRequest,
    principal: AuditPrincipal,
    now: Date,
    run: () => Promise<AdminResponse>,
  ): Promise<AdminResponse> {
    if (!isAudited(request)) return run();
    const pathId = request.pathParameters.id;
    const entry: AuditEntry = {
      id: this.newId(),
      at: now.toISOString(),
      principal,
      route: request.routeKey,
      resourceId: pathId === undefined || pathId === '' ? null : pathId.slice(0, MAX_TEXT),
      status: null,
      fields: [],
    };
    try {
      await this.deps.repository.put(entry);
    } catch (cause) {
      this.deps.log.error('audit entry could not be written: request refused, nothing changed', {
        ...this.describe(entry),
        ...errorAttributes(cause),
      });
      throw new HttpError(
        503,
        'audit_unavailable',
        'the audit log cannot be written now, so nothing was done: try again',
        undefined,
        { cause },
      );
    }
    let response: AdminResponse;
    try {
      response = await run();
    } catch (error) {
      await this.finish({ ...entry, status: statusOf(error) });
      throw error;
    }
    await this.finish({
      ...entry,
      status: response.status,
      resourceId: response.audit?.resourceId ?? entry.resourceId,
      fields: [...(response.audit?.fields ?? [])],
    });
    return response;
  }

  /** `GET /v1/audit?since=&limit=&nextToken=`: entries newest first, full pages. */
  async list(request: AdminRequest) {
    const parsed = AuditListQuery.safeParse(request.query);
    if (!parsed.success) {
      throw new ValidationError('invalid_request', 'the query is not valid', toFieldIssues(parsed.error));
    }
    const { limit, nextToken } = pageParams(request);
    const since = parsed.data.since === undefined ? undefined : new Date(parsed.data.since).toISOString();
    const startKey = decodePageToken(nextToken, auditPageKey(since));
    const page = await this.deps.repository.list({
      limit,
      ...(since === undefined ? {} : { since }),
      ...(startKey === undefined ? {} : { startKey }),
    });
    return {
      items: page.items,
      ...(page.lastKey === undefined ? {} : { nextToken: encodePageToken(page.lastKey) }),
    };
  }

  /** Writes the outcome; never throws (see {@link AuditLog.record}). */
  private async finish(entry: AuditEntry): Promise<void> {
    try {
      await this.deps.repository.put(entry);
    } catch (cause) {
      this.deps.log.error('audit outcome could not be recorded: the entry stays without a status', {
        ...this.describe(entry),
        status: entry.status,
        ...errorAttributes(cause),
      });
    }
  }

  /** What a log line says about an entry: ids and route, never fields or values. */
  private describe(entry: AuditEntry): LogAttributes {
    return {
      auditId: entry.id,
      route: entry.route,
      resourceId: entry.resourceId,
      principal: entry.principal.arn,
    };
  }
}

/** An error's name and message (AWS SDK errors carry no request values). */
const errorAttributes = (error: unknown): LogAttributes =>
  error instanceof Error
    ? { errorName: error.name, errorMessage: error.message }
    : { errorName: 'unknown', errorMessage: String(error) };
