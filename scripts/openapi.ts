/**
 * Writes `docs/openapi.json`: an OpenAPI 3.1 document for the routes Herald deploys (the admin routes
 * in `ADMIN_ROUTE_KEYS` and the two ingest routes), with request bodies, query parameters and the main
 * response bodies converted from the zod schemas the handlers use.
 *
 *   npx tsx scripts/openapi.ts           writes the file
 *   npx tsx scripts/openapi.ts --check   exits 1 when the file on disk differs from what it would write
 *
 * Response bodies the admin code builds in plain TypeScript (views, counts) have no zod schema of their
 * own: they are described here with zod, from the stored record schemas where there is one (marked
 * "mirrors" below), so `test/unit/openapi.test.ts` and CI keep them next to the routes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as z from 'zod';
import { DeliveryQuery } from '#shared/admin/activity.ts';
import { ApiKeyRecord, CreateApiKey } from '#shared/admin/api-keys.ts';
import { AuditListQuery } from '#shared/admin/audit.ts';
import { ChannelTestRequest } from '#shared/admin/channels.ts';
import { DeadLetterQuery, RedriveRequest } from '#shared/admin/dead-letters.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '#shared/admin/request.ts';
import { ADMIN_ROUTE_KEYS } from '#shared/admin/routes.ts';
import { SilenceQuery } from '#shared/admin/silences.ts';
import { AuditEntry } from '#shared/aws/audit-repository.ts';
import { IDEMPOTENCY_WINDOW_SECONDS, RedriveTask } from '#shared/aws/state-repository.ts';
import { ChannelInput } from '#shared/channels/input.ts';
import { ChannelRecord } from '#shared/channels/record.ts';
import { DurationSeconds } from '#shared/domain/duration.ts';
import {
  EventId,
  EventInput,
  HeraldEvent,
  MAX_EVENT_BYTES,
  MAX_EVENTS_PER_REQUEST,
} from '#shared/domain/event.ts';
import { PolicyInput, PolicyRecord, ResourceId } from '#shared/domain/policy.ts';
import { SilenceFields, SilenceInput } from '#shared/domain/silence.ts';
import { HERALD_VERSION } from '#shared/domain/version.ts';
import { MAX_BODY_BYTES } from '#shared/ingest/ingest.ts';

/** Where the document is written, relative to the repository root. */
export const OPENAPI_FILE = 'docs/openapi.json';
const OPENAPI_PATH = fileURLToPath(new URL(`../${OPENAPI_FILE}`, import.meta.url));

/** The ingest routes (`infra/constructs/ingest.ts`): API key bearer auth, and IAM (SigV4). */
export const INGEST_ROUTE_KEYS = ['POST /v1/events', 'POST /v1/iam/events'] as const;

type JsonSchema = Record<string, unknown>;
type Operation = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------
// zod → JSON Schema
// ---------------------------------------------------------------------------------------------------

/**
 * Drops the `$schema` keyword (OpenAPI 3.1 schema objects take their dialect from the document), and
 * refuses local `$defs`: a `#/$defs/…` reference would resolve against the document root, not here.
 */
const embeddable = ({ $schema: _dialect, ...schema }: JsonSchema): JsonSchema => {
  if ('$defs' in schema) throw new Error('a converted schema has $defs: make it a component instead');
  return schema;
};

/** A request body or parameter as clients write it: defaults optional, durations as text or seconds. */
const inputSchema = (schema: z.ZodType): JsonSchema =>
  embeddable(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as JsonSchema);

/**
 * A response body as Herald writes it: defaults applied (so required), durations as the seconds
 * `DurationSeconds` turns them into (a transform, which JSON Schema cannot express on its own).
 */
const outputSchema = (schema: z.ZodType): JsonSchema =>
  embeddable(
    z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io: 'output',
      unrepresentable: 'any',
      override: ({ zodSchema, jsonSchema }) => {
        if (zodSchema === DurationSeconds) {
          jsonSchema.type = 'number';
          jsonSchema.description = 'a duration, in seconds';
        }
      },
    }) as JsonSchema,
  );

// ---------------------------------------------------------------------------------------------------
// Response bodies built in TypeScript (the admin code's views): described here, from records where
// there is one. Each names the function it mirrors.
// ---------------------------------------------------------------------------------------------------

