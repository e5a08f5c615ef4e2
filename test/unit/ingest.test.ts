import { describe, expect, it } from 'vitest';
import { HttpError, ValidationError } from '#shared/domain/errors.ts';
import { EventInput, type HeraldEvent, MAX_EVENT_BYTES } from '#shared/domain/event.ts';
import { IngestMessage } from '#shared/domain/jobs.ts';
import { acceptEvents, type IngestPorts, parseIngestRequest } from '#shared/ingest/ingest.ts';

const event = (overrides: Record<string, unknown> = {}) => ({
  type: 'request_created',
  source: 'dbward',
  ...overrides,
});
const json = (body: unknown) => ({ contentType: 'application/json', body: JSON.stringify(body) });

const thrown = (act: () => unknown): unknown => {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

describe('parseIngestRequest', () => {
  it('reads a single event', () => {
    // Act
    const events = parseIngestRequest(json(event({ id: 'one' })));

    // Assess
    expect(events).toEqual([event({ id: 'one' })]);
  });

  it('reads a batch of events in order', () => {
    // Prepare
    const batch = { events: [event({ id: 'a' }), event({ id: 'b' }), event({ id: 'c' })] };

    // Act
    const events = parseIngestRequest(json(batch));

    // Assess
    expect(events.map((item) => item.id)).toEqual(['a', 'b', 'c']);
  });

  it('accepts a batch of exactly 100 events', () => {
    const events = parseIngestRequest(json({ events: Array.from({ length: 100 }, () => event()) }));
    expect(events).toHaveLength(100);
  });

  it('rejects a batch of 101 events with 413', () => {
    // Prepare
    const request = json({ events: Array.from({ length: 101 }, () => event()) });

    // Act
    const error = thrown(() => parseIngestRequest(request));

    // Assess
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 413, code: 'too_many_events' });
  });

  it('rejects an event over 256 KiB with 413 and its index', () => {
    // Prepare
    const big = event({ data: { blob: 'x'.repeat(MAX_EVENT_BYTES) } });
    const request = json({ events: [event(), big] });

    // Act
    const error = thrown(() => parseIngestRequest(request));

    // Assess
    expect(error).toMatchObject({ status: 413, code: 'event_too_large', details: [{ index: 1, path: '' }] });
  });

  it('accepts an event just under 256 KiB', () => {
    // Prepare: pad the data so that the serialized event is exactly the limit
    const base = event({ data: '' });
    const padding = MAX_EVENT_BYTES - Buffer.byteLength(JSON.stringify(base), 'utf8');
    const atLimit = event({ data: 'x'.repeat(padding) });

    // Act
    const events = parseIngestRequest(json(atLimit));

    // Assess
    expect(events).toHaveLength(1);
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['form data', 'application/x-www-form-urlencoded'],
    ['missing', undefined],
  ])('rejects a %s content type with 415', (_why, contentType) => {
    const error = thrown(() => parseIngestRequest({ contentType, body: JSON.stringify(event()) }));
    expect(error).toMatchObject({ status: 415, code: 'unsupported_media_type' });
  });

  it.each(['application/json; charset=utf-8', 'Application/JSON', 'application/cloudevents+json'])(
    'accepts the JSON content type %s',
    (contentType) => {
      expect(parseIngestRequest({ contentType, body: JSON.stringify(event()) })).toHaveLength(1);
    },
  );

  it.each(['{"type": ', '', 'not json', "{'type': 'a'}"])(
    'rejects malformed JSON %j with 400 malformed_json',
    (body) => {
      const error = thrown(() => parseIngestRequest({ contentType: 'application/json', body }));
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 400, code: 'malformed_json' });
    },
  );

  it.each([65, 2_500, 10_000])(
    'rejects data nested %i deep with 400 and the path, never a crash',
    (depth) => {
      // Prepare: built as text, since JSON.stringify itself cannot go this deep.
      const data = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const body = `{"type":"deep","source":"tests","data":${data}}`;

      // Act
      const error = thrown(() => parseIngestRequest({ contentType: 'application/json', body }));

      // Assess
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({
        status: 400,
        details: [{ path: 'data', message: expect.stringContaining('64') }],
      });
    },
  );

  it('rejects an invalid event in a batch with its index and dotted path', () => {
    // Prepare
    const request = json({
      events: [event(), event(), event(), event({ attributes: { environment: 'p'.repeat(300) } })],
    });

    // Act
    const error = thrown(() => parseIngestRequest(request));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      status: 400,
      code: 'invalid_event',
      details: [{ index: 3, path: 'attributes.environment', message: expect.any(String) }],
    });
  });

  it('reports every problem of every invalid event, not only the first', () => {
    // Prepare
    const request = json({ events: [event({ type: 'Bad Type' }), event(), event({ severity: 'fatal' })] });

    // Act
    const error = thrown(() => parseIngestRequest(request));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    const details = error instanceof ValidationError ? error.details : [];
    expect(details?.map((issue) => [issue.index, issue.path])).toEqual([
      [0, 'type'],
      [2, 'severity'],
    ]);
  });

  it('gives the index 0 for a problem in a single event', () => {
    const error = thrown(() => parseIngestRequest(json(event({ unknown: true }))));
    expect(error).toMatchObject({ code: 'invalid_event', details: [{ index: 0, path: '' }] });
  });

  it('rejects an empty batch', () => {
    const error = thrown(() => parseIngestRequest(json({ events: [] })));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_event', details: [{ path: 'events' }] });
  });

  it('rejects a batch whose events is not an array', () => {
    const error = thrown(() => parseIngestRequest(json({ events: event() })));
    expect(error).toMatchObject({ status: 400, code: 'invalid_event', details: [{ path: 'events' }] });
  });

  it('rejects a top-level array as an invalid event', () => {
    const error = thrown(() => parseIngestRequest(json([event()])));
    expect(error).toMatchObject({ status: 400, code: 'invalid_event' });
  });
});

