import type { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  type AuditDb,
  type AuditEntry,
  AuditRepository,
  auditItem,
  auditPageKey,
  auditQuery,
  auditSortKey,
} from '#shared/aws/audit-repository.ts';
import { decodePageToken, encodePageToken } from '#shared/aws/page-token.ts';
import { HttpError } from '#shared/domain/errors.ts';

const ID = '01JDQ6Z3M4N5P6Q7R8S9T0V1W2';

const entry = (overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  id: ID,
  at: '2026-11-23T09:00:00.000Z',
  principal: { arn: 'arn:aws:iam::123456789012:user/alice' },
  route: 'PUT /v1/channels/{id}',
  resourceId: 'ops',
  status: 200,
  fields: ['config.url'],
  ...overrides,
});

/** A DynamoDB stand-in that answers queries from a list of pages and keeps what it was sent. */
const fakeDb = (
  pages: { Items: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }[],
) => {
  const sent: (PutCommand | QueryCommand)[] = [];
  const db = {
    send: async (command: PutCommand | QueryCommand) => {
      sent.push(command);
      return pages.shift() ?? { Items: [] };
    },
  } as AuditDb;
  return { db, sent };
};

const itemOf = (value: AuditEntry) => ({ pk: 'audit', sk: auditSortKey(value), ...value, expiresAt: 1 });

describe('audit keys', () => {
  it('sorts entries by time, then id, in one partition', () => {
    expect(auditSortKey(entry())).toBe(`2026-11-23T09:00:00.000Z#${ID}`);
    expect(auditSortKey(entry({ at: '2026-11-23T09:00:01.000Z' })) > auditSortKey(entry())).toBe(true);
  });

  it('stores an entry under pk audit with a TTL counted from the request, not from the write', () => {
    // Act
    const input = auditItem('state', entry(), 30 * 86_400);

    // Assess
    expect(input).toEqual({
      TableName: 'state',
      Item: {
        pk: 'audit',
        sk: `2026-11-23T09:00:00.000Z#${ID}`,
        ...entry(),
        expiresAt: Date.parse('2026-11-23T09:00:00.000Z') / 1000 + 30 * 86_400,
      },
    });
  });

  it('queries newest first, with since as a key condition', () => {
    expect(auditQuery('state', { limit: 10 }, 10)).toEqual({
      TableName: 'state',
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'audit' },
      ScanIndexForward: false,
      Limit: 10,
    });
    const startKey = { pk: 'audit', sk: `2026-11-23T09:00:00.000Z#${ID}` };
    expect(auditQuery('state', { limit: 10, since: '2026-11-23T08:00:00.000Z', startKey }, 4)).toMatchObject({
      KeyConditionExpression: 'pk = :pk AND sk >= :since',
      ExpressionAttributeValues: { ':pk': 'audit', ':since': '2026-11-23T08:00:00.000Z' },
      ScanIndexForward: false,
      Limit: 4,
      ExclusiveStartKey: startKey,
    });
  });
});

describe('audit page tokens', () => {
  const key = { pk: 'audit', sk: `2026-11-23T09:00:00.000Z#${ID}` };

  it('round-trips the key an audit page ends on', () => {
    expect(decodePageToken(encodePageToken(key), auditPageKey())).toEqual(key);
    expect(decodePageToken(encodePageToken(key), auditPageKey('2026-11-23T08:00:00.000Z'))).toEqual(key);
  });

  it("refuses another list's token, a tampered key, and a token from before since with a 400", () => {
    const deliveries = { pk: 'delivery#msg_1', sk: 'delivery', gsi1pk: 'delivery', gsi1sk: 'x' };
    for (const token of [
      encodePageToken(deliveries),
      encodePageToken({ pk: 'audit', sk: 'not-a-time' }),
      encodePageToken({ ...key, extra: 1 }),
      'not base64 json',
    ]) {
      expect(() => decodePageToken(token, auditPageKey())).toThrow(HttpError);
    }
    // A start key outside the key condition would be a DynamoDB error (500): it is a 400 instead.
    expect(() => decodePageToken(encodePageToken(key), auditPageKey('2026-11-23T10:00:00.000Z'))).toThrow(
      HttpError,
    );
  });
});

describe('AuditRepository', () => {
  it('reads on until the page is full, and returns the key to continue from', async () => {
    // Prepare: DynamoDB stops early (1 MB) after two items, then gives two more.
    const first = entry({ id: '01JDQ6Z3M4N5P6Q7R8S9T0V1W3' });
    const second = entry({ id: '01JDQ6Z3M4N5P6Q7R8S9T0V1W4' });
    const third = entry({ id: '01JDQ6Z3M4N5P6Q7R8S9T0V1W5' });
    const fourth = entry({ id: '01JDQ6Z3M4N5P6Q7R8S9T0V1W6' });
    const { db, sent } = fakeDb([
      { Items: [itemOf(first), itemOf(second)], LastEvaluatedKey: { pk: 'audit', sk: auditSortKey(second) } },
      { Items: [itemOf(third), itemOf(fourth)], LastEvaluatedKey: { pk: 'audit', sk: auditSortKey(fourth) } },
    ]);

    // Act
    const page = await new AuditRepository(db, 'state', 60).list({ limit: 4 });

    // Assess
    expect(page.items).toEqual([first, second, third, fourth]);
    expect(page.lastKey).toEqual({ pk: 'audit', sk: auditSortKey(fourth) });
    expect(sent.map((command) => command.input)).toMatchObject([
      { Limit: 4 },
      { Limit: 2, ExclusiveStartKey: { pk: 'audit', sk: auditSortKey(second) } },
    ]);
  });

  it('returns entries without the table keys, and no key after the last page', async () => {
    // Prepare
    const { db } = fakeDb([{ Items: [itemOf(entry())] }]);

    // Act
    const page = await new AuditRepository(db, 'state', 60).list({ limit: 50 });

    // Assess
    expect(page).toEqual({ items: [entry()] });
  });

  it('writes an entry and its outcome under the same key', async () => {
    // Prepare
    const { db, sent } = fakeDb([]);
    const repository = new AuditRepository(db, 'state', 60);

    // Act
    await repository.put(entry({ status: null, fields: [] }));
    await repository.put(entry());

    // Assess
    const [pending, outcome] = sent.map((command) => (command as PutCommand).input.Item);
    expect(pending).toMatchObject({ sk: auditSortKey(entry()), status: null });
    expect(outcome).toMatchObject({ sk: auditSortKey(entry()), status: 200, fields: ['config.url'] });
  });
});