/** Mirrors `HttpError`/`FieldIssue` (`shared/domain/errors.ts`) as `httpErrors` writes them. */
const ErrorBody = z
  .object({
    error: z.string().meta({ description: 'A stable machine-readable code, e.g. `invalid_request`.' }),
    message: z.string(),
    details: z
      .array(
        z.object({
          index: z
            .number()
            .int()
            .optional()
            .meta({ description: 'Position of the item in a batch, when the input was a batch.' }),
          path: z.string().meta({ description: 'Dotted path of the field; empty for the whole item.' }),
          message: z.string(),
        }),
      )
      .optional()
      .meta({ description: 'Field-level problems (4xx only).' }),
  })
  .meta({
    description:
      'Every error Herald answers itself (`shared/http/api.ts` `httpErrors`). Statuses ≥ 500 carry no details; an unexpected failure is `500 {"error":"internal_error","message":"internal error"}`.',
  });

/** What API Gateway answers on its own when an authorizer refuses a request (not Herald's shape). */
const GatewayError = z.object({ message: z.string() }).meta({
  description: 'API Gateway\'s own answer when authorization fails, e.g. `{"message":"Forbidden"}`.',
});

const Etag = z.string().meta({ description: 'The record version as an ETag, e.g. `"3"`.' });

/** Mirrors `toChannelView` (`shared/admin/channels.ts`). */
const ChannelView = ChannelRecord.pick({
  id: true,
  type: true,
  enabled: true,
  description: true,
  target: true,
  events: true,
  retry: true,
  rateLimit: true,
  digest: true,
  template: true,
  disabledReason: true,
  createdAt: true,
  updatedAt: true,
}).extend({
  config: z.record(z.string(), z.unknown()).meta({
    description:
      "The type's settings, and each secret field as `{configured: true}` (inline) or its `{secretRef, key}`: never a secret value.",
  }),
  etag: Etag,
});

/** Mirrors `toPolicyView` (`shared/admin/policies.ts`); `warnings` only in PUT answers. */
const PolicyView = PolicyRecord.omit({ version: true }).extend({
  etag: Etag,
  warnings: z
    .array(z.string())
    .optional()
    .meta({ description: 'PUT only: channels the policy names that do not exist (yet).' }),
});

/** Mirrors `toSilenceView` (`shared/admin/silences.ts`). */
const SilenceView = SilenceFields.extend({
  startsAt: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  status: z.enum(['pending', 'active', 'expired']).meta({ description: 'Now, when the answer was made.' }),
  etag: Etag,
});

/** Mirrors the `planned` answer of a PUT with `?dryRun=true` (`shared/admin/api.ts`). */
const PutPlan = z.object({
  action: z.enum(['create', 'update', 'unchanged']),
  changes: z.array(z.string()).meta({ description: 'Names of the fields that would change, never values.' }),
  etag: Etag.nullable().meta({
    description: 'The version the plan was made against (null for a create): send it as `If-Match`.',
  }),
});
const PolicyPutPlan = PutPlan.extend({ warnings: z.array(z.string()) });

/** Mirrors `ChannelAdmin.test`. */
const ChannelTestResult = z.object({
  ok: z.boolean(),
  status: z.number().int().nullable().meta({ description: 'The HTTP status the target answered, if any.' }),
  latencyMs: z.number(),
  error: z.string().nullable(),
  messageId: z.string().optional().meta({
    description:
      'The id the service gave the message, when it answered one: SNS and SQS `MessageId`, EventBridge `EventId`.',
  }),
});

/** Mirrors `SigningSecretView` (`shared/admin/channels.ts`). */
const SigningSecretView = z.object({
  signingSecret: z.string(),
  previous: z
    .array(z.object({ signingSecret: z.string(), until: z.string() }))
    .optional()
    .meta({ description: 'Replaced secrets that still sign until `until` (only while one rotates).' }),
});

/** `status` of a delivery, as `GET /v1/deliveries?status=` takes it. */
const DeliveryStatus = DeliveryQuery.shape.status.unwrap();

/** Mirrors `toAttemptView` (`shared/admin/activity.ts`). */
const AttemptView = z.object({
  attempt: z.number().int(),
  at: z.string(),
  outcome: z.string(),
  httpStatus: z.number().int().optional(),
  latencyMs: z.number(),
  error: z.string().optional(),
  messageId: z.string().optional().meta({
    description: 'The id the service gave what was sent (SNS and SQS MessageId, EventBridge EventId).',
  }),
});

