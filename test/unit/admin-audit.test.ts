import { describe, expect, it } from 'vitest';
import type { ActivityAdmin } from '#shared/admin/activity.ts';
import { adminRoutes, dispatch } from '#shared/admin/api.ts';
import type { ApiKeyAdmin } from '#shared/admin/api-keys.ts';
import { AuditLog, isAudited, principalOf, UNKNOWN_PRINCIPAL } from '#shared/admin/audit.ts';
import type { DeadLetterAdmin } from '#shared/admin/dead-letters.ts';
import { PolicyAdmin } from '#shared/admin/policies.ts';
import type { AdminRequest, AdminResponse } from '#shared/admin/request.ts';
import { SilenceAdmin } from '#shared/admin/silences.ts';
import { type AuditEntry, type AuditRepository, auditSortKey } from '#shared/aws/audit-repository.ts';
import { HttpError, ValidationError } from '#shared/domain/errors.ts';
import type { PolicyRecord } from '#shared/domain/policy.ts';
import type { LogAttributes } from '#shared/runtime/log.ts';
import { adminWithFakes } from './support.ts';

const NOW = new Date('2026-11-23T09:00:00Z');
const ALICE = {
  arn: 'arn:aws:sts::123456789012:assumed-role/Admin/alice',
  userId: 'AROAEXAMPLE:alice',
  accountId: '123456789012',
  callerId: 'AROAEXAMPLE:alice',
};

/** An in-memory audit table: entries by sort key, so an outcome replaces its pending entry. */
const memoryAudit = () => {
  const items = new Map<string, AuditEntry>();
  const repository: Pick<AuditRepository, 'put' | 'list'> = {
    put: async (entry) => {
      items.set(auditSortKey(entry), structuredClone(entry));
    },
    list: async ({ since, limit, startKey }) => {
      const keys = [...items.keys()]
        .sort()
        .reverse()
        .filter((key) => since === undefined || key >= since)
        .filter((key) => startKey === undefined || key < String(startKey.sk));
      const page = keys.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((key) => items.get(key) as AuditEntry),
        ...(keys.length > limit && last !== undefined ? { lastKey: { pk: 'audit', sk: last } } : {}),
      };
    },
  };
  /** Entries newest first. */
  const entries = () => [...items.entries()].sort(([a], [b]) => (a < b ? 1 : -1)).map(([, entry]) => entry);
  return { repository, entries };
};

const recordingErrors = () => {
  const lines: { message: string; attributes: LogAttributes }[] = [];
  return {
    lines,
    log: { error: (message: string, attributes: LogAttributes) => lines.push({ message, attributes }) },
  };
};

let sequence = 0;
/** ULID-shaped ids that sort in the order they were made. */
const nextId = () => `01JDQ6Z3M4N5P6Q7R8S9T${String(sequence++).padStart(5, '0')}`;

const request = (
  routeKey: string,
  options: {
    id?: string;
    body?: unknown;
    query?: Record<string, string>;
    headers?: Record<string, string>;
  } = {},
): AdminRequest => ({
  method: routeKey.split(' ')[0] ?? 'GET',
  routeKey,
  pathParameters: options.id === undefined ? {} : { id: options.id },
  query: options.query ?? {},
  headers: options.headers ?? {},
  body: options.body === undefined ? undefined : JSON.stringify(options.body),
});

/** An in-memory policy store behind a real PolicyAdmin. */
const policyAdmin = () => {
  const policies = new Map<string, PolicyRecord>();
  return new PolicyAdmin({
    page: async () => ({ items: [] }),
    getPolicy: async (id) => policies.get(id),
    getChannel: async () => undefined,
    putVersioned: async (_kind, record) => {
      policies.set(record.id, record as PolicyRecord);
    },
    deleteVersioned: async (_kind, id) => {
      policies.delete(id);
    },
    bumpGeneration: async () => 1,
  });
};

/** An in-memory silence store behind a real SilenceAdmin. */
const silenceAdmin = () => {
  const silences = new Map<string, Record<string, unknown>>();
  return new SilenceAdmin({
    page: async () => ({ items: [] }),
    getItem: async (_kind, id) => silences.get(id),
    putVersioned: async (_kind, record) => {
      silences.set(record.id, record);
    },
    deleteVersioned: async (_kind, id) => {
      silences.delete(id);
    },
    bumpGeneration: async () => 1,
  });
};

