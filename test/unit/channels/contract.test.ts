/**
 * The contract every registered channel type keeps, run against each one: its example config round-trips
 * through the admin API's schema and store, no secret value ever shows in a view or the stored record,
 * rendering stays within bounds for the largest event, and the sender classifies success and failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChannelRecord } from '#shared/channels/record.ts';
import { CHANNEL_TYPES } from '#shared/channels/registry.ts';
import { sendToChannel } from '#shared/channels/send.ts';
import type { Transports } from '#shared/channels/types.ts';
import type { HeraldEvent } from '#shared/domain/event.ts';
import { RequestTimeoutError } from '#shared/http/safe-request.ts';
import { adminWithFakes, putRequest } from '../support.ts';

/** Every string leaf of a value. */
const leaves = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : typeof value === 'object' && value !== null
      ? Object.values(value).flatMap(leaves)
      : [];

const NOW = new Date('2026-11-23T09:00:00Z');

/** The largest event the envelope allows, in a shape fast-check fills with odd text. */
const bigEvent = fc.record({
  subject: fc.string({ unit: 'binary', minLength: 1, maxLength: 256 }),
  attributes: fc.dictionary(
    fc.stringMatching(/^[a-zA-Z0-9_.-]{1,64}$/),
    fc.string({ unit: 'binary', maxLength: 256 }),
    { maxKeys: 32 },
  ),
  data: fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
});

const eventOf = (parts: {
  subject: string;
  attributes: Record<string, string>;
  data?: unknown;
}): HeraldEvent => ({
  id: '01JCONTRACT000000000000000',
  type: 'contract.check',
  source: 'contract',
  time: NOW.toISOString(),
  subject: parts.subject,
  severity: 'critical',
  attributes: parts.attributes,
  ...(parts.data === undefined ? {} : { data: parts.data as HeraldEvent['data'] }),
});

/** Transports that all succeed, or all fail as a network would. */
const transports = (mode: 'ok' | 'down'): Transports => {
  const fail = async (): Promise<never> => {
    throw new RequestTimeoutError('no response within 100 ms');
  };
  if (mode === 'down') return { http: fail, sns: fail, sqs: fail, eventbridge: fail, ses: fail, smtp: fail };
  return {
    http: async () => ({ status: 202, headers: {}, bodySnippet: '' }),
    sns: async () => ({ messageId: 'm-1' }),
    sqs: async () => ({ messageId: 'm-1' }),
    eventbridge: async () => ({ eventId: 'e-1' }),
    ses: async () => ({ messageId: 'm-1' }),
    smtp: async () => ({ messageId: 'm-1' }),
  };
};

describe.each(Object.values(CHANNEL_TYPES))('channel type $type', (type) => {
  const secretValues = () =>
    Object.keys(type.secretFields).flatMap((field) =>
      leaves(type.example[field]).filter((text) => text.length >= 8),
    );

  it('saves its example config, and a second save of it changes nothing', async () => {
    // Prepare
    const { admin } = adminWithFakes();
    const body = { type: type.type, config: type.example };

    // Act
    const written = await admin.put(putRequest('contract', body), false, NOW);
    const plan = await admin.put(putRequest('contract', body), true, NOW);

    // Assess
    expect(written).toMatchObject({ kind: 'written', created: true, view: { type: type.type } });
    expect(plan).toMatchObject({ kind: 'planned', action: 'unchanged', changes: [] });
  });

  it('never shows a secret value in the view or the stored record, only `configured: true`', async () => {
    // Prepare
    const { admin, records } = adminWithFakes();

    // Act
    const written = await admin.put(
      putRequest('contract', { type: type.type, config: type.example }),
      false,
      NOW,
    );

    // Assess
    if (written.kind !== 'written') throw new Error('expected a write');
    const shown = JSON.stringify([written.view, records.get('contract')]);
    for (const secret of secretValues()) expect(shown).not.toContain(secret);
    for (const field of Object.keys(type.secretFields)) {
      if (type.example[field] !== undefined) expect(written.view.config[field]).toEqual({ configured: true });
    }
  });

  it('renders any event the envelope allows without throwing, and keeps secrets out of error reasons', async () => {
    // Prepare
    const { admin, records, store } = adminWithFakes();
    await admin.put(putRequest('contract', { type: type.type, config: type.example }), false, NOW);
    const record = records.get('contract') as ChannelRecord;

    await fc.assert(
      fc.asyncProperty(bigEvent, async (parts) => {
        // Act
        const down = await sendToChannel(
          record,
          { event: eventOf(parts) },
          { deliveryId: 'msg_contract', attempt: 1, channelId: 'contract', policyIds: [] },
          { readSecret: store.read, transports: transports('down'), now: NOW },
        );

        // Assess
        expect(down.outcome.kind).toBe('retry');
        const reason = 'error' in down.outcome ? down.outcome.error : '';
        for (const secret of secretValues()) expect(reason).not.toContain(secret);
      }),
      { numRuns: 25 },
    );
  });

  it('classifies a provider that accepts the message as delivered', async () => {
    // Prepare
    const { admin, records, store } = adminWithFakes();
    await admin.put(putRequest('contract', { type: type.type, config: type.example }), false, NOW);

    // Act
    const result = await sendToChannel(
      records.get('contract') as ChannelRecord,
      { event: eventOf({ subject: 'Deploy finished', attributes: { environment: 'production' } }) },
      { deliveryId: 'msg_contract', attempt: 1, channelId: 'contract', policyIds: ['p'] },
      { readSecret: store.read, transports: transports('ok'), now: NOW },
    );

    // Assess
    expect(result.outcome.kind).toBe('delivered');
  });
});