const DigestFields = {
  digestId: z.string().optional().meta({
    description: 'Status `digested`: the delivery id of the digest the notification went into.',
  }),
  period: z
    .object({ start: z.string(), end: z.string() })
    .optional()
    .meta({ description: "A digest's delivery: the period it lists." }),
};

/** A digest's own delivery, as an event's digested delivery shows it. */
const DigestDelivery = z.object({
  deliveryId: z.string(),
  status: DeliveryStatus,
  attemptCount: z.number().int(),
  reason: z.string().optional(),
  ...DigestFields,
  attempts: z.array(AttemptView),
});

/**
 * Mirrors `ActivityAdmin.event`. `event` is the stored {@link HeraldEvent}, a component of its own
 * (converted as input: its `data` is any JSON, which zod's output would describe recursively).
 */
const EventActivity = z.object({
  event: z.unknown(),
  status: z.string().meta({ description: 'The event claim: `accepted`, then `routed`.' }),
  acceptedAt: z.string(),
  deliveries: z.array(
    z.object({
      deliveryId: z.string(),
      channelId: z.string(),
      status: DeliveryStatus,
      attemptCount: z.number().int(),
      reason: z.string().optional(),
      ...DigestFields,
      attempts: z.array(AttemptView),
      digest: DigestDelivery.optional().meta({
        description: 'Status `digested`: the digest the notification went into, as it stands.',
      }),
    }),
  ),
});

/** Mirrors `toDeliveryView` (`shared/admin/activity.ts`). */
const DeliveryView = z.object({
  deliveryId: z.string(),
  eventId: z.string(),
  channelId: z.string(),
  status: DeliveryStatus,
  attemptCount: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  statusAt: z.string().optional().meta({ description: 'When the delivery took its status.' }),
  reason: z.string().optional(),
  ...DigestFields,
});

/** Mirrors `toDeadLetterView` (`shared/admin/dead-letters.ts`). */
const DeadLetterView = z.object({
  deliveryId: z.string(),
  eventId: z.string(),
  channelId: z.string(),
  eventType: z.string(),
  reason: z.string().nullable(),
  attemptCount: z.number().int(),
  createdAt: z.string(),
  deadLetteredAt: z.string(),
});

/** Mirrors `DeadLetterQueueAdmin.list` (`?source=queue`): what a message says, when it is a job. */
const QueuedDeadLetterView = z.object({
  deliveryId: z.string().nullable(),
  eventId: z.string().nullable(),
  channelId: z.string().nullable(),
  eventType: z.string().nullable(),
  reason: z.string(),
  deadLetteredAt: z.string().optional(),
});

/** Mirrors `DeadLetterAdmin.list`: counts come with the first page of `source=records` only. */
const DeadLetterPage = z.object({
  items: z.array(z.union([DeadLetterView, QueuedDeadLetterView])),
  nextToken: z.string().optional(),
  counts: z
    .object({
      total: z.number().int(),
      byChannel: z.record(z.string(), z.number().int()),
      truncated: z.boolean(),
    })
    .optional(),
  queue: z.object({ approximateMessages: z.number().int() }).optional(),
});

/** Mirrors the redrive-by-ids/event answer and `DeadLetterQueueAdmin.redrive`. */
const RedriveCounts = z.object({ redriven: z.number().int(), skipped: z.number().int() });

/** Mirrors `toRedriveView` (`shared/admin/dead-letters.ts`), from the stored task. */
const RedriveView = RedriveTask.pick({
  id: true,
  status: true,
  redriven: true,
  skipped: true,
  startedAt: true,
  updatedAt: true,
}).extend({ channel: z.string().optional(), type: z.string().optional() });

/** Mirrors `toView` (`shared/admin/api-keys.ts`): the record without its hash. */
const ApiKeyView = ApiKeyRecord.omit({ hash: true });
const CreatedApiKey = ApiKeyView.extend({
  key: z.string().meta({ description: 'The key (`hk_…`): shown this once, never again.' }),
});

