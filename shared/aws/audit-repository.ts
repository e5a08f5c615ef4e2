/**
 * The audit log in the state table (SPEC §6 `GET /v1/audit`): one partition, `pk = audit`, sorted by
 * `sk = <ISO time>#<ULID>`, so "newest first" and "since" are a key condition and every page is full.
 * Entries expire with the state table's TTL (`expiresAt`, epoch seconds). Admin writes are rare, so one
 * partition stays far below DynamoDB's per-partition write limit.
 */
import {
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { lazySchema } from '../runtime/lazy-schema.ts';
import { AUDIT_PARTITION } from './partitions.ts';

export { AUDIT_PARTITION };

/** Who made a request, as API Gateway's IAM authorizer reported it. */
export const AuditPrincipal = lazySchema(() =>
  z.object({
    /** The caller's IAM ARN (`userArn`), or `unknown` when the request carried no IAM identity. */
    arn: z.string(),
    userId: z.string().optional(),
    accountId: z.string().optional(),
    callerId: z.string().optional(),
  }),
);
export type AuditPrincipal = z.infer<typeof AuditPrincipal>;

/** One audited request. Field names only: an entry never holds a value the request carried. */
export const AuditEntry = lazySchema(() =>
  z.object({
    /** A ULID: unique, and sortable by time. */
    id: z.string(),
    /** When the request arrived (ISO 8601, milliseconds). */
    at: z.string(),
    principal: AuditPrincipal,
    /** The route key, e.g. `PUT /v1/channels/{id}`. */
    route: z.string(),
    /** The path `id`, the created API key, or the redrive; null when there is none. */
    resourceId: z.string().nullable(),
    /** The answer's HTTP status; null while the request runs, or when its outcome could not be recorded. */
    status: z.number().int().nullable(),
    /** Names of the fields the request changed (for a create, those given), never their values. */
    fields: z.array(z.string()),
  }),
);
export type AuditEntry = z.infer<typeof AuditEntry>;

/** `<ISO time with milliseconds>#<ULID>`: what `Date.prototype.toISOString` and `ulid()` write. */
const SORT_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9A-HJKMNP-TV-Z]{26}$/;

/** An entry's sort key: time first, so the partition reads in time order. */
export const auditSortKey = (entry: Pick<AuditEntry, 'at' | 'id'>): string => `${entry.at}#${entry.id}`;

/**
 * The shape of a key an audit page ends on (see `decodePageToken`): a token from another list, or from
 * before `since` (outside the range the next query reads), is refused as a 400.
 */
export const auditPageKey = (since?: string): z.ZodType<{ pk: 'audit'; sk: string }> =>
  z.strictObject({
    pk: z.literal(AUDIT_PARTITION),
    sk: z
      .string()
      .regex(SORT_KEY)
      .refine((sk) => since === undefined || sk >= since, 'the token is from before since'),
  });

/** One page of the audit log, newest first. */
export interface AuditQuery {
  /** Entries at or after this ISO time (as `toISOString` writes it). */
  readonly since?: string;
  readonly limit: number;
  readonly startKey?: Record<string, unknown>;
}

const epochSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

/** The item an entry is stored as; it expires `retentionSeconds` after the request. */
export const auditItem = (
  tableName: string,
  entry: AuditEntry,
  retentionSeconds: number,
): PutCommandInput => ({
  TableName: tableName,
  Item: {
    pk: AUDIT_PARTITION,
    sk: auditSortKey(entry),
    ...entry,
    expiresAt: epochSeconds(entry.at) + retentionSeconds,
  },
});

/** The query for one page: the partition, newest first, `since` as a key condition. */
export const auditQuery = (tableName: string, query: AuditQuery, limit: number): QueryCommandInput => ({
  TableName: tableName,
  KeyConditionExpression: `pk = :pk${query.since === undefined ? '' : ' AND sk >= :since'}`,
  ExpressionAttributeValues: {
    ':pk': AUDIT_PARTITION,
    ...(query.since === undefined ? {} : { ':since': query.since }),
  },
  ScanIndexForward: false,
  Limit: limit,
  ...(query.startKey === undefined ? {} : { ExclusiveStartKey: query.startKey }),
});

/** What the repository needs of the DynamoDB document client. */
export interface AuditDb {
  send(command: PutCommand): Promise<unknown>;
  send(command: QueryCommand): Promise<{
    Items?: Record<string, unknown>[];
    LastEvaluatedKey?: Record<string, unknown>;
  }>;
}

/** Audit entries in the state table (`pk`, `sk`, TTL on `expiresAt`). */
export class AuditRepository {
  constructor(
    private readonly db: AuditDb,
    private readonly tableName: string,
    private readonly retentionSeconds: number,
  ) {}

  /** Writes an entry, or replaces the one with the same time and id (to record the outcome). */
  async put(entry: AuditEntry): Promise<void> {
    await this.db.send(new PutCommand(auditItem(this.tableName, entry, this.retentionSeconds)));
  }

  /** Entries newest first, reading on until the page is full or the partition ends. */
  async list(query: AuditQuery): Promise<{ items: AuditEntry[]; lastKey?: Record<string, unknown> }> {
    const items: AuditEntry[] = [];
    let startKey = query.startKey;
    do {
      const result = await this.db.send(
        new QueryCommand(auditQuery(this.tableName, { ...query, startKey }, query.limit - items.length)),
      );
      items.push(...(result.Items ?? []).map((item) => AuditEntry.parse(item)));
      startKey = result.LastEvaluatedKey;
    } while (startKey !== undefined && items.length < query.limit);
    return startKey === undefined ? { items } : { items, lastKey: startKey };
  }
}
