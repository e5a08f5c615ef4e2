import {
  AccessDeniedException,
  EventBridgeServiceException,
  InternalException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-eventbridge';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type EventBridgeEntry,
  type EventBridgeSettings,
  entryBytes,
  eventbridge,
  MAX_DETAIL_TYPE_CHARS,
  MAX_ENTRY_BYTES,
  parseEventBusArn,
  renderEventBridge,
  sendEventBridge,
} from '#shared/channels/eventbridge/index.ts';
import type { StoredTemplate } from '#shared/channels/record.ts';
import type { DeliveryContext, Transports } from '#shared/channels/types.ts';
import { webhookBody } from '#shared/channels/webhook/index.ts';
import type { HeraldEvent, Severity } from '#shared/domain/event.ts';
import { testTransports } from '../support.ts';

const BUS = 'arn:aws:events:eu-central-1:210987654321:event-bus/platform';
const ROLE = 'arn:aws:iam::210987654321:role/herald-sender';
const NOW = new Date('2026-11-23T09:00:05Z');

const eventOf = (severity: Severity): HeraldEvent => ({
  id: '01JD7K3M9X0000000000000000',
  type: 'request_created',
  source: 'dbward',
  time: '2026-11-23T09:00:00Z',
  subject: 'Break-glass access used on app/production',
  severity,
  attributes: { database: 'app', environment: 'production' },
  data: { requestedBy: 'alice', durationMinutes: 30 },
});
const event = eventOf('critical');
const context: DeliveryContext = {
  deliveryId: 'msg_Xq3vT0bqk1W9y2cZr8u4nA7LmPe',
  attempt: 1,
  channelId: 'platform-bus',
  policyIds: ['prod-ops'],
};

const render = (
  e: HeraldEvent,
  options: { settings?: EventBridgeSettings; template?: StoredTemplate } = {},
): EventBridgeEntry =>
  renderEventBridge({
    event: e,
    context,
    settings: options.settings ?? { eventBusArn: BUS },
    secrets: {},
    template: options.template,
    now: NOW,
  });

/** A transport answering what a test gives it. */
const answering = (
  answer: Awaited<ReturnType<Transports['eventbridge']>>,
  sent: EventBridgeEntry[] = [],
): Pick<Transports, 'eventbridge'> => ({
  eventbridge: async (entry) => {
    sent.push(entry);
    return answer;
  },
});
const throwing = (error: unknown): Pick<Transports, 'eventbridge'> => ({
  eventbridge: async () => {
    throw error;
  },
});