/** The ingest body: one event, or a batch (`parseIngestRequest` in `shared/ingest/ingest.ts`). */
const EventBatch = z.object({ events: z.array(EventInput).min(1).max(MAX_EVENTS_PER_REQUEST) });

/** Mirrors the ingest handler's 202 (`functions/ingest/handler.ts`). */
const AcceptedEvents = z.object({
  events: z.array(
    z.object({
      id: z.string(),
      duplicate: z.boolean().meta({
        description: `The id was accepted before (within ${IDEMPOTENCY_WINDOW_SECONDS / 3600} h).`,
      }),
    }),
  ),
});

// ---------------------------------------------------------------------------------------------------
// Components
// ---------------------------------------------------------------------------------------------------

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Mirrors `Page<T>` (`shared/aws/config-repository.ts`): a page of items, and the token of the next. */
const page = (item: string) => ({
  type: 'object',
  properties: { items: { type: 'array', items: ref(item) }, nextToken: { type: 'string' } },
  required: ['items'],
});

/** A converted object schema with one (required) property replaced by a reference to a component. */
const withProperty = (schema: JsonSchema, name: string, property: JsonSchema) => {
  const properties = { ...(schema.properties as Record<string, JsonSchema>), [name]: property };
  const others = ((schema.required as string[] | undefined) ?? []).filter((field) => field !== name);
  return { ...schema, properties, required: [name, ...others] };
};

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** One component per channel type's input (the options of the `ChannelInput` discriminated union). */
const channelInputComponents = (): Record<string, JsonSchema> => {
  const byType: Record<string, JsonSchema> = {};
  for (const option of ChannelInput.options) {
    byType[`${pascal(option.shape.type.value)}ChannelInput`] = inputSchema(option);
  }
  return byType;
};

const schemaComponents = (): Record<string, JsonSchema> => {
  const perType = channelInputComponents();
  const mapping = Object.fromEntries(
    ChannelInput.options.map((option) => [
      option.shape.type.value,
      ref(`${pascal(option.shape.type.value)}ChannelInput`).$ref,
    ]),
  );
  return {
    ...perType,
    ChannelInput: {
      description: 'A channel as users write it: the envelope, `type`, and that type’s `config`.',
      oneOf: Object.keys(perType).map(ref),
      discriminator: { propertyName: 'type', mapping },
    },
    PolicyInput: inputSchema(PolicyInput),
    SilenceInput: inputSchema(SilenceInput),
    EventInput: inputSchema(EventInput),
    EventBatch: inputSchema(EventBatch),
    RedriveRequest: inputSchema(RedriveRequest),
    ChannelTestRequest: inputSchema(ChannelTestRequest),
    CreateApiKey: inputSchema(CreateApiKey),
    Error: outputSchema(ErrorBody),
    GatewayError: outputSchema(GatewayError),
    ChannelView: outputSchema(ChannelView),
    ChannelPage: page('ChannelView'),
    PolicyView: outputSchema(PolicyView),
    PolicyPage: page('PolicyView'),
    SilenceView: outputSchema(SilenceView),
    SilencePage: page('SilenceView'),
    PutPlan: outputSchema(PutPlan),
    PolicyPutPlan: outputSchema(PolicyPutPlan),
    ChannelTestResult: outputSchema(ChannelTestResult),
    SigningSecret: outputSchema(SigningSecretView),
    HeraldEvent: inputSchema(HeraldEvent),
    EventActivity: withProperty(outputSchema(EventActivity), 'event', ref('HeraldEvent')),
    DeliveryView: outputSchema(DeliveryView),
    DeliveryPage: page('DeliveryView'),
    DeadLetterPage: outputSchema(DeadLetterPage),
    RedriveCounts: outputSchema(RedriveCounts),
    Redrive: outputSchema(RedriveView),
    ApiKey: outputSchema(ApiKeyView),
    ApiKeyPage: page('ApiKey'),
    CreatedApiKey: outputSchema(CreatedApiKey),
    AuditEntry: outputSchema(AuditEntry),
    AuditPage: page('AuditEntry'),
    AcceptedEvents: outputSchema(AcceptedEvents),
  };
};

