import { HttpError } from '../domain/errors.ts';
import type { ActivityAdmin } from './activity.ts';
import type { ApiKeyAdmin } from './api-keys.ts';
import type { AuditLog } from './audit.ts';
import type { ChannelAdmin, PutResult } from './channels.ts';
import { ChannelTestRequest, toChannelView } from './channels.ts';
import { type DeadLetterAdmin, RedriveRequest } from './dead-letters.ts';
import type { PolicyAdmin } from './policies.ts';
import { toPolicyView } from './policies.ts';
import {
  type AdminRequest,
  type AdminResponse,
  etagOf,
  givenFieldNames,
  isDryRun,
  pageParams,
  parseBody,
  pathId,
} from './request.ts';
import type { AdminRouteKey } from './routes.ts';
import { type SilenceAdmin, toSilenceView } from './silences.ts';

export interface AdminServices {
  readonly channels: ChannelAdmin;
  readonly policies: PolicyAdmin;
  readonly apiKeys: ApiKeyAdmin;
  readonly activity: ActivityAdmin;
  readonly deadLetters: DeadLetterAdmin;
  readonly silences: SilenceAdmin;
  readonly audit: Pick<AuditLog, 'list'>;
}

type Route = (request: AdminRequest, now: Date) => Promise<AdminResponse>;

const ok = (body: unknown, headers?: Record<string, string>): AdminResponse =>
  headers === undefined ? { status: 200, body } : { status: 200, body, headers };
const noContent: AdminResponse = { status: 204 };

/** A redrive's id, when the redrive made one (a redrive by filter). */
/**
 * The answer to a `PUT` of a versioned record: the plan of a dry run (with `planExtra`), or the record
 * written, `201` when created, with its ETag and the changed field names for the audit log.
 */
const putAnswer = <V extends { etag: string }>(
  result: PutResult<V>,
  planExtra: Record<string, unknown> = {},
): AdminResponse =>
  result.kind === 'planned'
    ? ok({ action: result.action, changes: result.changes, etag: result.etag, ...planExtra })
    : {
        status: result.created ? 201 : 200,
        body: result.view,
        headers: { etag: result.view.etag },
        audit: { fields: result.changes },
      };

const redriveIdOf = (body: unknown): string | undefined =>
  typeof body === 'object' && body !== null && 'id' in body && typeof body.id === 'string'
    ? body.id
    : undefined;

/**
 * The admin API (SPEC §6): one route table, every route a call into a service. Writes add an `audit`
 * note (changed field names, a created resource's id) for the audit log, which records them around
 * the whole table (`AuditLog.record`).
 */
export const adminRoutes = (services: AdminServices): Readonly<Record<AdminRouteKey, Route>> => {
  const { channels, policies, apiKeys, activity, deadLetters, silences, audit } = services;
  return {
    'GET /v1/channels': async (request) => {
      const { limit, nextToken } = pageParams(request);
      return ok(await channels.list(limit, nextToken));
    },
    'GET /v1/channels/{id}': async (request) => {
      const view = toChannelView(await channels.get(pathId(request)));
      return ok(view, { etag: view.etag });
    },
    'PUT /v1/channels/{id}': async (request, now) => {
      return putAnswer(await channels.put(request, isDryRun(request), now));
    },
    'DELETE /v1/channels/{id}': async (request) => {
      await channels.delete(request);
      return noContent;
    },
    'POST /v1/channels/{id}/test': async (request, now) =>
      ok(await channels.test(pathId(request), now, parseBody(request, ChannelTestRequest))),
    'GET /v1/channels/{id}/signing-secret': async (request, now) =>
      ok(await channels.signingSecret(pathId(request), now), { 'cache-control': 'no-store' }),
    'GET /v1/policies': async (request) => {
      const { limit, nextToken } = pageParams(request);
      return ok(await policies.list(limit, nextToken));
    },
    'GET /v1/policies/{id}': async (request) => {
      const record = await policies.get(pathId(request));
      return ok(toPolicyView(record), { etag: etagOf(record.version) });
    },
    'PUT /v1/policies/{id}': async (request, now) => {
      const result = await policies.put(request, isDryRun(request), now);
      return putAnswer(result, { warnings: result.warnings });
    },
    'DELETE /v1/policies/{id}': async (request) => {
      await policies.delete(request);
      return noContent;
    },
    'GET /v1/events/{id}': async (request) => {
      const id = request.pathParameters.id ?? '';
      return ok(await activity.event(id));
    },
    'GET /v1/deliveries': async (request) => ok(await activity.deliveries(request)),
    'GET /v1/dead-letters': async (request) => ok(await deadLetters.list(request)),
    'POST /v1/dead-letters/redrive': async (request, now) => {
      const result = await deadLetters.redrive(parseBody(request, RedriveRequest), now);
      const redriveId = redriveIdOf(result.body);
      return {
        ...result,
        audit: {
          ...(redriveId === undefined ? {} : { resourceId: redriveId }),
          fields: givenFieldNames(request),
        },
      };
    },
    'GET /v1/dead-letters/redrives/{id}': async (request) =>
      ok(await deadLetters.redriveStatus(request.pathParameters.id ?? '')),
    'POST /v1/api-keys': async (request, now) => {
      const created = await apiKeys.create(request, now);
      return {
        status: 201,
        body: created,
        audit: { resourceId: created.id, fields: givenFieldNames(request) },
      };
    },
    'GET /v1/api-keys': async (request) => {
      const { limit, nextToken } = pageParams(request);
      return ok(await apiKeys.list(limit, nextToken));
    },
    'DELETE /v1/api-keys/{id}': async (request) => {
      await apiKeys.revoke(request.pathParameters.id ?? '');
      return noContent;
    },
    'GET /v1/silences': async (request, now) => ok(await silences.list(request, now)),
    'GET /v1/silences/{id}': async (request, now) => {
      const record = await silences.get(pathId(request));
      return ok(toSilenceView(record, now), { etag: etagOf(record.version) });
    },
    'PUT /v1/silences/{id}': async (request, now) => {
      return putAnswer(await silences.put(request, isDryRun(request), now));
    },
    'DELETE /v1/silences/{id}': async (request) => {
      await silences.delete(request);
      return noContent;
    },
    'GET /v1/audit': async (request) => ok(await audit.list(request)),
  };
};

/** Dispatches a request to its route; 404 for a route this API does not have. */
export const dispatch = async (
  routes: Readonly<Record<AdminRouteKey, Route>>,
  request: AdminRequest,
  now: Date,
): Promise<AdminResponse> => {
  const route = (routes as Readonly<Record<string, Route | undefined>>)[request.routeKey];
  if (route === undefined) throw new HttpError(404, 'not_found', `no route ${request.routeKey}`);
  return route(request, now);
};
