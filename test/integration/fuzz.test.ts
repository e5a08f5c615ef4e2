/**
 * Property tests through the deployed HTTP API: any JSON body to ingest and to a channel PUT gets a
 * 2xx or a 4xx (with field paths on a 400), never a 5xx; an ingest request refused with a 4xx leaves
 * its event unrecorded.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admin, postEvents, unique } from './support.ts';

/** Envelope-shaped bodies, each with a fresh id so that a refused one can be looked up. */
const envelopeLike = () =>
  fc.record(
    {
      id: fc.uuid().map((uuid) => `fuzz-${uuid}`),
      type: fc.oneof(fc.constantFrom('fuzz.event', 'a', ''), fc.string(), fc.jsonValue()),
      source: fc.oneof(fc.constantFrom('tests', 'herald', ''), fc.jsonValue()),
      severity: fc.oneof(fc.constantFrom('info', 'critical', 'loud'), fc.jsonValue()),
      attributes: fc.oneof(
        fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })),
        fc.jsonValue(),
      ),
      data: fc.jsonValue({ maxDepth: 4 }),
    },
    { requiredKeys: ['id'] },
  );

const checkAnswer = (status: number, json: unknown): void => {
  expect(status, JSON.stringify(json)).toBeLessThan(500);
  if (status === 400) {
    const details = (json as { details?: { path?: unknown }[] }).details ?? [];
    for (const detail of details) expect(typeof detail.path).toBe('string');
  }
};

describe('any body through the deployed API', () => {
  it('ingest: 202, or a 4xx with paths and the event left unrecorded', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(envelopeLike(), fc.jsonValue({ maxDepth: 4 })), async (body) => {
        const response = await postEvents(body);
        checkAnswer(response.status, response.json);
        const id = (body as { id?: unknown } | null)?.id;
        if (response.status >= 400 && typeof id === 'string') {
          expect((await admin('GET', `/v1/events/${encodeURIComponent(id)}`)).status).toBe(404);
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it('admin: a channel PUT answers 2xx or a 4xx with paths', async () => {
    const channelLike = fc.record(
      {
        type: fc.oneof(fc.constantFrom('webhook', 'slack', 'pagerduty', 'nope'), fc.jsonValue()),
        config: fc.oneof(
          fc.record({ url: fc.oneof(fc.constant('https://hooks.example.com/x'), fc.jsonValue()) }),
          fc.jsonValue({ maxDepth: 3 }),
        ),
        retry: fc.jsonValue({ maxDepth: 2 }),
        rateLimit: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(channelLike, fc.jsonValue({ maxDepth: 3 })), async (body) => {
        const response = await admin('PUT', `/v1/channels/${unique('fuzz')}?dryRun=true`, body);
        checkAnswer(response.status, response.json);
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