const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'The request is not valid (`invalid_request`, `invalid_event`, `malformed_json`, …): `details` names the fields.',
  404: 'No such resource (`not_found`).',
  409: 'The resource is in a state that prevents this (`signing_secret_unreadable`).',
  412: 'If-Match does not name the current version (`precondition_failed`).',
  413: 'Too large (`payload_too_large`, `event_too_large`, `too_many_events`).',
  415: 'Content-Type is not JSON (`unsupported_media_type`).',
  500: 'Unexpected failure (`internal_error`): nothing is disclosed.',
  503: 'Unavailable: nothing was done, retry later (`audit_unavailable`, `queue_unavailable`).',
};

const responseComponents = () => ({
  ...Object.fromEntries(
    Object.entries(ERROR_DESCRIPTIONS).map(([status, description]) => [
      `Error${status}`,
      { description, content: { 'application/json': { schema: ref('Error') } } },
    ]),
  ),
  Unauthorized: {
    description: 'No `Authorization` header (API Gateway).',
    content: { 'application/json': { schema: ref('GatewayError') } },
  },
  Forbidden: {
    description: 'The credentials are not valid or not allowed (API Gateway).',
    content: { 'application/json': { schema: ref('GatewayError') } },
  },
});

const parameterComponents = () => ({
  limit: {
    name: 'limit',
    in: 'query',
    required: false,
    description: 'Page size.',
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
  },
  nextToken: {
    name: 'nextToken',
    in: 'query',
    required: false,
    description: 'The `nextToken` of the previous page.',
    schema: { type: 'string' },
  },
  dryRun: {
    name: 'dryRun',
    in: 'query',
    required: false,
    description: '`true`: write nothing, answer with the plan (what would change).',
    schema: { type: 'string', enum: ['true', 'false'] },
  },
  ifMatch: {
    name: 'If-Match',
    in: 'header',
    required: false,
    description: 'Only if the record is at this ETag (`*`: only if it exists).',
    schema: { type: 'string' },
  },
});

// ---------------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------------

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const body = (name: string, description?: string) => ({
  required: true,
  ...(description === undefined ? {} : { description }),
  content: json(ref(name)),
});
const ok = (description: string, schema: JsonSchema, headers?: Record<string, unknown>) => ({
  description,
  ...(headers === undefined ? {} : { headers }),
  content: json(schema),
});
const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [String(status), { $ref: `#/components/responses/Error${status}` }]),
  );
const param = (name: string) => ({ $ref: `#/components/parameters/${name}` });
const ETAG_HEADER = { ETag: { description: 'The version, for `If-Match`.', schema: { type: 'string' } } };

/** `{id}` in each admin path, as the route checks it. */
const pathParameter = (routePath: string) => {
  const [schema, description] = routePath.startsWith('/v1/events/')
    ? [inputSchema(EventId), 'An event id.']
    : routePath.startsWith('/v1/channels/')
      ? [inputSchema(ResourceId), 'The channel id.']
      : routePath.startsWith('/v1/policies/')
        ? [inputSchema(ResourceId), 'The policy id.']
        : routePath.startsWith('/v1/silences/')
          ? [inputSchema(ResourceId), 'The silence id.']
          : routePath.startsWith('/v1/api-keys/')
            ? [{ type: 'string', minLength: 1 }, 'An API key id (`key_…`).']
            : [{ type: 'string', minLength: 1 }, 'A redrive id (`rdr_…`).'];
  return { name: 'id', in: 'path', required: true, description, schema };
};

/**
 * Query parameters from a list route's (strict) query schema: each property one parameter. `limit` is
 * read as text there and checked by `pageParams`, so it is the shared integer parameter instead.
 */
const queryParameters = (schema: z.ZodObject) => {
  const converted = inputSchema(schema) as { properties: Record<string, JsonSchema> };
  return Object.entries(converted.properties).map(([name, property]) =>
    name === 'limit' || name === 'nextToken'
      ? param(name)
      : { name, in: 'query', required: false, schema: property },
  );
};
const PAGE_PARAMETERS = [param('limit'), param('nextToken')];

