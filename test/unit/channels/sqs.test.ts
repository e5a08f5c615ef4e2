import {
  KmsAccessDenied,
  KmsThrottled,
  QueueDoesNotExist,
  RequestThrottled,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { STSServiceException } from '@aws-sdk/client-sts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssumeRoleError } from '#shared/channels/aws-errors.ts';
import type { StoredTemplate } from '#shared/channels/record.ts';
import {
  MAX_GROUP_ID_CHARS,
  MAX_MESSAGE_BYTES,
  messageBytes,
  parseQueueUrl,
  queueArn,
  renderSqs,
  type SqsMessage,
  type SqsSettings,
  sendSqs,
  sqs,
} from '#shared/channels/sqs/index.ts';
import type { DeliveryContext, Transports } from '#shared/channels/types.ts';
import { webhookBody } from '#shared/channels/webhook/index.ts';
import type { HeraldEvent, Severity } from '#shared/domain/event.ts';
import { RequestTimeoutError } from '#shared/http/safe-request.ts';
import { testTransports } from '../support.ts';

const QUEUE = 'https://sqs.eu-central-1.amazonaws.com/123456789012/platform-events';
const FIFO_QUEUE = 'https://sqs.eu-central-1.amazonaws.com/123456789012/platform-events.fifo';
const LOCAL_QUEUE = 'http://localhost:4566/000000000000/herald-test-orders';
const ROLE = 'arn:aws:iam::210987654321:role/herald-sender';
const NOW = new Date('2026-11-23T09:00:05Z');

const eventOf = (severity: Severity): HeraldEvent => ({
  id: '01JD7K3M9X0000000000000000',
  type: 'request_created',
  source: 'dbward',
  time: '2026-11-23T09:00:00Z',
  subject: 'Break-glass access used on app/production',
  severity,
  attributes: { database: 'app', environment: 'production', tenant: 'acme' },
  data: { requestedBy: 'alice', reason: 'incident INC-7 <db> & "locks"', durationMinutes: 30 },
});
const event = eventOf('critical');
const context: DeliveryContext = {
  deliveryId: 'msg_Xq3vT0bqk1W9y2cZr8u4nA7LmPe',
  attempt: 2,
  channelId: 'platform-sqs',
  policyIds: ['prod-ops'],
};

const render = (
  e: HeraldEvent,
  options: { settings?: SqsSettings; template?: StoredTemplate } = {},
): SqsMessage =>
  renderSqs({
    event: e,
    context,
    settings: options.settings ?? { queueUrl: QUEUE },
    secrets: {},
    template: options.template,
    now: NOW,
  });

/** A transport that throws what a test gives it. */
const throwing = (error: unknown): Pick<Transports, 'sqs'> => ({
  sqs: async () => {
    throw error;
  },
});

const sqsError = (name: string, message: string, status = 400) =>
  new SQSServiceException({ name, $fault: 'client', message, $metadata: { httpStatusCode: status } });

describe('renderSqs', () => {
  it.each(['info', 'critical'] as const)('renders a %s event as the golden file shows', async (severity) => {
    // Act
    const message = render(eventOf(severity));

    // Assess
    await expect(`${JSON.stringify(message, null, 2)}\n`).toMatchFileSnapshot(
      `../../fixtures/channels/sqs/${severity}.json`,
    );
  });

  it('renders a FIFO queue sent through a role as the golden file shows', async () => {
    // Act
    const message = render(event, {
      settings: {
        queueUrl: FIFO_QUEUE,
        roleArn: ROLE,
        externalId: 'herald-ops',
        messageGroupId: '{{attributes.tenant}}/{{attributes.environment}}',
      },
      template: { subject: '{{attributes.environment}}: {{subject}}', text: '{{data.requestedBy}} asked' },
    });

    // Assess
    await expect(`${JSON.stringify(message, null, 2)}\n`).toMatchFileSnapshot(
      '../../fixtures/channels/sqs/fifo-role.json',
    );
  });

  it('sends the body a webhook gets, with type, severity and source as message attributes', () => {
    // Act
    const message = render(event);

    // Assess
    expect(message.body).toBe(webhookBody(event, context));
    expect(JSON.parse(message.body)).toMatchObject({
      id: event.id,
      herald: { deliveryId: context.deliveryId, attempt: 2, channel: 'platform-sqs', policy: 'prod-ops' },
    });
    expect(message.attributes).toEqual({ type: 'request_created', severity: 'critical', source: 'dbward' });
    expect(message.queueUrl).toBe(QUEUE);
    expect(message.region).toBe('eu-central-1');
    expect(message).not.toHaveProperty('messageGroupId');
    expect(message).not.toHaveProperty('deduplicationId');
    expect(message).not.toHaveProperty('role');
  });

  it('gives a FIFO queue the event source as group id by default and the delivery id as deduplication id', () => {
    // Act
    const message = render(event, { settings: { queueUrl: FIFO_QUEUE } });

    // Assess
    expect(message.messageGroupId).toBe('dbward');
    expect(message.deduplicationId).toBe(context.deliveryId);
  });

  it('renders the group id template, replacing what SQS does not take, and falls back to the source when empty', () => {
    // Act
    const spaced = render(
      { ...event, attributes: { tenant: 'Acme Corp ü' } },
      { settings: { queueUrl: FIFO_QUEUE, messageGroupId: 'tenant {{attributes.tenant}}' } },
    );
    const empty = render(
      { ...event, attributes: {} },
      { settings: { queueUrl: FIFO_QUEUE, messageGroupId: '{{attributes.tenant}}' } },
    );
    const long = render(
      { ...event, data: { key: 'k'.repeat(500) } },
      { settings: { queueUrl: FIFO_QUEUE, messageGroupId: '{{data.key}}' } },
    );

    // Assess
    expect(spaced.messageGroupId).toBe('tenant_Acme_Corp__');
    expect(empty.messageGroupId).toBe('dbward');
    expect(long.messageGroupId).toHaveLength(MAX_GROUP_ID_CHARS);
  });

  it('names no region for an emulator URL (the client keeps its own) and sends as the configured role', () => {
    // Act
    const message = render(event, { settings: { queueUrl: LOCAL_QUEUE, roleArn: ROLE } });

    // Assess
    expect(message).not.toHaveProperty('region');
    expect(message.role).toEqual({ roleArn: ROLE });
  });

  it('writes U+FFFE and U+FFFF (outside what SQS takes) as JSON escapes that read back the same', () => {
    // Prepare
    const odd = { ...event, data: { text: 'a\uFFFFb\uFFFE' } };

    // Act
    const message = render(odd);

    // Assess
    expect(message.body).not.toMatch(/[\uFFFE\uFFFF]/);
    expect(JSON.parse(message.body).data).toEqual({ text: 'a\uFFFFb\uFFFE' });
  });

  // 20 events of up to 300 KB each: seconds of work, more on a loaded machine.
  it('stays within the message limit, keeping the envelope whole, for any event the envelope allows', {
    timeout: 60_000,
  }, () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 256 }),
        fc.option(fc.string({ unit: 'binary', minLength: 200_000, maxLength: 300_000 }), { nil: undefined }),
        (subject, big) => {
          // Prepare
          const e: HeraldEvent = { ...event, subject, ...(big === undefined ? {} : { data: { big } }) };

          // Act
          const message = render(e, {
            settings: { queueUrl: FIFO_QUEUE },
            template: { text: '{{data.big}}{{data.big}}' },
          });

          // Assess
          expect(messageBytes(message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
          const body = JSON.parse(message.body);
          expect(body.subject).toBe(subject);
          expect(body.herald.deliveryId).toBe(context.deliveryId);
        },
      ),
      { numRuns: 20 },
    );
  });
});