/** The whole admin route table over in-memory stores, recorded by a real AuditLog, as the handler runs it. */
const auditedApi = () => {
  const { admin: channels, secrets } = adminWithFakes();
  const audit = memoryAudit();
  const errors = recordingErrors();
  const auditLog = new AuditLog({ repository: audit.repository, log: errors.log, newId: nextId });
  const routes = adminRoutes({
    channels,
    policies: policyAdmin(),
    apiKeys: {
      create: async () => ({
        id: 'key_01jdq',
        name: 'ci',
        key: 'hk_THE-KEY-ITSELF-never-audited',
        createdAt: NOW.toISOString(),
      }),
    } as unknown as ApiKeyAdmin,
    activity: {} as ActivityAdmin,
    deadLetters: {
      redrive: async () => ({
        status: 202,
        body: { id: 'rdr_01jdq', status: 'running', redriven: 0, skipped: 0 },
      }),
    } as unknown as DeadLetterAdmin,
    silences: silenceAdmin(),
    audit: auditLog,
  });
  let clock = NOW.getTime();
  const call = async (adminRequest: AdminRequest): Promise<AdminResponse> => {
    // A millisecond apart, as requests are: entries sort by time first.
    clock += 1;
    const now = new Date(clock);
    return auditLog
      .record(adminRequest, ALICE, now, () => dispatch(routes, adminRequest, now))
      .catch((error: unknown) => ({ status: error instanceof HttpError ? error.status : 500, body: error }));
  };
  return { call, entries: audit.entries, errors: errors.lines, secrets, auditLog };
};

const SIGNING = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const URL_TOKEN = 'tok-3f9a1c';
const HEADER = 'Bearer receiver-credential-77';
const webhook = (path: string, extra: Record<string, unknown> = {}) => ({
  type: 'webhook',
  config: {
    url: `https://hooks.example.com/${path}?token=${URL_TOKEN}`,
    headers: { authorization: HEADER },
    signingSecret: SIGNING,
  },
  ...extra,
});

describe('principalOf', () => {
  it("takes the caller's ARN, user id, account and caller id from the IAM authorizer, never the access key", () => {
    const context = {
      http: { method: 'PUT' },
      authorizer: {
        iam: {
          accessKey: 'ASIAEXAMPLEKEY',
          accountId: ALICE.accountId,
          callerId: ALICE.callerId,
          cognitoIdentity: null,
          principalOrgId: 'o-example',
          userArn: ALICE.arn,
          userId: ALICE.userId,
        },
      },
    };
    expect(principalOf(context)).toEqual(ALICE);
    expect(JSON.stringify(principalOf(context))).not.toContain('ASIAEXAMPLEKEY');
  });

  it('falls back to unknown without an IAM identity, keeping what parts there are', () => {
    expect(principalOf({ http: { method: 'PUT' } })).toEqual({ arn: UNKNOWN_PRINCIPAL });
    expect(principalOf(undefined)).toEqual({ arn: UNKNOWN_PRINCIPAL });
    expect(principalOf({ authorizer: { lambda: { keyId: 'key_1' } } })).toEqual({ arn: UNKNOWN_PRINCIPAL });
    expect(principalOf({ authorizer: { iam: { userArn: '', accountId: 7, userId: 'AIDA1' } } })).toEqual({
      arn: UNKNOWN_PRINCIPAL,
      userId: 'AIDA1',
    });
  });
});

describe('isAudited', () => {
  it('audits writes and the signing-secret read; not other reads, dry runs, or routes the API lacks', () => {
    for (const routeKey of [
      'PUT /v1/channels/{id}',
      'DELETE /v1/channels/{id}',
      'POST /v1/channels/{id}/test',
      'PUT /v1/policies/{id}',
      'DELETE /v1/policies/{id}',
      'PUT /v1/silences/{id}',
      'DELETE /v1/silences/{id}',
      'POST /v1/api-keys',
      'DELETE /v1/api-keys/{id}',
      'POST /v1/dead-letters/redrive',
      'GET /v1/channels/{id}/signing-secret',
    ]) {
      expect(isAudited(request(routeKey)), routeKey).toBe(true);
    }
    for (const routeKey of [
      'GET /v1/channels/{id}',
      'GET /v1/channels',
      'GET /v1/audit',
      'GET /v1/silences',
      'POST /v1/unknown',
    ]) {
      expect(isAudited(request(routeKey)), routeKey).toBe(false);
    }
    expect(isAudited(request('PUT /v1/channels/{id}', { query: { dryRun: 'true' } }))).toBe(false);
  });
});