/** Every admin operation, by route key: what `adminRoutes` (`shared/admin/api.ts`) answers. */
const adminOperations = (): Record<string, Operation> => ({
  'GET /v1/channels': {
    summary: 'List channels',
    parameters: PAGE_PARAMETERS,
    responses: { 200: ok('A page of channels.', ref('ChannelPage')), ...errors(400) },
  },
  'GET /v1/channels/{id}': {
    summary: 'Get a channel',
    responses: { 200: ok('The channel.', ref('ChannelView'), ETAG_HEADER), ...errors(400, 404) },
  },
  'PUT /v1/channels/{id}': {
    summary: 'Create or replace a channel',
    description:
      'Secret fields left out keep their stored value (unless the channel now sends somewhere else). With `?dryRun=true`, nothing is written and the plan is returned.',
    parameters: [param('dryRun'), param('ifMatch')],
    requestBody: body('ChannelInput'),
    responses: {
      200: ok(
        'Replaced (the channel), or the plan of a dry run.',
        {
          oneOf: [ref('ChannelView'), ref('PutPlan')],
        },
        ETAG_HEADER,
      ),
      201: ok('Created.', ref('ChannelView'), ETAG_HEADER),
      ...errors(400, 412, 503),
    },
  },
  'DELETE /v1/channels/{id}': {
    summary: 'Delete a channel',
    parameters: [param('ifMatch')],
    responses: { 204: { description: 'Deleted.' }, ...errors(400, 404, 412, 503) },
  },
  'POST /v1/channels/{id}/test': {
    summary: 'Send a test notification',
    description:
      'Sends a `herald.test` event through the channel and records the attempt; a failed send is a 200 with `ok: false`. With `{"digest": true}`, sends a sample digest of three test events instead, rendered as the channel renders its digests (400 for a type that takes none).',
    requestBody: {
      ...body('ChannelTestRequest', 'Optional: `{"digest": true}` for a sample digest.'),
      required: false,
    },
    responses: { 200: ok('What happened.', ref('ChannelTestResult')), ...errors(400, 404, 503) },
  },
  'GET /v1/channels/{id}/signing-secret': {
    summary: "Read a signing channel's signing secret",
    description: 'Audited like a write. Answered with `Cache-Control: no-store`.',
    responses: {
      200: ok('The signing secret, and replaced ones still signing.', ref('SigningSecret')),
      ...errors(400, 404, 409, 503),
    },
  },
  'GET /v1/policies': {
    summary: 'List policies',
    parameters: PAGE_PARAMETERS,
    responses: { 200: ok('A page of policies.', ref('PolicyPage')), ...errors(400) },
  },
  'GET /v1/policies/{id}': {
    summary: 'Get a policy',
    responses: { 200: ok('The policy.', ref('PolicyView'), ETAG_HEADER), ...errors(400, 404) },
  },
  'PUT /v1/policies/{id}': {
    summary: 'Create or replace a policy',
    description: 'A policy may name channels that do not exist yet: the answer lists them in `warnings`.',
    parameters: [param('dryRun'), param('ifMatch')],
    requestBody: body('PolicyInput'),
    responses: {
      200: ok(
        'Replaced (the policy), or the plan of a dry run.',
        {
          oneOf: [ref('PolicyView'), ref('PolicyPutPlan')],
        },
        ETAG_HEADER,
      ),
      201: ok('Created.', ref('PolicyView'), ETAG_HEADER),
      ...errors(400, 412, 503),
    },
  },
  'DELETE /v1/policies/{id}': {
    summary: 'Delete a policy',
    parameters: [param('ifMatch')],
    responses: { 204: { description: 'Deleted.' }, ...errors(400, 404, 412, 503) },
  },
  'GET /v1/silences': {
    summary: 'List silences and maintenance windows',
    description:
      'In id order, each with its status now; `status` keeps only those pending, active or expired.',
    parameters: queryParameters(SilenceQuery),
    responses: { 200: ok('A page of silences.', ref('SilencePage')), ...errors(400) },
  },
  'GET /v1/silences/{id}': {
    summary: 'Get a silence',
    responses: { 200: ok('The silence.', ref('SilenceView'), ETAG_HEADER), ...errors(400, 404) },
  },
  'PUT /v1/silences/{id}': {
    summary: 'Create or replace a silence',
    description:
      'A one-off silence (`endsAt`, `startsAt` defaulting to now) or a maintenance window (`schedule`). Expire one by writing it back with `endsAt` now.',
    parameters: [param('dryRun'), param('ifMatch')],
    requestBody: body('SilenceInput'),
    responses: {
      200: ok(
        'Replaced (the silence), or the plan of a dry run.',
        { oneOf: [ref('SilenceView'), ref('PutPlan')] },
        ETAG_HEADER,
      ),
      201: ok('Created.', ref('SilenceView'), ETAG_HEADER),
      ...errors(400, 412, 503),
    },
  },
  'DELETE /v1/silences/{id}': {
    summary: 'Delete a silence',
    parameters: [param('ifMatch')],
    responses: { 204: { description: 'Deleted.' }, ...errors(400, 404, 412, 503) },
  },
  'GET /v1/events/{id}': {
    summary: 'Get an event and its deliveries',
    responses: {
      200: ok('The event, with each delivery and its attempts.', ref('EventActivity')),
      ...errors(404),
    },
  },
  'GET /v1/deliveries': {
    summary: 'List recent deliveries',
    description:
      'Newest first; filtered by status, channel and start time. Unknown query parameters are refused.',
    parameters: queryParameters(DeliveryQuery),
    responses: { 200: ok('A page of deliveries.', ref('DeliveryPage')), ...errors(400) },
  },
  'GET /v1/dead-letters': {
    summary: 'List dead letters',
    description:
      'Dead deliveries, most recently dead first (`source=records`), or the messages in the delivery dead-letter queue (`source=queue`). Unknown query parameters are refused.',
    parameters: queryParameters(DeadLetterQuery),
    responses: { 200: ok('A page of dead letters.', ref('DeadLetterPage')), ...errors(400) },
  },
  'POST /v1/dead-letters/redrive': {
    summary: 'Redrive dead letters',
    description:
      'By delivery ids or event: at once, with counts. By filter (or all): a redrive task that goes on in the background when it outlasts the request (202).',
    requestBody: body('RedriveRequest'),
    responses: {
      200: ok('Done: counts (by ids, event, or queue) or the finished redrive task.', {
        oneOf: [ref('RedriveCounts'), ref('Redrive')],
      }),
      202: ok('The redrive goes on in the background: poll it by id.', ref('Redrive')),
      ...errors(400, 404, 503),
    },
  },
  'GET /v1/dead-letters/redrives/{id}': {
    summary: "A redrive's progress",
    responses: { 200: ok('The redrive task.', ref('Redrive')), ...errors(404) },
  },
  'POST /v1/api-keys': {
    summary: 'Create an ingest API key',
    requestBody: body('CreateApiKey'),
    responses: { 201: ok('The key, shown this once.', ref('CreatedApiKey')), ...errors(400, 503) },
  },
  'GET /v1/api-keys': {
    summary: 'List ingest API keys',
    parameters: PAGE_PARAMETERS,
    responses: { 200: ok('A page of keys (never the key itself).', ref('ApiKeyPage')), ...errors(400) },
  },
  'DELETE /v1/api-keys/{id}': {
    summary: 'Revoke an ingest API key',
    responses: { 204: { description: 'Revoked.' }, ...errors(404, 503) },
  },
  'GET /v1/audit': {
    summary: 'Read the audit log',
    description: 'Admin writes and secret reads, newest first. Unknown query parameters are refused.',
    parameters: queryParameters(AuditListQuery),
    responses: { 200: ok('A page of audit entries.', ref('AuditPage')), ...errors(400) },
  },
});