describe('sendSqs', () => {
  it('sends the rendered message, classifies success as delivered and reports the MessageId', async () => {
    // Prepare
    const sent: unknown[] = [];
    const transports = testTransports(false, {
      sqs: async (message) => {
        sent.push(message);
        return { messageId: '5fea7756-0ea4-451a-a703-a558b933e274' };
      },
    });
    const message = render(event, { settings: { queueUrl: FIFO_QUEUE } });

    // Act
    const result = await sendSqs(message, transports);

    // Assess
    expect(result.outcome).toEqual({ kind: 'delivered', status: 200 });
    expect(result.messageId).toBe('5fea7756-0ea4-451a-a703-a558b933e274');
    expect(sent).toEqual([message]);
  });

  it.each([
    ['ThrottlingException', 'retry', sqsError('ThrottlingException', 'Rate exceeded')],
    ['RequestThrottled', 'retry', new RequestThrottled({ message: 'slow down', $metadata: {} })],
    ['KmsThrottled', 'retry', new KmsThrottled({ message: 'KMS rate exceeded', $metadata: {} })],
    ['KMSThrottlingException', 'retry', sqsError('KMSThrottlingException', 'KMS rate exceeded')],
    ['an internal error', 'retry', sqsError('InternalError', 'We encountered an internal error', 500)],
    ['QueueDoesNotExist', 'gone', new QueueDoesNotExist({ message: 'queue does not exist', $metadata: {} })],
    [
      'the legacy NonExistentQueue code',
      'gone',
      sqsError('AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist'),
    ],
    ['AccessDenied', 'failed', sqsError('AccessDenied', 'Access to the resource is denied', 403)],
    ['AccessDeniedException', 'failed', sqsError('AccessDeniedException', 'not authorized', 403)],
    ['KmsAccessDenied', 'failed', new KmsAccessDenied({ message: 'key policy refuses', $metadata: {} })],
    ['InvalidMessageContents', 'failed', sqsError('InvalidMessageContents', 'Invalid characters')],
    ['a message over the queue limit', 'failed', sqsError('InvalidParameterValue', 'Message too long')],
  ] as const)('classifies %s as %s', async (_name, kind, error) => {
    // Act
    const result = await sendSqs(render(event), throwing(error));

    // Assess
    expect(result.outcome.kind).toBe(kind);
  });

  it('disables the channel (gone) when the queue no longer exists, saying so', async () => {
    // Act
    const result = await sendSqs(
      render(event),
      throwing(
        new QueueDoesNotExist({
          message: 'The specified queue does not exist.',
          $metadata: { httpStatusCode: 400 },
        }),
      ),
    );

    // Assess
    expect(result.outcome).toEqual({
      kind: 'gone',
      status: 400,
      error: 'SQS QueueDoesNotExist: The specified queue does not exist.',
    });
  });

  it('fails, naming the role, when the channel role cannot be assumed', async () => {
    // Prepare
    const denied = new STSServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      message: `User: arn:aws:sts::123456789012:assumed-role/deliver/x is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`,
      $metadata: { httpStatusCode: 403 },
    });

    // Act
    const result = await sendSqs(
      render(event, { settings: { queueUrl: QUEUE, roleArn: ROLE } }),
      throwing(new AssumeRoleError(ROLE, { cause: denied })),
    );

    // Assess
    expect(result.outcome).toMatchObject({
      kind: 'failed',
      status: 403,
      error: expect.stringMatching(
        /^STS AssumeRole \(arn:aws:iam::210987654321:role\/herald-sender\) AccessDenied: User: .* sts:AssumeRole/,
      ),
    });
  });

  it('retries a throttled or expired AssumeRole', async () => {
    // Prepare
    const throttled = new STSServiceException({
      name: 'Throttling',
      $fault: 'client',
      message: 'Rate exceeded',
      $metadata: { httpStatusCode: 400 },
    });

    // Act
    const result = await sendSqs(render(event), throwing(new AssumeRoleError(ROLE, { cause: throttled })));

    // Assess
    expect(result.outcome.kind).toBe('retry');
  });

  it('retries when the call times out or the network fails, and never throws', async () => {
    const timeout = await sendSqs(render(event), throwing(new RequestTimeoutError('no response in 100 ms')));
    const odd = await sendSqs(render(event), throwing('a string, not an Error'));
    expect(timeout.outcome).toEqual({
      kind: 'retry',
      error: 'network error: SQS RequestTimeoutError: no response in 100 ms',
    });
    expect(odd.outcome.kind).toBe('retry');
  });
});

