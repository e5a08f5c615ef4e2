/**
 * The admin API client: every call signed with SigV4 (`execute-api`), JSON in and out, responses
 * checked with zod at the edge, and every failure turned into one {@link HeraldApiError}.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import * as z from 'zod';
import { type RequestToSign, sigV4Headers } from './signing.ts';

/** Credentials (or a provider of them) as the SigV4 signer takes them. */
export type SigningCredentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

/** A problem with one field of a request, as the API reports it. */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
  /** Position of the item in a batch (ingest). */
  readonly index?: number;
}

/** Any failed admin API call: an error response, an unreachable endpoint or an unexpected answer. */
export class HeraldApiError extends Error {
  override readonly name = 'HeraldApiError';

  constructor(
    /** HTTP status; 0 when no response arrived. */
    readonly status: number,
    /** The API's error code (`not_found`), or `unreachable` / `unexpected_response`. */
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const ErrorBody = z.looseObject({
  error: z.string(),
  message: z.string().optional(),
  details: z
    .array(z.looseObject({ path: z.string().default(''), message: z.string(), index: z.number().optional() }))
    .optional(),
});

export const ChannelView = z.looseObject({
  id: z.string(),
  type: z.string(),
  enabled: z.boolean(),
  description: z.string().optional(),
  events: z.array(z.string()).optional(),
  retry: z.looseObject({}).optional(),
  rateLimit: z.looseObject({}).optional(),
  /** One message per period instead of one per event. */
  digest: z.looseObject({ every: z.string() }).optional(),
  disabledReason: z.string().optional(),
  /** Where the channel sends (host, topic, recipients), never a secret. */
  target: z.string().optional(),
  template: z.looseObject({}).optional(),
  /** The type's settings, and each secret field as `{configured: true}` or its `secretRef`. */
  config: z.record(z.string(), z.unknown()),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  etag: z.string().optional(),
});
export type ChannelView = z.infer<typeof ChannelView>;

export const PolicyView = z.looseObject({
  id: z.string(),
  description: z.string().optional(),
  enabled: z.boolean().optional(),
  events: z.array(z.string()).optional(),
  match: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  minSeverity: z.string().optional(),
  channels: z.array(z.string()),
  dedupWindow: z.union([z.number(), z.string()]).optional(),
  warnings: z.array(z.string()).optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  etag: z.string().optional(),
});
export type PolicyView = z.infer<typeof PolicyView>;

export const SilenceView = z.looseObject({
  id: z.string(),
  comment: z.string().optional(),
  events: z.array(z.string()).optional(),
  match: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  channels: z.array(z.string()).optional(),
  startsAt: z.string(),
  endsAt: z.string().optional(),
  schedule: z
    .looseObject({
      timezone: z.string(),
      windows: z.array(
        z.looseObject({ days: z.array(z.string()).optional(), from: z.string(), to: z.string() }),
      ),
    })
    .optional(),
  status: z.enum(['pending', 'active', 'expired']),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  etag: z.string().optional(),
});
export type SilenceView = z.infer<typeof SilenceView>;

const page = <T extends z.ZodType>(item: T) =>
  z.looseObject({ items: z.array(item), nextToken: z.string().nullish() });
export interface Page<T> {
  readonly items: T[];
  readonly nextToken?: string | null | undefined;
}

export const DryRunResult = z.looseObject({
  action: z.enum(['create', 'update', 'unchanged']),
  changes: z.array(z.string()).default([]),
  warnings: z.array(z.string()).default([]),
  /** The ETag the plan was made against: applying sends it as `If-Match`. */
  etag: z.string().nullish(),
});
export type DryRunResult = z.infer<typeof DryRunResult>;

export const TestResult = z.looseObject({
  ok: z.boolean(),
  status: z.number().nullable(),
  latencyMs: z.number(),
  error: z.string().nullable(),
  /** The id the service gave the message (SNS, SQS, EventBridge), when it answered one. */
  messageId: z.string().nullish(),
});
export type TestResult = z.infer<typeof TestResult>;

const Attempt = z.looseObject({
  attempt: z.number(),
  at: z.string(),
  outcome: z.string(),
  httpStatus: z.number().nullish(),
  latencyMs: z.number().nullish(),
  error: z.string().nullish(),
});

export const EventDetail = z.looseObject({
  event: z.looseObject({
    id: z.string(),
    type: z.string(),
    source: z.string(),
    time: z.string().optional(),
    subject: z.string().optional(),
    severity: z.string().optional(),
    attributes: z.record(z.string(), z.string()).optional(),
  }),
  status: z.string(),
  acceptedAt: z.string().optional(),
  deliveries: z.array(
    z.looseObject({
      deliveryId: z.string(),
      channelId: z.string(),
      status: z.string(),
      attemptCount: z.number(),
      reason: z.string().nullish(),
      attempts: z.array(Attempt).default([]),
      /** Status `digested`: the digest it went into, as it stands. */
      digest: z
        .looseObject({
          deliveryId: z.string(),
          status: z.string(),
          attemptCount: z.number(),
          reason: z.string().nullish(),
          period: z.looseObject({ start: z.string(), end: z.string() }).optional(),
          attempts: z.array(Attempt).default([]),
        })
        .optional(),
    }),
  ),
});
export type EventDetail = z.infer<typeof EventDetail>;

export const DeliverySummary = z.looseObject({
  deliveryId: z.string(),
  eventId: z.string(),
  channelId: z.string(),
  status: z.string(),
  attemptCount: z.number(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  reason: z.string().nullish(),
});
export type DeliverySummary = z.infer<typeof DeliverySummary>;

/** A dead letter: a delivery, or (from the ingest dead-letter queue) an event that was not routed. */
export const DeadLetter = z.looseObject({
  deliveryId: z.string().nullish(),
  eventId: z.string().nullable(),
  channelId: z.string().nullish(),
  eventType: z.string().nullish(),
  /** Ingest dead letters: the SQS message, and the event's source. */
  messageId: z.string().nullish(),
  source: z.string().nullish(),
  reason: z.string().nullish(),
  attemptCount: z.number().optional(),
  deadLetteredAt: z.string().nullish(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;

/** A page of dead letters; the first also counts them per channel, and the backstop queue. */
export const DeadLetterPage = z.looseObject({
  items: z.array(DeadLetter),
  nextToken: z.string().nullish(),
  counts: z
    .looseObject({ total: z.number(), byChannel: z.record(z.string(), z.number()), truncated: z.boolean() })
    .optional(),
  queue: z.looseObject({ approximateMessages: z.number() }).optional(),
  ingest: z.looseObject({ approximateMessages: z.number() }).optional(),
});
export type DeadLetterPage = z.infer<typeof DeadLetterPage>;

export interface DeadLetterQuery extends ListQuery {
  readonly channel?: string | undefined;
  readonly type?: string | undefined;
  readonly since?: string | undefined;
  /**
   * `queue`: the SQS dead-letter queue (jobs that died without a record); `ingest`: the events that
   * could not be routed.
   */
  readonly source?: 'records' | 'queue' | 'ingest' | undefined;
}

/** What to redrive: ids, an event, or every dead letter (of a channel and/or type). */
export interface RedriveQuery {
  readonly channel?: string | undefined;
  readonly type?: string | undefined;
  readonly eventId?: string | undefined;
  readonly deliveryIds?: readonly string[] | undefined;
  readonly source?: 'records' | 'queue' | 'ingest' | undefined;
}

/** A redrive's answer: counts, and for a redrive by filter its id and whether it goes on. */
export const RedriveResult = z.looseObject({
  redriven: z.number(),
  skipped: z.number(),
  id: z.string().optional(),
  status: z.enum(['running', 'done']).optional(),
});
export type RedriveResult = z.infer<typeof RedriveResult>;

export const CreatedKey = z.looseObject({
  id: z.string(),
  name: z.string(),
  key: z.string(),
  createdAt: z.string().optional(),
});
export type CreatedKey = z.infer<typeof CreatedKey>;

export const KeySummary = z.looseObject({
  id: z.string(),
  name: z.string(),
  createdAt: z.string().optional(),
  lastUsedAt: z.string().nullish(),
});
export type KeySummary = z.infer<typeof KeySummary>;

/** `GET /v1/channels/{id}/signing-secret`: the secret, and replaced ones still signing for a while. */
export const SigningSecret = z.looseObject({
  signingSecret: z.string(),
  previous: z.array(z.looseObject({ signingSecret: z.string(), until: z.string() })).optional(),
});
export type SigningSecret = z.infer<typeof SigningSecret>;

/** One audit log entry: who did what to which resource, the outcome, the changed field names. */
export const AuditEntry = z.looseObject({
  id: z.string(),
  at: z.string(),
  principal: z.looseObject({
    arn: z.string(),
    userId: z.string().optional(),
    accountId: z.string().optional(),
    callerId: z.string().optional(),
  }),
  route: z.string(),
  resourceId: z.string().nullable(),
  /** Null when the outcome was not recorded. */
  status: z.number().nullable(),
  fields: z.array(z.string()),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export interface AuditQuery extends ListQuery {
  /** An ISO time: only entries at or after it. */
  readonly since?: string | undefined;
}

export const SendResult = z.looseObject({
  events: z.array(z.looseObject({ id: z.string(), duplicate: z.boolean() })),
});
export type SendResult = z.infer<typeof SendResult>;

/** A written resource and what the write did. */
export interface Written<V> {
  readonly created: boolean;
  readonly view: V;
  readonly etag: string | undefined;
}

export interface WriteOptions {
  /** Sent as `If-Match`: the write fails with 412 unless the resource still has this ETag. */
  readonly ifMatch?: string | undefined;
}

export interface ListQuery {
  readonly limit?: number | undefined;
  readonly nextToken?: string | undefined;
}

export interface DeliveryQuery extends ListQuery {
  readonly status?: string | undefined;
  readonly channel?: string | undefined;
  readonly since?: string | undefined;
}

export interface AdminClientOptions {
  /** Base URL of the HTTP API, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com`. */
  readonly baseUrl: string;
  readonly region: string;
  readonly credentials: SigningCredentials;
  /** @default 30_000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

type Query = Record<string, string | number | undefined>;

interface Call {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  readonly path: string;
  readonly query?: Query;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

interface Answer {
  readonly status: number;
  readonly etag: string | undefined;
  readonly json: unknown;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** `3` → `"3"`: ETags are quoted; a bare value from the command line is quoted for the user. */
export const quoteEtag = (etag: string): string =>
  etag === '*' || etag.startsWith('"') || etag.startsWith('W/') ? etag : `"${etag}"`;

const segment = (value: string): string => encodeURIComponent(value);

/** Signed calls to the Herald admin API, one method per route. */
export class AdminClient {
  private readonly baseUrl: URL;
  private readonly signer: SignatureV4;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(options: AdminClientOptions) {
    this.baseUrl = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.signer = new SignatureV4({
      service: 'execute-api',
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
    });
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** Where requests go (for messages). */
  get endpoint(): string {
    return this.baseUrl.href.replace(/\/$/, '');
  }

  // Channels

  listChannels(query: ListQuery = {}): Promise<Page<ChannelView>> {
    return this.list('/v1/channels', page(ChannelView), query);
  }

  listAllChannels(): Promise<ChannelView[]> {
    return this.all((query) => this.listChannels(query));
  }

  async getChannel(id: string): Promise<{ view: ChannelView; etag: string | undefined }> {
    const answer = await this.call({ method: 'GET', path: `/v1/channels/${segment(id)}` });
    return { view: this.parse(ChannelView, answer), etag: answer.etag };
  }

  putChannel(id: string, body: unknown, options: WriteOptions = {}): Promise<Written<ChannelView>> {
    return this.put(`/v1/channels/${segment(id)}`, ChannelView, body, options);
  }

  planChannel(id: string, body: unknown): Promise<DryRunResult> {
    return this.plan(`/v1/channels/${segment(id)}`, body);
  }

  deleteChannel(id: string, options: WriteOptions = {}): Promise<void> {
    return this.delete(`/v1/channels/${segment(id)}`, options);
  }

  /** Sends a test event to the channel now, or with `digest` a sample digest of three. */
  async testChannel(id: string, options: { readonly digest?: boolean } = {}): Promise<TestResult> {
    const answer = await this.call({
      method: 'POST',
      path: `/v1/channels/${segment(id)}/test`,
      ...(options.digest === true ? { body: { digest: true } } : {}),
    });
    return this.parse(TestResult, answer);
  }

  /** The channel's signing secret (a read the API audits). */
  async getSigningSecret(id: string): Promise<SigningSecret> {
    return this.parse(
      SigningSecret,
      await this.call({ method: 'GET', path: `/v1/channels/${segment(id)}/signing-secret` }),
    );
  }

  // Policies

  listPolicies(query: ListQuery = {}): Promise<Page<PolicyView>> {
    return this.list('/v1/policies', page(PolicyView), query);
  }

  listAllPolicies(): Promise<PolicyView[]> {
    return this.all((query) => this.listPolicies(query));
  }

  async getPolicy(id: string): Promise<{ view: PolicyView; etag: string | undefined }> {
    const answer = await this.call({ method: 'GET', path: `/v1/policies/${segment(id)}` });
    return { view: this.parse(PolicyView, answer), etag: answer.etag };
  }

  putPolicy(id: string, body: unknown, options: WriteOptions = {}): Promise<Written<PolicyView>> {
    return this.put(`/v1/policies/${segment(id)}`, PolicyView, body, options);
  }

  planPolicy(id: string, body: unknown): Promise<DryRunResult> {
    return this.plan(`/v1/policies/${segment(id)}`, body);
  }

  deletePolicy(id: string, options: WriteOptions = {}): Promise<void> {
    return this.delete(`/v1/policies/${segment(id)}`, options);
  }

  // Silences

  listSilences(query: ListQuery & { status?: string | undefined } = {}): Promise<Page<SilenceView>> {
    const { status, ...rest } = query;
    return this.list('/v1/silences', page(SilenceView), rest, { status });
  }

  listAllSilences(status?: string): Promise<SilenceView[]> {
    return this.all((query) => this.listSilences({ ...query, status }));
  }

  async getSilence(id: string): Promise<{ view: SilenceView; etag: string | undefined }> {
    const answer = await this.call({ method: 'GET', path: `/v1/silences/${segment(id)}` });
    return { view: this.parse(SilenceView, answer), etag: answer.etag };
  }

  putSilence(id: string, body: unknown, options: WriteOptions = {}): Promise<Written<SilenceView>> {
    return this.put(`/v1/silences/${segment(id)}`, SilenceView, body, options);
  }

  planSilence(id: string, body: unknown): Promise<DryRunResult> {
    return this.plan(`/v1/silences/${segment(id)}`, body);
  }

  deleteSilence(id: string, options: WriteOptions = {}): Promise<void> {
    return this.delete(`/v1/silences/${segment(id)}`, options);
  }

  // Events, deliveries, dead letters

  async getEvent(id: string): Promise<EventDetail> {
    return this.parse(EventDetail, await this.call({ method: 'GET', path: `/v1/events/${segment(id)}` }));
  }

  listDeliveries(query: DeliveryQuery = {}): Promise<Page<DeliverySummary>> {
    const { status, channel, since, ...rest } = query;
    return this.list('/v1/deliveries', page(DeliverySummary), rest, { status, channel, since });
  }

  listDeadLetters(query: DeadLetterQuery = {}): Promise<DeadLetterPage> {
    const { channel, type, since, source, ...rest } = query;
    return this.list('/v1/dead-letters', DeadLetterPage, rest, { channel, type, since, source });
  }

  async redrive(query: RedriveQuery = {}): Promise<RedriveResult> {
    const body = Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined));
    return this.parse(
      RedriveResult,
      await this.call({ method: 'POST', path: '/v1/dead-letters/redrive', body }),
    );
  }

  async getRedrive(id: string): Promise<RedriveResult> {
    return this.parse(
      RedriveResult,
      await this.call({ method: 'GET', path: `/v1/dead-letters/redrives/${segment(id)}` }),
    );
  }

  // API keys

  /** Creates an ingest key, optionally scoped (attribute → allowed values or globs). */
  async createKey(name: string, scope?: Readonly<Record<string, string[]>>): Promise<CreatedKey> {
    const body = scope === undefined ? { name } : { name, scope };
    return this.parse(CreatedKey, await this.call({ method: 'POST', path: '/v1/api-keys', body }));
  }

  async listKeys(): Promise<KeySummary[]> {
    return this.all((query) => this.list('/v1/api-keys', page(KeySummary), query));
  }

  async revokeKey(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/v1/api-keys/${segment(id)}` });
  }

  // Audit log

  listAudit(query: AuditQuery = {}): Promise<Page<AuditEntry>> {
    const { since, ...rest } = query;
    return this.list('/v1/audit', page(AuditEntry), rest, { since });
  }

  // Ingest over IAM

  /** Sends one event, or `{events: [...]}`, to `POST /v1/iam/events`. */
  async sendEvents(body: unknown): Promise<SendResult> {
    return this.parse(SendResult, await this.call({ method: 'POST', path: '/v1/iam/events', body }));
  }

  // Plumbing

  private async list<P extends Page<unknown>>(
    path: string,
    schema: z.ZodType<P>,
    query: ListQuery,
    extra: Query = {},
  ): Promise<P> {
    const answer = await this.call({
      method: 'GET',
      path,
      query: { ...extra, limit: query.limit, nextToken: query.nextToken },
    });
    return this.parse(schema, answer);
  }

  /** Follows `nextToken` until the last page. */
  private async all<T>(fetchPage: (query: ListQuery) => Promise<Page<T>>): Promise<T[]> {
    const items: T[] = [];
    let nextToken: string | undefined;
    do {
      const result = await fetchPage({ nextToken });
      items.push(...result.items);
      nextToken = result.nextToken ?? undefined;
    } while (nextToken !== undefined && nextToken !== '');
    return items;
  }

  private async put<V>(
    path: string,
    schema: z.ZodType<V>,
    body: unknown,
    options: WriteOptions,
  ): Promise<Written<V>> {
    const answer = await this.call({ method: 'PUT', path, body, headers: ifMatchHeader(options) });
    return { created: answer.status === 201, view: this.parse(schema, answer), etag: answer.etag };
  }

  private async plan(path: string, body: unknown): Promise<DryRunResult> {
    return this.parse(
      DryRunResult,
      await this.call({ method: 'PUT', path, query: { dryRun: 'true' }, body }),
    );
  }

  private async delete(path: string, options: WriteOptions): Promise<void> {
    await this.call({ method: 'DELETE', path, headers: ifMatchHeader(options) });
  }

  private parse<T>(schema: z.ZodType<T>, answer: Answer): T {
    const result = schema.safeParse(answer.json);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const where =
      issue === undefined ? '' : ` (${issue.path.map(String).join('.') || 'body'}: ${issue.message})`;
    throw new HeraldApiError(
      answer.status,
      'unexpected_response',
      `the API answered ${answer.status} with a body the CLI does not understand${where}`,
    );
  }

  /** Signs a request; missing credentials become an error that says what to do. */
  private async sign(request: RequestToSign): Promise<Record<string, string>> {
    try {
      return await sigV4Headers(this.signer, request);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new HeraldApiError(
        0,
        'no_credentials',
        `cannot sign the request (${reason}): configure AWS credentials (AWS_PROFILE, aws configure, SSO) or use --local`,
        [],
        { cause },
      );
    }
  }

  private async call(call: Call): Promise<Answer> {
    const url = new URL(call.path.replace(/^\//, ''), this.baseUrl);
    for (const [key, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...call.headers,
    };
    const sendHeaders = await this.sign({
      method: call.method,
      url,
      headers,
      ...(body === undefined ? {} : { body }),
    });

    let response: Response;
    try {
      response = await this.fetch(url, {
        method: call.method,
        headers: sendHeaders,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      const reason =
        cause instanceof Error && cause.name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs / 1000} s`
          : describeNetworkError(cause);
      throw new HeraldApiError(0, 'unreachable', `cannot reach ${url.origin}: ${reason}`, [], { cause });
    }
    const text = await response.text();
    const json = parseJson(text);
    if (!response.ok) throw toApiError(response.status, json, text, `${call.method} ${url.pathname}`);
    return { status: response.status, etag: response.headers.get('etag') ?? undefined, json };
  }
}

const ifMatchHeader = (options: WriteOptions): Record<string, string> =>
  options.ifMatch === undefined ? {} : { 'if-match': quoteEtag(options.ifMatch) };

const parseJson = (text: string): unknown => {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const describeNetworkError = (cause: unknown): string => {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause;
  if (inner instanceof Error) {
    const code = 'code' in inner && typeof inner.code === 'string' ? `${inner.code} ` : '';
    return `${code}${inner.message}`.trim();
  }
  return cause.message;
};

const STATUS_CODES: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  500: 'internal_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
};

/** Maps an error response (Herald's `{error, message, details}` or anything else) to an error. */
export const toApiError = (status: number, json: unknown, text: string, what: string): HeraldApiError => {
  const body = ErrorBody.safeParse(json);
  if (body.success) {
    const details = (body.data.details ?? []).map((detail) => ({
      path: detail.path,
      message: detail.message,
      ...(detail.index === undefined ? {} : { index: detail.index }),
    }));
    return new HeraldApiError(status, body.data.error, body.data.message ?? body.data.error, details);
  }
  // Not Herald's shape: API Gateway's own errors (`{"message": "Forbidden"}`) or a proxy's page.
  const gatewayMessage =
    typeof json === 'object' && json !== null && 'message' in json && typeof json.message === 'string'
      ? json.message
      : text.trim().split('\n')[0]?.slice(0, 200);
  return new HeraldApiError(
    status,
    STATUS_CODES[status] ?? `http_${status}`,
    gatewayMessage ? `${what}: ${gatewayMessage}` : `${what} failed`,
  );
};