describe('AuditLog.record', () => {
  const put = request('PUT /v1/channels/{id}', { id: 'ops' });

  it('writes a pending entry before the request runs, then the outcome under the same key', async () => {
    // Prepare
    const audit = memoryAudit();
    const log = new AuditLog({ repository: audit.repository, log: recordingErrors().log, newId: nextId });
    let seenWhileRunning: AuditEntry[] = [];

    // Act
    const response = await log.record(put, ALICE, NOW, async () => {
      seenWhileRunning = audit.entries();
      return { status: 200, body: { id: 'ops' }, audit: { fields: ['enabled'] } };
    });

    // Assess
    expect(response.status).toBe(200);
    expect(seenWhileRunning).toEqual([expect.objectContaining({ status: null, fields: [] })]);
    expect(audit.entries()).toEqual([
      {
        id: expect.stringMatching(/^01/),
        at: NOW.toISOString(),
        principal: ALICE,
        route: 'PUT /v1/channels/{id}',
        resourceId: 'ops',
        status: 200,
        fields: ['enabled'],
      },
    ]);
  });

  it('refuses the request with 503, running nothing, when the entry cannot be written', async () => {
    // Prepare
    const errors = recordingErrors();
    const log = new AuditLog({
      repository: {
        put: async () => {
          throw Object.assign(new Error('Throughput exceeds the current capacity'), {
            name: 'ProvisionedThroughputExceededException',
          });
        },
        list: async () => ({ items: [] }),
      },
      log: errors.log,
    });
    let ran = false;

    // Act
    const attempt = log.record(put, ALICE, NOW, async () => {
      ran = true;
      return { status: 200 };
    });

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 503, code: 'audit_unavailable' });
    expect(ran).toBe(false);
    expect(errors.lines).toEqual([
      {
        message: 'audit entry could not be written: request refused, nothing changed',
        attributes: expect.objectContaining({
          route: 'PUT /v1/channels/{id}',
          resourceId: 'ops',
          errorName: 'ProvisionedThroughputExceededException',
        }),
      },
    ]);
  });

  it('answers anyway, logging an error, when only the outcome cannot be recorded', async () => {
    // Prepare: the first write succeeds, the second fails.
    const audit = memoryAudit();
    const errors = recordingErrors();
    let writes = 0;
    const log = new AuditLog({
      repository: {
        put: async (entry) => {
          writes += 1;
          if (writes > 1) throw new Error('network down');
          await audit.repository.put(entry);
        },
        list: audit.repository.list,
      },
      log: errors.log,
      newId: nextId,
    });

    // Act
    const response = await log.record(put, ALICE, NOW, async () => ({ status: 201, body: { id: 'ops' } }));

    // Assess
    expect(response).toEqual({ status: 201, body: { id: 'ops' } });
    expect(audit.entries()).toMatchObject([{ status: null }]);
    expect(errors.lines).toMatchObject([
      {
        message: 'audit outcome could not be recorded: the entry stays without a status',
        attributes: { status: 201, errorMessage: 'network down' },
      },
    ]);
  });

  it('records a refused write with its status and rethrows the same error', async () => {
    // Prepare
    const audit = memoryAudit();
    const log = new AuditLog({ repository: audit.repository, log: recordingErrors().log, newId: nextId });
    const refusal = new ValidationError('invalid_request', 'the request body is not valid', []);

    // Act
    const attempt = log.record(put, ALICE, NOW, async () => {
      throw refusal;
    });

    // Assess
    await expect(attempt).rejects.toBe(refusal);
    expect(audit.entries()).toMatchObject([{ status: 400, fields: [], resourceId: 'ops' }]);
  });

  it('records an unexpected failure as 500, and nothing of its message', async () => {
    // Prepare
    const audit = memoryAudit();
    const log = new AuditLog({ repository: audit.repository, log: recordingErrors().log, newId: nextId });

    // Act
    const attempt = log.record(put, ALICE, NOW, async () => {
      throw new Error('secret write failed for whsec_leaky');
    });

    // Assess
    await expect(attempt).rejects.toThrow('whsec_leaky');
    expect(audit.entries()).toMatchObject([{ status: 500, fields: [] }]);
    expect(JSON.stringify(audit.entries())).not.toContain('whsec_leaky');
  });

  it('records nothing for reads and dry runs', async () => {
    // Prepare
    const audit = memoryAudit();
    const log = new AuditLog({ repository: audit.repository, log: recordingErrors().log });

    // Act
    await log.record(request('GET /v1/channels/{id}', { id: 'ops' }), ALICE, NOW, async () => ({
      status: 200,
    }));
    await log.record(
      request('PUT /v1/channels/{id}', { id: 'ops', query: { dryRun: 'true' } }),
      ALICE,
      NOW,
      async () => ({ status: 200 }),
    );

    // Assess
    expect(audit.entries()).toEqual([]);
  });
});

