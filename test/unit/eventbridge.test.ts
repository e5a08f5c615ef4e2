import { describe, expect, it } from 'vitest';
import { EventInput } from '#shared/domain/event.ts';
import { type EventBridgeEvent, fromEventBridge, toHeraldName } from '#shared/ingest/eventbridge.ts';

const bridged = (overrides: Partial<EventBridgeEvent> = {}): EventBridgeEvent => ({
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'deploy.finished',
  source: 'ci',
  account: '123456789012',
  time: '2026-11-23T09:00:00Z',
  region: 'us-east-1',
  detail: {},
  ...overrides,
});

describe('toHeraldName', () => {
  it.each([
    ['EC2 Instance State-change Notification', 'ec2_instance_state-change_notification'],
    ['aws.ec2', 'aws.ec2'],
    ['Deploy / Finished!', 'deploy_finished_'],
    ['  leading spaces', 'leading_spaces'],
    ['request_created', 'request_created'],
  ])('turns %j into %j', (value, expected) => {
    expect(toHeraldName(value)).toBe(expected);
  });

  it('produces a valid Herald type from free text', () => {
    const name = toHeraldName(`${'Ä'.repeat(3)} Scheduled Event ${'x'.repeat(200)}`);
    expect(EventInput.shape.type.safeParse(name).success).toBe(true);
    expect(name.length).toBeLessThanOrEqual(128);
  });
});

describe('fromEventBridge', () => {
  it('maps source, detail-type, time and id, and reads a plain detail as data', () => {
    // Prepare
    const event = bridged({ detail: { commit: 'abc123', branch: 'main' } });

    // Act
    const envelope = fromEventBridge(event);

    // Assess
    expect(envelope).toEqual({
      id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
      type: 'deploy.finished',
      source: 'ci',
      time: '2026-11-23T09:00:00Z',
      data: { commit: 'abc123', branch: 'main' },
    });
    expect(EventInput.safeParse(envelope).success).toBe(true);
  });

  it('reads a detail carrying envelope fields as an envelope', () => {
    // Prepare
    const event = bridged({
      detail: {
        subject: 'Deploy of api finished',
        severity: 'warning',
        attributes: { environment: 'production' },
        data: { commit: 'abc123' },
      },
    });

    // Act
    const envelope = fromEventBridge(event);

    // Assess
    expect(envelope).toEqual({
      id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
      type: 'deploy.finished',
      source: 'ci',
      time: '2026-11-23T09:00:00Z',
      subject: 'Deploy of api finished',
      severity: 'warning',
      attributes: { environment: 'production' },
      data: { commit: 'abc123' },
    });
    expect(EventInput.safeParse(envelope).success).toBe(true);
  });

  it('reads a detail with only attributes as an envelope without data', () => {
    const envelope = fromEventBridge(bridged({ detail: { attributes: { tenant: 't1' } } }));
    expect(envelope).toMatchObject({ attributes: { tenant: 't1' } });
    expect('data' in envelope).toBe(false);
  });

  it('normalizes a free-text detail-type and source into Herald names', () => {
    // Act
    const envelope = fromEventBridge(
      bridged({ 'detail-type': 'EC2 Instance State-change Notification', source: 'aws.ec2' }),
    );

    // Assess
    expect(envelope).toMatchObject({ type: 'ec2_instance_state-change_notification', source: 'aws.ec2' });
    expect(EventInput.safeParse(envelope).success).toBe(true);
  });

  it('maps a non-object detail to data', () => {
    expect(fromEventBridge(bridged({ detail: ['a', 'b'] }))).toMatchObject({ data: ['a', 'b'] });
    expect(fromEventBridge(bridged({ detail: 'text' }))).toMatchObject({ data: 'text' });
  });

  it('leaves data out when there is no detail', () => {
    const envelope = fromEventBridge(bridged({ detail: undefined }));
    expect('data' in envelope).toBe(false);
  });
});