describe('parseQueueUrl and queueArn', () => {
  it.each([
    [QUEUE, 'arn:aws:sqs:eu-central-1:123456789012:platform-events'],
    [FIFO_QUEUE, 'arn:aws:sqs:eu-central-1:123456789012:platform-events.fifo'],
    [
      'https://sqs-fips.us-gov-west-1.amazonaws.com/123456789012/q',
      'arn:aws-us-gov:sqs:us-gov-west-1:123456789012:q',
    ],
    ['https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q', 'arn:aws-cn:sqs:cn-north-1:123456789012:q'],
    [
      'https://eu-west-1.queue.amazonaws.com/123456789012/legacy_q',
      'arn:aws:sqs:eu-west-1:123456789012:legacy_q',
    ],
    ['https://queue.amazonaws.com/123456789012/oldest', 'arn:aws:sqs:us-east-1:123456789012:oldest'],
    ['https://sqs.ap-south-2.api.aws/123456789012/dual', 'arn:aws:sqs:ap-south-2:123456789012:dual'],
    [LOCAL_QUEUE, 'arn:aws:sqs:us-east-1:000000000000:herald-test-orders'],
  ])('reads %s as the queue %s', (url, arn) => {
    // Act
    const queue = parseQueueUrl(url);

    // Assess
    expect(queue).toBeDefined();
    expect(queueArn(queue ?? ({} as never), 'us-east-1')).toBe(arn);
  });

  it('tells an SQS endpoint from an emulator, and FIFO queues from standard ones', () => {
    expect(parseQueueUrl(FIFO_QUEUE)).toEqual({
      partition: 'aws',
      region: 'eu-central-1',
      account: '123456789012',
      name: 'platform-events.fifo',
      fifo: true,
      aws: true,
    });
    expect(parseQueueUrl(LOCAL_QUEUE)).toMatchObject({ region: undefined, aws: false, fifo: false });
    expect(parseQueueUrl('http://sqs.eu-central-1.amazonaws.com/123456789012/q')).toMatchObject({
      aws: false,
    });
  });

  it.each([
    'platform-events',
    'arn:aws:sqs:eu-central-1:123456789012:platform-events',
    'https://sqs.eu-central-1.amazonaws.com/platform-events',
    'https://sqs.eu-central-1.amazonaws.com/12345678901/platform-events',
    'https://sqs.eu-central-1.amazonaws.com/123456789012/platform events',
    'https://sqs.eu-central-1.amazonaws.com/123456789012/platform-events.v2',
    `https://sqs.eu-central-1.amazonaws.com/123456789012/${'q'.repeat(81)}`,
    'https://sqs.eu-central-1.amazonaws.com/123456789012/q?Action=SendMessage',
    'https://user:pw@sqs.eu-central-1.amazonaws.com/123456789012/q',
    'ftp://sqs.eu-central-1.amazonaws.com/123456789012/q',
  ])('refuses %s as a queue URL', (queueUrl) => {
    // Act
    const result = sqs.settings.safeParse({ queueUrl });

    // Assess
    expect(parseQueueUrl(queueUrl)).toBeUndefined();
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/^queueUrl must be a queue URL/);
  });
});