const INGEST_DESCRIPTION = `One event, or \`{"events": [...]}\` with 1 to ${MAX_EVENTS_PER_REQUEST} events: every event valid or none accepted. Body at most ${MAX_BODY_BYTES} bytes, each event at most ${MAX_EVENT_BYTES} bytes serialized.`;

const ingestOperation = (summary: string, security: string): Operation => ({
  tags: ['ingest'],
  summary,
  description: INGEST_DESCRIPTION,
  security: [{ [security]: [] }],
  requestBody: {
    required: true,
    content: json({ oneOf: [ref('EventInput'), ref('EventBatch')] }),
  },
  responses: {
    202: ok('Accepted and queued: each event with its id.', ref('AcceptedEvents')),
    ...errors(400, 413, 415, 500, 503),
    ...(security === 'apiKey' ? { 401: { $ref: '#/components/responses/Unauthorized' } } : {}),
    403: {
      description:
        'The API key or signature is not valid (API Gateway), or a scoped key sent an event outside its scope (`outside_key_scope`).',
      content: json({ oneOf: [ref('Error'), ref('GatewayError')] }),
    },
  },
});

const ingestOperations = (): Record<(typeof INGEST_ROUTE_KEYS)[number], Operation> => ({
  'POST /v1/events': ingestOperation('Send events (API key)', 'apiKey'),
  'POST /v1/iam/events': ingestOperation('Send events (IAM)', 'sigv4'),
});

