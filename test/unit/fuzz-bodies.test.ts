/**
 * Any JSON a client can send to ingest or to the admin API gets a 2xx or a 4xx with a field path,
 * never a crash (a 5xx), and a refused ingest request queues nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PolicyAdmin } from '#shared/admin/policies.ts';
import type { AdminRequest } from '#shared/admin/request.ts';
import { HttpError } from '#shared/domain/errors.ts';
import type { PolicyRecord } from '#shared/domain/policy.ts';
import { acceptEvents, parseIngestRequest } from '#shared/ingest/ingest.ts';
import { adminWithFakes, putRequest } from './support.ts';

/** JSON values, biased towards the shapes the routes expect so that deep branches are reached. */
const envelopeLike = fc.record(
  {
    id: fc.oneof(fc.string(), fc.jsonValue()),
    type: fc.oneof(fc.constantFrom('deploy.finished', 'a', ''), fc.string(), fc.jsonValue()),
    source: fc.oneof(fc.constantFrom('ci', 'herald', ''), fc.string(), fc.jsonValue()),
    severity: fc.oneof(fc.constantFrom('info', 'critical', 'loud'), fc.jsonValue()),
    subject: fc.oneof(fc.string(), fc.jsonValue()),
    time: fc.oneof(fc.constantFrom('2026-11-25T10:00:00Z', 'yesterday'), fc.jsonValue()),
    attributes: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.jsonValue()),
    data: fc.jsonValue(),
  },
  { requiredKeys: [] },
);
const anyBody = fc.oneof(
  fc.jsonValue(),
  envelopeLike,
  fc.record({ events: fc.array(envelopeLike, { maxLength: 3 }) }),
);

const expectClientError = (error: unknown): void => {
  expect(error).toBeInstanceOf(HttpError);
  const { status, details } = error as HttpError;
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
  if (status === 400 && details !== undefined) {
    for (const detail of details) expect(typeof detail.path).toBe('string');
  }
};

describe('any request body', () => {
  it('ingest: accepted and queued, or a 4xx and nothing queued', async () => {
    await fc.assert(
      fc.asyncProperty(anyBody, async (body) => {
        const queued: string[] = [];
        try {
          const inputs = parseIngestRequest({ contentType: 'application/json', body: JSON.stringify(body) });
          const accepted = await acceptEvents(
            inputs,
            {
              claimEvent: async () => ({
                created: true,
                status: 'accepted',
                acceptedAt: new Date().toISOString(),
              }),
              releaseEvent: async () => undefined,
              enqueue: async (entries) => {
                queued.push(...entries.map((entry) => entry.key));
                return [];
              },
            },
            new Date(),
            () => 'generated',
          );
          expect(queued).toHaveLength(new Set(accepted.map((event) => event.id)).size);
        } catch (error) {
          expectClientError(error);
          expect(queued).toEqual([]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('admin: a channel PUT answers 2xx or a 4xx with paths, whatever the body', async () => {
    const channelLike = fc.record(
      {
        type: fc.oneof(
          fc.constantFrom('webhook', 'slack', 'email', 'sns', 'pagerduty', 'nope'),
          fc.jsonValue(),
        ),
        enabled: fc.oneof(fc.boolean(), fc.jsonValue()),
        config: fc.oneof(
          fc.record(
            {
              url: fc.oneof(
                fc.constantFrom('https://hooks.example.com/x', 'http://x', 'not a url'),
                fc.jsonValue(),
              ),
              webhookUrl: fc.oneof(fc.constant('https://hooks.slack.com/services/T/B/x'), fc.jsonValue()),
              headers: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.jsonValue()),
              signingSecret: fc.oneof(fc.constant({ secretRef: 'x', key: 'y' }), fc.jsonValue()),
            },
            { requiredKeys: [] },
          ),
          fc.jsonValue(),
        ),
        retry: fc.oneof(fc.record({ maxAttempts: fc.integer(), backoff: fc.jsonValue() }), fc.jsonValue()),
        rateLimit: fc.oneof(fc.record({ perSecond: fc.double() }), fc.jsonValue()),
        template: fc.oneof(fc.record({ body: fc.string(), subject: fc.string() }), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), channelLike), async (body) => {
        const { admin } = adminWithFakes();
        try {
          const result = await admin.put(putRequest('fuzz', body), false, new Date());
          expect(result.kind).not.toBe('planned');
        } catch (error) {
          expectClientError(error);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('admin: a policy PUT answers 2xx or a 4xx with paths, whatever the body', async () => {
    const records = new Map<string, PolicyRecord>();
    const policies = new PolicyAdmin({
      page: async () => ({ items: [] }),
      getPolicy: async (id: string) => records.get(id),
      getChannel: async () => undefined,
      putVersioned: async (_kind, record) => {
        records.set(record.id, record as PolicyRecord);
      },
      deleteVersioned: async () => undefined,
      bumpGeneration: async () => 1,
    } as ConstructorParameters<typeof PolicyAdmin>[0]);
    const policyLike = fc.record(
      {
        events: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
        match: fc.oneof(
          fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.array(fc.string()))),
          fc.jsonValue(),
        ),
        channels: fc.oneof(fc.array(fc.constantFrom('ops', 'Bad Id', '')), fc.jsonValue()),
        minSeverity: fc.oneof(fc.constantFrom('info', 'error', 'loud'), fc.jsonValue()),
        dedupWindow: fc.oneof(fc.constantFrom('2h', '-1', 'forever'), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), policyLike), async (body) => {
        const request: AdminRequest = { ...putRequest('fuzz', body), routeKey: 'PUT /v1/policies/{id}' };
        try {
          await policies.put(request, false, new Date());
        } catch (error) {
          expectClientError(error);
        }
      }),
      { numRuns: 300 },
    );
  });
});