describe('the sqs channel type', () => {
  it('parses settings without secrets or defaults, and its example', () => {
    // Act
    const parsed = sqs.settings.parse({ queueUrl: QUEUE });

    // Assess
    expect(parsed).toEqual({ queueUrl: QUEUE });
    expect(sqs.secretFields).toEqual({});
    expect(sqs.templateParts).toEqual(['subject', 'text']);
    expect(sqs.check(parsed)).toEqual([]);
    expect(sqs.settings.safeParse(sqs.example).success).toBe(true);
  });

  it('refuses a role ARN, an external id or a group id template of the wrong shape', () => {
    for (const settings of [
      { queueUrl: QUEUE, roleArn: 'arn:aws:iam::210987654321:user/herald' },
      { queueUrl: QUEUE, roleArn: ROLE, externalId: 'x' },
      { queueUrl: QUEUE, roleArn: ROLE, externalId: 'has space' },
      { queueUrl: FIFO_QUEUE, messageGroupId: '{{nope}}' },
      { queueUrl: QUEUE, timeoutMs: 5000 },
    ]) {
      expect(sqs.settings.safeParse(settings).success, JSON.stringify(settings)).toBe(false);
    }
  });

  it('refuses an externalId without roleArn, and a group id on a standard queue', () => {
    expect(sqs.check({ queueUrl: QUEUE, externalId: 'herald-ops' })).toEqual([
      { path: 'externalId', message: expect.stringContaining('give roleArn too') },
    ]);
    expect(sqs.check({ queueUrl: QUEUE, messageGroupId: '{{source}}' })).toEqual([
      { path: 'messageGroupId', message: expect.stringContaining('FIFO queues only') },
    ]);
    expect(sqs.check({ queueUrl: FIFO_QUEUE, messageGroupId: '{{source}}' })).toEqual([]);
  });

  it('lists the queue and the role as targets so the admin API can check them against the stack', () => {
    expect(sqs.targets({ queueUrl: QUEUE, roleArn: ROLE }, {})).toEqual([
      { kind: 'sqs-queue', path: 'config.queueUrl', value: QUEUE },
      { kind: 'iam-role', path: 'config.roleArn', value: ROLE },
    ]);
  });

  it('summarises the channel as the queue, its region or host, and the role', () => {
    expect(sqs.summary({ queueUrl: FIFO_QUEUE, roleArn: ROLE }, {})).toBe(
      'sqs platform-events.fifo (eu-central-1) as herald-sender',
    );
    expect(sqs.summary({ queueUrl: LOCAL_QUEUE }, {})).toBe('sqs herald-test-orders (localhost:4566)');
  });
});