const METHOD_ORDER = ['get', 'put', 'post', 'delete'];

/** A value with object keys sorted (for maps whose order comes from iteration, not from the source). */
const sortedByKey = <T>(record: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** Builds the OpenAPI 3.1 document for every route Herald deploys. */
export const buildOpenApiDocument = (): Record<string, unknown> => {
  const admin = adminOperations();
  const paths: Record<string, Record<string, Operation>> = {};
  const add = (routeKey: string, operation: Operation) => {
    const [method = '', path = ''] = routeKey.split(' ');
    const hasId = path.includes('{id}');
    const entry = paths[path] ?? {};
    entry[method.toLowerCase()] = {
      operationId: routeKey,
      ...operation,
      ...(hasId
        ? { parameters: [pathParameter(path), ...((operation.parameters as unknown[] | undefined) ?? [])] }
        : {}),
    };
    paths[path] = entry;
  };
  for (const routeKey of ADMIN_ROUTE_KEYS) {
    const operation = admin[routeKey];
    if (operation === undefined) throw new Error(`no OpenAPI operation for admin route ${routeKey}`);
    add(routeKey, {
      tags: ['admin'],
      ...operation,
      responses: {
        ...(operation.responses as Record<string, unknown>),
        403: { $ref: '#/components/responses/Forbidden' },
        500: { $ref: '#/components/responses/Error500' },
      },
    });
  }
  for (const [routeKey, operation] of Object.entries(ingestOperations())) add(routeKey, operation);
  for (const [path, methods] of Object.entries(paths)) {
    paths[path] = Object.fromEntries(
      Object.entries(methods).sort(([a], [b]) => METHOD_ORDER.indexOf(a) - METHOD_ORDER.indexOf(b)),
    );
  }

  return {
    openapi: '3.1.1',
    info: {
      title: 'Herald API',
      version: HERALD_VERSION,
      description:
        'Herald, a serverless notification router: the ingest routes producers send events to, and the admin API. Generated from the zod schemas by `npx tsx scripts/openapi.ts`: do not edit by hand.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: "The stack's HTTP API (default stage)",
        variables: { apiId: { default: 'example' }, region: { default: 'us-east-1' } },
      },
    ],
    security: [{ sigv4: [] }],
    tags: [
      { name: 'ingest', description: 'Events in.' },
      {
        name: 'admin',
        description: 'Channels, policies, API keys, activity, dead letters, audit (IAM only).',
      },
    ],
    paths: sortedByKey(paths),
    components: {
      schemas: sortedByKey(schemaComponents()),
      responses: sortedByKey(responseComponents()),
      parameters: sortedByKey(parameterComponents()),
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            'AWS Signature Version 4 (IAM authorization, service `execute-api`): sign the request with credentials allowed `execute-api:Invoke` on the route.',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A Herald ingest API key (`Authorization: Bearer hk_…`), created with `POST /v1/api-keys`.',
        },
      },
    },
  };
};

/** The document as written to disk: 2-space JSON and a trailing newline. */
export const renderOpenApiDocument = (): string => `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;

const main = (args: readonly string[]): number => {
  const rendered = renderOpenApiDocument();
  if (args.includes('--check')) {
    let current: string | undefined;
    try {
      current = readFileSync(OPENAPI_PATH, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === rendered) return 0;
    console.error(`${OPENAPI_FILE} is out of date: run \`npx tsx scripts/openapi.ts\` and commit the result`);
    return 1;
  }
  writeFileSync(OPENAPI_PATH, rendered);
  console.log(`wrote ${OPENAPI_FILE}`);
  return 0;
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}

/** The response schemas that mirror TypeScript views, for the type tests that keep them in step. */
export const VIEW_SCHEMAS = {
  ChannelView,
  PolicyView,
  SilenceView,
  SigningSecretView,
  ChannelTestResult,
  RedriveView,
  ApiKeyView,
};