/** In-memory ports: a claim table and a queue. */
const fakePorts = (
  options: {
    claimed?: string[];
    /** Claimed ids already routed. */
    routed?: string[];
    failEnqueue?: boolean | string[];
    orphanedAt?: string;
    failClaimOf?: string;
  } = {},
) => {
  const claims = new Set(options.claimed ?? []);
  const queued: { key: string; body: string }[] = [];
  const released: string[] = [];
  const ports: IngestPorts = {
    claimEvent: async (claimed: HeraldEvent) => {
      if (claimed.id === options.failClaimOf) throw new Error('DynamoDB unavailable');
      if (claims.has(claimed.id)) {
        return {
          created: false,
          status: options.routed?.includes(claimed.id) ? ('routed' as const) : ('accepted' as const),
          acceptedAt: options.orphanedAt ?? now.toISOString(),
        };
      }
      claims.add(claimed.id);
      return { created: true, status: 'accepted' as const, acceptedAt: now.toISOString() };
    },
    releaseEvent: async (eventId) => {
      released.push(eventId);
      claims.delete(eventId);
    },
    enqueue: async (entries) => {
      const refused = (key: string) =>
        options.failEnqueue === true ||
        (Array.isArray(options.failEnqueue) && options.failEnqueue.includes(key));
      queued.push(...entries.filter((entry) => !refused(entry.key)));
      return entries.filter((entry) => refused(entry.key)).map((entry) => entry.key);
    },
  };
  return { ports, claims, queued, released };
};

const now = new Date('2026-11-23T09:00:00.000Z');
const ids = () => {
  let next = 0;
  return () => `gen-${++next}`;
};
const inputs = (...items: Record<string, unknown>[]) => items.map((item) => EventInput.parse(event(item)));