describe('audit entries of admin writes', () => {
  it("names a channel create's given fields and an update's changed fields, never a value", async () => {
    // Prepare
    const api = auditedApi();

    // Act
    const created = await api.call(request('PUT /v1/channels/{id}', { id: 'ops', body: webhook('a') }));
    const updated = await api.call(
      request('PUT /v1/channels/{id}', { id: 'ops', body: webhook('b', { enabled: false }) }),
    );
    const stale = await api.call(
      request('PUT /v1/channels/{id}', { id: 'ops', body: webhook('c'), headers: { 'if-match': '"1"' } }),
    );
    const rotated = await api.call(
      request('PUT /v1/channels/{id}', {
        id: 'ops',
        body: {
          ...webhook('b', { enabled: false }),
          config: { ...webhook('b').config, signingSecret: undefined },
        },
      }),
    );

    // Assess
    expect([created.status, updated.status, stale.status, rotated.status]).toEqual([201, 200, 412, 200]);
    expect(
      api.entries().map(({ route, resourceId, status, fields }) => ({ route, resourceId, status, fields })),
    ).toEqual([
      // Leaving the signing secret out keeps it: nothing changed.
      { route: 'PUT /v1/channels/{id}', resourceId: 'ops', status: 200, fields: [] },
      { route: 'PUT /v1/channels/{id}', resourceId: 'ops', status: 412, fields: [] },
      { route: 'PUT /v1/channels/{id}', resourceId: 'ops', status: 200, fields: ['enabled', 'config.url'] },
      {
        route: 'PUT /v1/channels/{id}',
        resourceId: 'ops',
        status: 201,
        fields: ['type', 'config.url', 'config.headers', 'config.signingSecret'],
      },
    ]);
    const stored = JSON.stringify(api.entries());
    for (const secret of [SIGNING, SIGNING.slice(6), URL_TOKEN, HEADER, 'hooks.example.com']) {
      expect(stored).not.toContain(secret);
    }
  });

  it('names a secret field that changed by name only', async () => {
    // Prepare
    const api = auditedApi();
    await api.call(request('PUT /v1/channels/{id}', { id: 'ops', body: webhook('a') }));
    const next = 'whsec_QmV0dGVyU2VjcmV0VmFsdWVGb3JUZXN0cw==';

    // Act
    await api.call(
      request('PUT /v1/channels/{id}', {
        id: 'ops',
        body: { ...webhook('a'), config: { ...webhook('a').config, signingSecret: next } },
      }),
    );

    // Assess
    expect(api.entries()[0]).toMatchObject({ status: 200, fields: ['config.signingSecret'] });
    expect(JSON.stringify(api.entries())).not.toContain(next.slice(6));
  });

  it("names a policy create's given fields and an update's changed ones; a delete has none", async () => {
    // Prepare
    const api = auditedApi();
    const policy = { events: ['deploy.*'], channels: ['ops'] };

    // Act
    await api.call(request('PUT /v1/policies/{id}', { id: 'prod', body: policy }));
    await api.call(
      request('PUT /v1/policies/{id}', { id: 'prod', body: { ...policy, minSeverity: 'warning' } }),
    );
    await api.call(request('DELETE /v1/policies/{id}', { id: 'prod' }));
    await api.call(request('DELETE /v1/policies/{id}', { id: 'prod' }));

    // Assess
    expect(api.entries().map(({ route, status, fields }) => ({ route, status, fields }))).toEqual([
      { route: 'DELETE /v1/policies/{id}', status: 404, fields: [] },
      { route: 'DELETE /v1/policies/{id}', status: 204, fields: [] },
      { route: 'PUT /v1/policies/{id}', status: 200, fields: ['minSeverity'] },
      { route: 'PUT /v1/policies/{id}', status: 201, fields: ['events', 'channels'] },
    ]);
    expect(api.entries().every((entry) => entry.resourceId === 'prod')).toBe(true);
  });

  it("names a silence create's given fields and an expiry's changed end", async () => {
    // Prepare
    const api = auditedApi();
    const silence = { match: { environment: 'staging' }, endsAt: '2026-11-26T00:00:00Z' };

    // Act
    await api.call(request('PUT /v1/silences/{id}', { id: 'load-test', body: silence }));
    await api.call(
      request('PUT /v1/silences/{id}', {
        id: 'load-test',
        body: { ...silence, endsAt: new Date(NOW.getTime() + 5).toISOString() },
      }),
    );
    const invalid = await api.call(
      request('PUT /v1/silences/{id}', { id: 'bad', body: { match: { environment: 'staging' } } }),
    );

    // Assess
    expect(api.entries().map(({ route, status, fields }) => ({ route, status, fields }))).toEqual([
      { route: 'PUT /v1/silences/{id}', status: 400, fields: [] },
      { route: 'PUT /v1/silences/{id}', status: 200, fields: ['endsAt'] },
      { route: 'PUT /v1/silences/{id}', status: 201, fields: ['match', 'endsAt'] },
    ]);
    expect(invalid).toMatchObject({ status: 400 });
  });

  it('records a new API key by its id, never the key, and a redrive by its id', async () => {
    // Prepare
    const api = auditedApi();

    // Act
    const key = await api.call(request('POST /v1/api-keys', { body: { name: 'ci' } }));
    await api.call(request('POST /v1/dead-letters/redrive', { body: { channel: 'ops' } }));

    // Assess
    expect(key).toMatchObject({ status: 201, body: { key: 'hk_THE-KEY-ITSELF-never-audited' } });
    expect(api.entries()).toMatchObject([
      { route: 'POST /v1/dead-letters/redrive', resourceId: 'rdr_01jdq', status: 202, fields: ['channel'] },
      { route: 'POST /v1/api-keys', resourceId: 'key_01jdq', status: 201, fields: ['name'] },
    ]);
    expect(JSON.stringify(api.entries())).not.toContain('hk_');
  });

  it('records the signing-secret read with no fields and no value, and keeps audit notes out of bodies', async () => {
    // Prepare
    const api = auditedApi();
    await api.call(request('PUT /v1/channels/{id}', { id: 'ops', body: webhook('a') }));

    // Act
    const read = await api.call(request('GET /v1/channels/{id}/signing-secret', { id: 'ops' }));
    const view = await api.call(request('GET /v1/channels/{id}', { id: 'ops' }));

    // Assess
    expect(read.body).toEqual({ signingSecret: SIGNING });
    expect(api.entries()[0]).toEqual({
      id: expect.any(String),
      at: expect.any(String),
      principal: ALICE,
      route: 'GET /v1/channels/{id}/signing-secret',
      resourceId: 'ops',
      status: 200,
      fields: [],
    });
    expect(api.entries()).toHaveLength(2);
    expect(JSON.stringify(api.entries())).not.toContain(SIGNING.slice(6));
    expect(JSON.stringify(view.body)).not.toContain('fields');
  });
});

