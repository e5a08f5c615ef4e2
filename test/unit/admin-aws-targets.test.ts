/**
 * The save-time checks of the AWS destinations (`sqs`, `eventbridge` and their roles) against the
 * stack's allow-lists, through the admin API as a user meets them.
 */
import { describe, expect, it } from 'vitest';
import { type TargetPolicy, validateTargets } from '#shared/admin/targets.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { adminWithFakes, putRequest } from './support.ts';

const NOW = new Date('2026-11-23T09:00:00Z');
const INGEST_BUS = 'arn:aws:events:eu-central-1:123456789012:event-bus/herald';

const policy: TargetPolicy = {
  allowPrivateTargets: false,
  snsTopicArns: [],
  sesIdentities: [],
  sqsQueueArns: ['arn:aws:sqs:eu-central-1:123456789012:platform-*'],
  eventBusArns: ['arn:aws:events:*:123456789012:event-bus/*'],
  assumableRoleArns: ['arn:aws:iam::210987654321:role/herald-*'],
  ingestBusArns: [INGEST_BUS],
  region: 'eu-central-1',
};

const refusal = (path: string, message: string | RegExp) => ({
  status: 400,
  details: [
    {
      path,
      message:
        typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message),
    },
  ],
});

describe('validateTargets for AWS destinations', () => {
  it('accepts a queue whose ARN (read from its URL) matches sqsQueueArns, and an allowed role', async () => {
    await expect(
      validateTargets(
        [
          {
            kind: 'sqs-queue',
            path: 'config.queueUrl',
            value: 'https://sqs.eu-central-1.amazonaws.com/123456789012/platform-orders.fifo',
          },
          { kind: 'iam-role', path: 'config.roleArn', value: 'arn:aws:iam::210987654321:role/herald-sender' },
        ],
        policy,
      ),
    ).resolves.toBeUndefined();
  });

  it.each([
    [
      'a queue outside sqsQueueArns',
      {
        kind: 'sqs-queue',
        path: 'config.queueUrl',
        value: 'https://sqs.eu-west-1.amazonaws.com/123456789012/platform-x',
      },
      refusal(
        'config.queueUrl',
        'arn:aws:sqs:eu-west-1:123456789012:platform-x is not among the SQS queues this stack allows (sqsQueueArns)',
      ),
    ],
    [
      "an emulator's queue URL on a stack without allowPrivateTargets",
      { kind: 'sqs-queue', path: 'config.queueUrl', value: 'http://localhost:4566/123456789012/platform-x' },
      refusal('config.queueUrl', 'must be an SQS queue URL'),
    ],
    [
      'a bus outside eventBusArns',
      {
        kind: 'event-bus',
        path: 'config.eventBusArn',
        value: 'arn:aws:events:eu-central-1:999999999999:event-bus/x',
      },
      refusal('config.eventBusArn', '(eventBusArns)'),
    ],
    [
      "the stack's own ingest bus, even though eventBusArns matches it",
      { kind: 'event-bus', path: 'config.eventBusArn', value: INGEST_BUS },
      refusal('config.eventBusArn', 'a loop'),
    ],
    [
      'a role outside assumableRoleArns',
      { kind: 'iam-role', path: 'config.roleArn', value: 'arn:aws:iam::210987654321:role/admin' },
      refusal('config.roleArn', '(assumableRoleArns)'),
    ],
  ] as const)('refuses %s with a 400 naming the field', async (_what, target, expected) => {
    // Act
    const attempt = validateTargets([target], policy);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject(expected);
  });

  it('says which prop to set when the stack allows none', async () => {
    const none: TargetPolicy = { ...policy, sqsQueueArns: [], eventBusArns: [], assumableRoleArns: [] };
    await expect(
      validateTargets(
        [{ kind: 'iam-role', path: 'config.roleArn', value: 'arn:aws:iam::210987654321:role/herald-x' }],
        none,
      ),
    ).rejects.toMatchObject(refusal('config.roleArn', 'list them in the assumableRoleArns prop'));
    await expect(
      validateTargets(
        [
          {
            kind: 'sqs-queue',
            path: 'config.queueUrl',
            value: 'https://sqs.eu-central-1.amazonaws.com/123456789012/platform-x',
          },
        ],
        none,
      ),
    ).rejects.toMatchObject(refusal('config.queueUrl', 'list them in the sqsQueueArns prop'));
  });

  it("reads an emulator's queue URL in the stack's region when private targets are allowed", async () => {
    const local: TargetPolicy = { ...policy, allowPrivateTargets: true };
    await expect(
      validateTargets(
        [
          {
            kind: 'sqs-queue',
            path: 'config.queueUrl',
            value: 'http://localhost:4566/123456789012/platform-x',
          },
        ],
        local,
      ),
    ).resolves.toBeUndefined();
  });
});

describe('saving sqs and eventbridge channels', () => {
  it('saves an sqs channel within the allow-lists and shows its settings, with no secret', async () => {
    // Prepare
    const { admin } = adminWithFakes();

    // Act
    const written = await admin.put(
      putRequest('orders', {
        type: 'sqs',
        config: {
          queueUrl: 'https://sqs.eu-central-1.amazonaws.com/210987654321/orders.fifo',
          roleArn: 'arn:aws:iam::210987654321:role/herald-sender',
          externalId: 'herald-ops',
        },
      }),
      false,
      NOW,
    );

    // Assess
    expect(written).toMatchObject({
      kind: 'written',
      view: {
        type: 'sqs',
        target: 'sqs orders.fifo (eu-central-1) as herald-sender',
        config: { externalId: 'herald-ops' },
      },
    });
  });

  it('refuses an sqs channel whose queue is outside sqsQueueArns with a 400 naming config.queueUrl', async () => {
    // Prepare
    const { admin, records } = adminWithFakes({ targets: { sqsQueueArns: ['arn:aws:sqs:*:*:herald-*'] } });

    // Act
    const attempt = admin.put(
      putRequest('orders', {
        type: 'sqs',
        config: { queueUrl: 'https://sqs.eu-central-1.amazonaws.com/210987654321/orders' },
      }),
      false,
      NOW,
    );

    // Assess
    await expect(attempt).rejects.toMatchObject(refusal('config.queueUrl', /sqsQueueArns/));
    expect(records.size).toBe(0);
  });

  it('refuses an eventbridge channel putting on the bus Herald ingests from', async () => {
    // Prepare
    const { admin } = adminWithFakes({ targets: { ingestBusArns: [INGEST_BUS] } });

    // Act
    const attempt = admin.put(
      putRequest('loop', { type: 'eventbridge', config: { eventBusArn: INGEST_BUS } }),
      false,
      NOW,
    );

    // Assess
    await expect(attempt).rejects.toMatchObject(refusal('config.eventBusArn', 'a loop'));
  });

  it('refuses an sqs group id on a standard queue with the field path', async () => {
    const { admin } = adminWithFakes();
    await expect(
      admin.put(
        putRequest('orders', {
          type: 'sqs',
          config: {
            queueUrl: 'https://sqs.eu-central-1.amazonaws.com/210987654321/orders',
            messageGroupId: '{{source}}',
          },
        }),
        false,
        NOW,
      ),
    ).rejects.toMatchObject({ status: 400, details: [{ path: 'config.messageGroupId' }] });
  });
});