describe('acceptEvents', () => {
  it('queues again an event whose earlier claim was orphaned (accepted, never routed, minutes old)', async () => {
    const { ports, queued } = fakePorts({
      claimed: ['evt-1'],
      orphanedAt: new Date(now.getTime() - 10 * 60 * 1000).toISOString(),
    });
    const accepted = await acceptEvents([{ id: 'evt-1', type: 'a.b', source: 's' }], ports, now, () => 'x');
    expect(accepted).toEqual([{ id: 'evt-1', duplicate: false }]);
    expect(queued).toHaveLength(1);
  });

  it('releases the claims it made and answers 503 when another claim fails', async () => {
    const { ports, queued, released } = fakePorts({ failClaimOf: 'evt-2' });
    const attempt = acceptEvents(
      [
        { id: 'evt-1', type: 'a.b', source: 's' },
        { id: 'evt-2', type: 'a.b', source: 's' },
      ],
      ports,
      now,
      () => 'x',
    );
    await expect(attempt).rejects.toMatchObject({ status: 503 });
    expect(released).toEqual(['evt-1']);
    expect(queued).toHaveLength(0);
  });

  it('queues each new event as a herald.event message with defaults applied', async () => {
    // Prepare
    const { ports, queued } = fakePorts();

    // Act
    const accepted = await acceptEvents(inputs({ id: 'a' }, {}), ports, now, ids());

    // Assess
    expect(accepted).toEqual([
      { id: 'a', duplicate: false },
      { id: 'gen-1', duplicate: false },
    ]);
    expect(queued.map((entry) => entry.key)).toEqual(['a', 'gen-1']);
    const message = IngestMessage.parse(JSON.parse(queued[1]?.body ?? ''));
    expect(message.event).toMatchObject({
      id: 'gen-1',
      time: now.toISOString(),
      severity: 'info',
      subject: 'request_created',
      attributes: {},
    });
    // The claim's time rides along, so the router need not read the claim again.
    expect(message.acceptedAt).toBe(now.toISOString());
  });

  it('flags the second occurrence of an id within one request as a duplicate and queues it once', async () => {
    // Prepare
    const { ports, queued } = fakePorts();

    // Act
    const accepted = await acceptEvents(inputs({ id: 'same' }, { id: 'same' }), ports, now, ids());

    // Assess
    expect(accepted).toEqual([
      { id: 'same', duplicate: false },
      { id: 'same', duplicate: true },
    ]);
    expect(queued).toHaveLength(1);
  });

  it('flags an id already routed as a duplicate and does not queue it', async () => {
    // Prepare
    const { ports, queued } = fakePorts({ claimed: ['old'], routed: ['old'] });

    // Act
    const accepted = await acceptEvents(inputs({ id: 'old' }, { id: 'new' }), ports, now, ids());

    // Assess
    expect(accepted).toEqual([
      { id: 'old', duplicate: true },
      { id: 'new', duplicate: false },
    ]);
    expect(queued.map((entry) => entry.key)).toEqual(['new']);
  });

  it('queues again an id claimed but not routed yet, still calling it a duplicate', async () => {
    // Prepare: the first request may have died between its claim and its queue write.
    const { ports, queued } = fakePorts({ claimed: ['early'] });

    // Act
    const accepted = await acceptEvents(inputs({ id: 'early' }), ports, now, ids());

    // Assess: a 202 means queued; the router routes the event once.
    expect(accepted).toEqual([{ id: 'early', duplicate: true }]);
    expect(queued.map((entry) => entry.key)).toEqual(['early']);
  });

  it('keeps the claims of the events that were queued when only some could be', async () => {
    // Prepare
    const { ports, claims, released } = fakePorts({ failEnqueue: ['b'] });

    // Act
    const result = acceptEvents(inputs({ id: 'a' }, { id: 'b' }), ports, now, ids());

    // Assess
    await expect(result).rejects.toMatchObject({ status: 503 });
    expect(released).toEqual(['b']);
    expect([...claims]).toEqual(['a']);
  });

  it('releases the new claims and throws 503 when the queue refuses an event', async () => {
    // Prepare
    const { ports, claims, released } = fakePorts({ claimed: ['old'], failEnqueue: true });

    // Act
    const result = acceptEvents(inputs({ id: 'old' }, { id: 'a' }, { id: 'b' }), ports, now, ids());

    // Assess
    await expect(result).rejects.toBeInstanceOf(HttpError);
    await expect(result).rejects.toMatchObject({ status: 503, code: 'queue_unavailable' });
    expect(released.sort()).toEqual(['a', 'b']);
    expect([...claims]).toEqual(['old']);
  });

  it('lets a producer retry succeed after a queue failure (not mistaken for a duplicate)', async () => {
    // Prepare
    const failing = fakePorts({ failEnqueue: true });
    await expect(acceptEvents(inputs({ id: 'retry-me' }), failing.ports, now, ids())).rejects.toThrow();
    const working = fakePorts({ claimed: [...failing.claims] });

    // Act
    const accepted = await acceptEvents(inputs({ id: 'retry-me' }), working.ports, now, ids());

    // Assess
    expect(accepted).toEqual([{ id: 'retry-me', duplicate: false }]);
    expect(working.queued).toHaveLength(1);
  });
});
