import type * as z from 'zod';
import { PreconditionFailedError } from '../aws/config-repository.ts';
import { HttpError, ValidationError } from '../domain/errors.ts';
import { toFieldIssues } from '../domain/issues.ts';
import { ResourceId } from '../domain/policy.ts';

/** What admin operations need of an HTTP request, whatever delivered it. */
export interface AdminRequest {
  readonly method: string;
  /** The matched route, e.g. `PUT /v1/channels/{id}`. */
  readonly routeKey: string;
  readonly pathParameters: Readonly<Record<string, string | undefined>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string | undefined;
}

/** What a write tells the audit log beyond the request itself: names, never values. */
export interface AuditNote {
  /** The resource the write made or acted on, when the path does not name it (a new API key, a redrive). */
  readonly resourceId?: string;
  /** Names of the fields the write changed (for a create, those given), never their values. */
  readonly fields?: readonly string[];
}

/** An admin response: status, JSON body, extra headers. */
export interface AdminResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** For the audit log only (`audit.ts`): never sent to the caller. */
  readonly audit?: AuditNote;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

/** Parses a JSON body against a schema: 400 `malformed_json` or `invalid_request` with field paths. */
export const parseBody = <T extends z.ZodType>(request: AdminRequest, schema: T): z.infer<T> => {
  let json: unknown;
  try {
    json = JSON.parse(request.body === undefined || request.body === '' ? '{}' : request.body);
  } catch {
    throw new HttpError(400, 'malformed_json', 'request body is not valid JSON');
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw new ValidationError(
      'invalid_request',
      'the request body is not valid',
      toFieldIssues(result.error),
    );
  }
  return result.data;
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The names of the fields a JSON body gives (not `id`, which the path names), with the fields of the
 * objects under `expand` named one level down (`config.url`): what a create changed, for the audit
 * log. Called once the body has passed its (strict) schema, so every name is one the schema knows.
 */
export const givenFieldNames = (request: AdminRequest, expand: readonly string[] = []): string[] => {
  let json: unknown;
  try {
    json = JSON.parse(request.body === undefined || request.body === '' ? '{}' : request.body);
  } catch {
    return [];
  }
  if (!isObject(json)) return [];
  return Object.entries(json).flatMap(([field, value]) => {
    if (field === 'id') return [];
    if (expand.includes(field) && isObject(value)) return Object.keys(value).map((key) => `${field}.${key}`);
    return [field];
  });
};

/** A path parameter that must be a Herald resource id (400 otherwise). */
export const pathId = (request: AdminRequest, name = 'id'): string => {
  const value = request.pathParameters[name];
  const result = ResourceId.safeParse(value);
  if (!result.success) {
    throw new ValidationError('invalid_request', `${name} is not a valid id`, [
      { path: name, message: result.error.issues[0]?.message ?? 'invalid id' },
    ]);
  }
  return result.data;
};

/** `limit` and `nextToken` query parameters. */
export const pageParams = (request: AdminRequest): { limit: number; nextToken: string | undefined } => {
  const raw = request.query.limit;
  const limit = raw === undefined ? DEFAULT_PAGE_SIZE : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError('invalid_request', 'limit is not valid', [
      { path: 'limit', message: `expected an integer from 1 to ${MAX_PAGE_SIZE}` },
    ]);
  }
  return { limit, nextToken: request.query.nextToken };
};

/** The ETag of a versioned record. */
export const etagOf = (version: number): string => `"${version}"`;

/** The `If-Match` header, if any. */
export const ifMatch = (request: AdminRequest): string | undefined => request.headers['if-match'];

/** Whether `?dryRun=true`. */
export const isDryRun = (request: AdminRequest): boolean => request.query.dryRun === 'true';

export const notFound = (what: string, id: string): HttpError =>
  new HttpError(404, 'not_found', `${what} ${id} does not exist`);

/** A body `id`, when given, must be the path's. */
export const assertBodyId = (pathIdValue: string, bodyId: string | undefined): void => {
  if (bodyId !== undefined && bodyId !== pathIdValue) {
    throw new ValidationError('invalid_request', 'the body id differs from the path id', [
      { path: 'id', message: `expected ${pathIdValue}` },
    ]);
  }
};

/** 412 when `If-Match` is given and does not name the current version. */
export const checkIfMatch = (
  request: AdminRequest,
  currentVersion: number | undefined,
  kind: string,
  id: string,
): void => {
  const wanted = ifMatch(request);
  if (wanted === undefined || (wanted === '*' && currentVersion !== undefined)) return;
  if (currentVersion === undefined || wanted !== etagOf(currentVersion)) {
    throw new PreconditionFailedError(`${kind} ${id} does not match If-Match ${wanted}`);
  }
};

/** A value with object keys sorted at every depth, so JSON comparison ignores key order. */
const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, entry]) => [key, canonical(entry)]),
  );
};

/**
 * Whether two stored values are the same (for dry-run diffs), whatever order their keys come in: maps
 * read back from DynamoDB need not keep the order they were written in.
 */
export const sameJson = (a: unknown, b: unknown): boolean =>
  JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