describe('GET /v1/audit', () => {
  it('lists entries newest first in full pages, since a time, with a token for the next page', async () => {
    // Prepare
    const api = auditedApi();
    for (const id of ['a', 'b', 'c']) await api.call(request('DELETE /v1/policies/{id}', { id }));

    // Act
    const first = await api.call(request('GET /v1/audit', { query: { limit: '2' } }));
    const { nextToken } = first.body as { nextToken: string };
    const second = await api.call(request('GET /v1/audit', { query: { limit: '2', nextToken } }));
    const since = await api.call(
      request('GET /v1/audit', { query: { since: new Date(NOW.getTime() + 2).toISOString() } }),
    );

    // Assess
    const ids = (response: AdminResponse) =>
      (response.body as { items: AuditEntry[] }).items.map((entry) => entry.resourceId);
    expect(ids(first)).toEqual(['c', 'b']);
    expect(ids(second)).toEqual(['a']);
    expect(second.body).not.toHaveProperty('nextToken');
    expect(ids(since)).toEqual(['c', 'b']);
  });

  it('refuses a since that is not RFC 3339, and an unknown parameter', async () => {
    const api = auditedApi();
    const yesterday = await api.call(request('GET /v1/audit', { query: { since: 'yesterday' } }));
    const other = await api.call(request('GET /v1/audit', { query: { route: 'x' } }));
    expect(yesterday).toMatchObject({ status: 400, body: { details: [{ path: 'since' }] } });
    expect(other.status).toBe(400);
  });
});