describe('renderEventBridge', () => {
  it.each(['info', 'critical'] as const)('renders a %s event as the golden file shows', async (severity) => {
    await expect(`${JSON.stringify(render(eventOf(severity)), null, 2)}\n`).toMatchFileSnapshot(
      `../../fixtures/channels/eventbridge/${severity}.json`,
    );
  });

  it('puts the webhook body as detail, the event type as detail-type and herald.<source> as source by default', () => {
    // Act
    const entry = render(event);

    // Assess
    expect(entry).toEqual({
      eventBusArn: BUS,
      region: 'eu-central-1',
      source: 'herald.dbward',
      detailType: 'request_created',
      detail: webhookBody(event, context),
      time: new Date('2026-11-23T09:00:00Z'),
    });
    expect(JSON.parse(entry.detail)).toMatchObject({
      type: 'request_created',
      herald: { deliveryId: context.deliveryId, channel: 'platform-bus', policy: 'prod-ops' },
    });
  });

  it('renders detail-type and source templates, on one line and within EventBridge limits, as the configured role', () => {
    // Act
    const entry = render(
      { ...event, attributes: { environment: 'prod\nuction' }, data: { kind: 'k'.repeat(300) } },
      {
        settings: {
          eventBusArn: BUS,
          roleArn: ROLE,
          externalId: 'herald-ops',
          detailType: 'Herald {{data.kind}}',
          source: 'acme.{{attributes.environment}}',
        },
      },
    );

    // Assess
    expect(entry.detailType).toHaveLength(MAX_DETAIL_TYPE_CHARS);
    expect(entry.detailType.startsWith('Herald kkk')).toBe(true);
    expect(entry.source).toBe('acme.prod uction');
    expect(entry.role).toEqual({ roleArn: ROLE, externalId: 'herald-ops' });
  });

  it('falls back to the defaults when a template renders empty, and never sends an aws. source', () => {
    // Act
    const empty = render(event, {
      settings: { eventBusArn: BUS, detailType: '{{attributes.none}}', source: '{{attributes.none}}' },
    });
    const aws = render(
      { ...event, source: 'aws.guardduty' },
      { settings: { eventBusArn: BUS, source: '{{source}}' } },
    );

    // Assess
    expect(empty).toMatchObject({ detailType: 'request_created', source: 'herald.dbward' });
    expect(aws.source).toBe('herald.aws.guardduty');
  });

  // 20 events of up to 300 KB each: seconds of work, more on a loaded machine.
  it('stays within the entry limit, keeping the envelope whole, for any event the envelope allows', {
    timeout: 60_000,
  }, () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 256 }),
        fc.option(fc.string({ unit: 'binary', minLength: 200_000, maxLength: 300_000 }), { nil: undefined }),
        (subject, big) => {
          // Act
          const entry = render(
            { ...event, subject, ...(big === undefined ? {} : { data: { big } }) },
            { template: { text: '{{data.big}}' } },
          );

          // Assess
          expect(entryBytes(entry)).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
          expect(JSON.parse(entry.detail).subject).toBe(subject);
        },
      ),
      { numRuns: 20 },
    );
  });
});

describe('sendEventBridge', () => {
  it('puts the entry, classifies it as delivered and reports the EventId', async () => {
    // Prepare
    const sent: EventBridgeEntry[] = [];
    const entry = render(event);

    // Act
    const result = await sendEventBridge(entry, answering({ eventId: '11710aed-b79e-4468-a20b' }, sent));

    // Assess
    expect(result.outcome).toEqual({ kind: 'delivered', status: 200 });
    expect(result.messageId).toBe('11710aed-b79e-4468-a20b');
    expect(sent).toEqual([entry]);
  });

  it.each([
    ['ThrottlingException', 'retry'],
    ['InternalFailure', 'retry'],
    ['SomethingNew', 'retry'],
    ['AccessDeniedException', 'failed'],
    ['NotAuthorizedForSourceException', 'failed'],
    ['NotAuthorizedForDetailTypeException', 'failed'],
    ['MalformedDetail', 'failed'],
    ['InvalidArgument', 'failed'],
    ['ResourceNotFoundException', 'gone'],
  ] as const)('classifies a failed entry with %s as %s, with the code as the reason', async (code, kind) => {
    // Act
    const result = await sendEventBridge(
      render(event),
      answering({ errorCode: code, errorMessage: 'what EventBridge said' }),
    );

    // Assess
    expect(result.outcome).toEqual({
      kind,
      error: `EventBridge PutEvents entry failed: ${code}: what EventBridge said`,
    });
  });

  it.each([
    ['ThrottlingException', 'retry', new ThrottlingException({ message: 'Rate exceeded', $metadata: {} })],
    [
      'InternalException',
      'retry',
      new InternalException({ message: 'oops', $metadata: { httpStatusCode: 500 } }),
    ],
    [
      'AccessDeniedException',
      'failed',
      new AccessDeniedException({ message: 'not authorized to perform: events:PutEvents', $metadata: {} }),
    ],
    [
      'ResourceNotFoundException',
      'gone',
      new ResourceNotFoundException({ message: 'Event bus platform does not exist.', $metadata: {} }),
    ],
    [
      'KMSThrottlingException',
      'retry',
      new EventBridgeServiceException({
        name: 'KMSThrottlingException',
        $fault: 'client',
        message: 'KMS rate exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
    ],
  ] as const)('classifies a call that threw %s as %s', async (_name, kind, error) => {
    // Act
    const result = await sendEventBridge(render(event), throwing(error));

    // Assess
    expect(result.outcome.kind).toBe(kind);
  });

  it('says which bus was not found when the call names one that does not exist', async () => {
    // Act
    const result = await sendEventBridge(
      render(event),
      throwing(
        new ResourceNotFoundException({
          message: 'Event bus platform does not exist.',
          $metadata: { httpStatusCode: 400 },
        }),
      ),
    );

    // Assess
    expect(result.outcome).toEqual({
      kind: 'gone',
      status: 400,
      error: 'EventBridge ResourceNotFoundException: Event bus platform does not exist.',
    });
  });
});

describe('the eventbridge channel type', () => {
  it('parses settings without secrets or defaults, and its example', () => {
    const parsed = eventbridge.settings.parse({ eventBusArn: BUS });
    expect(parsed).toEqual({ eventBusArn: BUS });
    expect(eventbridge.secretFields).toEqual({});
    expect(eventbridge.check(parsed)).toEqual([]);
    expect(eventbridge.settings.safeParse(eventbridge.example).success).toBe(true);
  });

  it.each([
    'platform',
    'arn:aws:events:eu-central-1:210987654321:rule/platform',
    'arn:aws:events:eu-central-1:21098765432:event-bus/platform',
    'arn:aws:sns:eu-central-1:210987654321:event-bus/platform',
    'arn:aws:events::210987654321:event-bus/platform',
    'arn:aws:events:eu-central-1:210987654321:event-bus/has space',
  ])('refuses %s as a bus ARN', (eventBusArn) => {
    const result = eventbridge.settings.safeParse({ eventBusArn });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/^eventBusArn must be arn:<partition>:events:/);
  });

  it('reads a bus ARN into its parts (partner buses have slashes)', () => {
    expect(parseEventBusArn('arn:aws:events:us-east-1:123456789012:event-bus/aws.partner/acme/x')).toEqual({
      partition: 'aws',
      region: 'us-east-1',
      account: '123456789012',
      name: 'aws.partner/acme/x',
    });
  });

  it('refuses a source template starting with aws., an externalId without role and a bad template', () => {
    expect(eventbridge.check({ eventBusArn: BUS, source: 'aws.ec2' })).toEqual([
      { path: 'source', message: expect.stringContaining('aws.') },
    ]);
    expect(eventbridge.check({ eventBusArn: BUS, externalId: 'herald-ops' })).toEqual([
      { path: 'externalId', message: expect.stringContaining('give roleArn too') },
    ]);
    expect(eventbridge.settings.safeParse({ eventBusArn: BUS, detailType: '{{> partial}}' }).success).toBe(
      false,
    );
  });

  it('lists the bus and the role as targets, and summarises them', () => {
    expect(eventbridge.targets({ eventBusArn: BUS, roleArn: ROLE }, {})).toEqual([
      { kind: 'event-bus', path: 'config.eventBusArn', value: BUS },
      { kind: 'iam-role', path: 'config.roleArn', value: ROLE },
    ]);
    expect(eventbridge.summary({ eventBusArn: BUS, roleArn: ROLE }, {})).toBe(
      'eventbridge platform (eu-central-1) as herald-sender',
    );
  });

  it('renders and sends through the sealed interface from stored settings', async () => {
    // Prepare
    const sent: unknown[] = [];
    const transports = testTransports(false, {
      eventbridge: async (entry) => {
        sent.push(entry);
        return { eventId: 'e-1' };
      },
    });

    // Act
    const entry = eventbridge.render({
      event,
      context,
      settings: { eventBusArn: BUS },
      secrets: {},
      template: undefined,
      now: NOW,
    });
    const result = await eventbridge.send(entry, transports, { eventBusArn: BUS });

    // Assess
    expect(result).toMatchObject({ outcome: { kind: 'delivered' }, messageId: 'e-1' });
    expect(sent).toEqual([entry]);
  });
});
