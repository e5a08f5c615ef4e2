/**
 * The AWS destinations through the deployed stack: `sqs` channels to a standard and a FIFO queue (and
 * through an assumed role), an `eventbridge` channel to a second bus whose rule feeds a queue, targets
 * outside the stack's allow-lists refused when saved, and a deleted queue disabling its channel with
 * the operational event. Queues and buses are made here, named `herald-test-*` as the test stack allows
 * (`sqsQueueArns`, `eventBusArns`, `assumableRoleArns` in global-setup.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { admin, configPropagated, herald, output, postEvents, unique, webhookRoute } from './support.ts';

const DELIVERY_TIMEOUT_MS = 30_000;
const ACCOUNT = '000000000000';
/** Within the test stack's `assumableRoleArns`; the emulator does not check trust policies (AUTH off). */
const SENDER_ROLE = `arn:aws:iam::${ACCOUNT}:role/herald-test-sender`;

const run = unique('aws');
const sqs = new SQSClient({});
const eventBridge = new EventBridgeClient({});
const receiver = new WebhookReceiver();

/** Queues and buses made here, removed afterwards. */
const queues = { standard: '', fifo: '', fromBus: '', doomed: '' };
let busArn = '';
const busName = `herald-test-${run}-bus`;
/** What `herald apply` printed when it created the channels (see beforeAll). */
let applyOutput = '';
const ruleName = `herald-test-${run}-to-queue`;

const ids = {
  standard: `${run}-std`,
  fifo: `${run}-fifo`,
  role: `${run}-role`,
  bus: `${run}-bus`,
  doomed: `${run}-doomed`,
};

const createQueue = async (name: string, fifo = false): Promise<string> => {
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      ...(fifo ? { Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'false' } } : {}),
    }),
  );
  if (created.QueueUrl === undefined) throw new Error(`no URL for queue ${name}`);
  return created.QueueUrl;
};

const queueArnOf = async (queueUrl: string): Promise<string> => {
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = attributes.Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`no ARN for ${queueUrl}`);
  return arn;
};

/** Everything received from each queue so far (received messages are deleted). */
const received = new Map<string, Message[]>();

/** Waits for a message on the queue that `matches`; keeps the others for later waits. */
const waitForMessage = async (
  queueUrl: string,
  matches: (message: Message) => boolean,
  timeoutMs = DELIVERY_TIMEOUT_MS,
): Promise<Message> => {
  const seen = received.get(queueUrl) ?? [];
  received.set(queueUrl, seen);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = seen.find(matches);
    if (found !== undefined) return found;
    const result = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    for (const message of result.Messages ?? []) {
      seen.push(message);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
  throw new Error(`no matching message on ${queueUrl} within ${timeoutMs} ms`);
};

/** A message whose JSON body is the delivery of an event of `type`. */
const bodyOf = (message: Message) => JSON.parse(message.Body ?? '{}') as Record<string, unknown>;
const ofType = (type: string) => (message: Message) => {
  try {
    const body = bodyOf(message);
    return body.type === type || (body.detail as { type?: unknown } | undefined)?.type === type;
  } catch {
    return false;
  }
};

/** Creates a channel and a policy sending `eventType` to it, through the admin API. */
const route = async (channelId: string, eventType: string, channel: Record<string, unknown>) => {
  const saved = await admin('PUT', `/v1/channels/${channelId}`, channel);
  if (saved.status !== 201) throw new Error(`creating ${channelId} failed: ${saved.status} ${saved.text}`);
  const policy = await admin('PUT', `/v1/policies/${channelId}`, {
    events: [eventType],
    channels: [channelId],
  });
  if (policy.status !== 201) throw new Error(`creating policy ${channelId} failed: ${policy.text}`);
};

beforeAll(async () => {
  await receiver.start();
  queues.standard = await createQueue(`herald-test-${run}-std`);
  queues.fifo = await createQueue(`herald-test-${run}-orders.fifo`, true);
  queues.fromBus = await createQueue(`herald-test-${run}-from-bus`);
  queues.doomed = await createQueue(`herald-test-${run}-doomed`);

  // A second bus (not the stack's own), whose rule puts what Herald sends there on a queue.
  const bus = await eventBridge.send(new CreateEventBusCommand({ Name: busName }));
  busArn = bus.EventBusArn ?? '';
  await eventBridge.send(
    new PutRuleCommand({
      Name: ruleName,
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: [{ prefix: 'herald.' }] }),
      State: 'ENABLED',
    }),
  );
  await eventBridge.send(
    new PutTargetsCommand({
      Rule: ruleName,
      EventBusName: busName,
      Targets: [{ Id: 'queue', Arn: await queueArnOf(queues.fromBus) }],
    }),
  );

  // The standard and FIFO queue channels and the bus channel come from a `herald apply` file, as
  // users keep them; the others through the admin API.
  const file = join(mkdtempSync(join(tmpdir(), 'herald-aws-')), 'destinations.yaml');
  const applied = [
    { id: ids.standard, type: 'sqs', config: { queueUrl: queues.standard } },
    {
      id: ids.fifo,
      type: 'sqs',
      config: { queueUrl: queues.fifo, messageGroupId: 'tenant-{{attributes.tenant}}' },
    },
    { id: ids.bus, type: 'eventbridge', config: { eventBusArn: busArn, detailType: 'Herald {{type}}' } },
  ];
  writeFileSync(
    file,
    stringify({
      channels: applied,
      policies: [
        { id: ids.standard, events: [`${run}.std`], channels: [ids.standard] },
        { id: ids.fifo, events: [`${run}.fifo`], channels: [ids.fifo] },
        { id: ids.bus, events: [`${run}.bus`], channels: [ids.bus] },
      ],
    }),
  );
  const apply = await herald('apply', '-f', file);
  if (apply.status !== 0) throw new Error(`herald apply failed: ${apply.stderr}`);
  applyOutput = apply.stdout;
  await route(ids.role, `${run}.role`, {
    type: 'sqs',
    config: { queueUrl: queues.standard, roleArn: SENDER_ROLE, externalId: `ext-${run}` },
  });
  await route(ids.doomed, `${run}.doomed`, { type: 'sqs', config: { queueUrl: queues.doomed } });
  await configPropagated();
});

afterAll(async () => {
  await receiver.stop();
  await eventBridge
    .send(new RemoveTargetsCommand({ Rule: ruleName, EventBusName: busName, Ids: ['queue'] }))
    .catch(() => undefined);
  await eventBridge
    .send(new DeleteRuleCommand({ Name: ruleName, EventBusName: busName }))
    .catch(() => undefined);
  await eventBridge.send(new DeleteEventBusCommand({ Name: busName })).catch(() => undefined);
  for (const queueUrl of [queues.standard, queues.fifo, queues.fromBus]) {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
  }
});

describe('sqs channels', () => {
  it('are created by herald apply, like any channel', () => {
    expect(applyOutput).toContain(`+ channel ${ids.standard} (create)`);
    expect(applyOutput).toContain(`+ channel ${ids.fifo} (create)`);
    expect(applyOutput).toContain(`+ channel ${ids.bus} (create)`);
  });

  it('send the webhook body to a standard queue with type, severity and source as message attributes', async () => {
    // Act
    const response = await postEvents({
      type: `${run}.std`,
      source: 'checkout',
      subject: 'Checkout is slow',
      severity: 'warning',
      attributes: { environment: 'production' },
      data: { p99Ms: 2300 },
    });

    // Assess
    expect(response.status).toBe(202);
    const eventId = (response.json as { events: { id: string }[] }).events[0]?.id;
    const message = await waitForMessage(queues.standard, ofType(`${run}.std`));
    expect(bodyOf(message)).toMatchObject({
      id: eventId,
      type: `${run}.std`,
      source: 'checkout',
      subject: 'Checkout is slow',
      severity: 'warning',
      attributes: { environment: 'production' },
      data: { p99Ms: 2300 },
      herald: { channel: ids.standard, attempt: 1, policy: ids.standard, deliveryId: expect.any(String) },
    });
    expect(message.MessageAttributes).toMatchObject({
      type: { DataType: 'String', StringValue: `${run}.std` },
      severity: { DataType: 'String', StringValue: 'warning' },
      source: { DataType: 'String', StringValue: 'checkout' },
    });
    // The attempt log keeps the MessageId SQS answered (the record is written just after the send).
    const deadline = Date.now() + 10_000;
    let attempts: { outcome: string; messageId?: string }[] = [];
    while (Date.now() < deadline) {
      const shown = (await admin('GET', `/v1/events/${eventId}`)).json as {
        deliveries: { attempts: { outcome: string; messageId?: string }[] }[];
      };
      attempts = shown.deliveries[0]?.attempts ?? [];
      if (attempts.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(attempts).toMatchObject([{ outcome: 'delivered', messageId: message.MessageId }]);
  });

  it('give a FIFO queue the templated message group and the delivery id as deduplication id', async () => {
    // Act
    await postEvents({
      type: `${run}.fifo`,
      source: 'billing',
      subject: 'Invoice paid',
      attributes: { tenant: 'acme' },
    });

    // Assess
    const message = await waitForMessage(queues.fifo, ofType(`${run}.fifo`));
    const body = bodyOf(message) as { herald: { deliveryId: string } };
    expect(message.Attributes?.MessageGroupId).toBe('tenant-acme');
    expect(message.Attributes?.MessageDeduplicationId).toBe(body.herald.deliveryId);
    expect(message.MessageAttributes?.source?.StringValue).toBe('billing');
  });

  it('send as the channel role (AssumeRole with the external id) and report the MessageId on a test-send', async () => {
    // Act
    const tested = await admin('POST', `/v1/channels/${ids.role}/test`);
    await postEvents({ type: `${run}.role`, source: 'checkout', subject: 'Sent as a role' });

    // Assess
    expect(tested.status).toBe(200);
    expect(tested.json).toMatchObject({ ok: true, status: 200, error: null, messageId: expect.any(String) });
    const messageId = (tested.json as { messageId: string }).messageId;
    const test = await waitForMessage(queues.standard, (message) => message.MessageId === messageId);
    expect(bodyOf(test)).toMatchObject({ type: 'herald.test', herald: { channel: ids.role } });
    const delivered = await waitForMessage(queues.standard, ofType(`${run}.role`));
    expect(bodyOf(delivered)).toMatchObject({ subject: 'Sent as a role', herald: { channel: ids.role } });
  });
});

describe('eventbridge channels', () => {
  it('put the envelope as detail on a second bus, whose rule sends it on to a queue', async () => {
    // Act
    const response = await postEvents({
      type: `${run}.bus`,
      source: 'checkout',
      subject: 'Order placed',
      severity: 'info',
      attributes: { region: 'eu' },
      data: { orderId: 'o-42' },
    });

    // Assess
    const eventId = (response.json as { events: { id: string }[] }).events[0]?.id;
    const message = await waitForMessage(queues.fromBus, ofType(`${run}.bus`));
    expect(bodyOf(message)).toMatchObject({
      'detail-type': `Herald ${run}.bus`,
      source: 'herald.checkout',
      detail: {
        id: eventId,
        type: `${run}.bus`,
        subject: 'Order placed',
        attributes: { region: 'eu' },
        data: { orderId: 'o-42' },
        herald: { channel: ids.bus, attempt: 1 },
      },
    });
  });

  it('report the EventId of a test-send through herald channels test', async () => {
    // Act
    const tested = await herald('--json', 'channels', 'test', ids.bus);

    // Assess
    expect(tested.status, `${tested.stdout}${tested.stderr}`).toBe(0);
    const result = JSON.parse(tested.stdout) as { ok: boolean; messageId?: string };
    expect(result).toMatchObject({ ok: true, error: null, messageId: expect.any(String) });
    const message = await waitForMessage(queues.fromBus, (m) => bodyOf(m).id === result.messageId);
    expect(bodyOf(message)).toMatchObject({
      source: 'herald.herald',
      'detail-type': 'Herald herald.test',
      detail: { type: 'herald.test', herald: { channel: ids.bus } },
    });
  });
});

describe('targets outside the stack allow-lists', () => {
  it.each([
    [
      'a queue not named herald-test-*',
      { type: 'sqs', config: { queueUrl: `http://127.0.0.1:4566/${ACCOUNT}/elsewhere-${run}` } },
      'config.queueUrl',
      /sqsQueueArns/,
    ],
    [
      'a bus not named herald-test-*',
      {
        type: 'eventbridge',
        config: { eventBusArn: `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/elsewhere` },
      },
      'config.eventBusArn',
      /eventBusArns/,
    ],
    [
      "the stack's own ingest bus",
      {
        type: 'eventbridge',
        config: { eventBusArn: `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/${output('EventBusName')}` },
      },
      'config.eventBusArn',
      /loop/,
    ],
    [
      'a role not named herald-test-*',
      {
        type: 'sqs',
        config: {
          queueUrl: `http://127.0.0.1:4566/${ACCOUNT}/herald-test-${run}-std`,
          roleArn: `arn:aws:iam::${ACCOUNT}:role/admin`,
        },
      },
      'config.roleArn',
      /assumableRoleArns/,
    ],
  ])('are refused when saved: %s', async (_what, body, path, message) => {
    // Act
    const channelId = unique('refused');
    const saved = await admin('PUT', `/v1/channels/${channelId}`, body);

    // Assess
    expect(saved.status, saved.text).toBe(400);
    expect(saved.json).toMatchObject({ details: [{ path, message: expect.stringMatching(message) }] });
    expect((await admin('GET', `/v1/channels/${channelId}`)).status).toBe(404);
  });
});

describe('a deleted queue', () => {
  it('disables its channel like a 410 and raises herald.channel.disabled', async () => {
    // Prepare: a watcher for operational events about the doomed channel; the queue goes away.
    const watchPath = `/${unique('watch-queue')}`;
    await webhookRoute(receiver, {
      eventType: 'herald.channel.disabled',
      path: watchPath,
      policy: { match: { channel: ids.doomed } },
    });
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queues.doomed }));

    // Act
    await postEvents({ type: `${run}.doomed`, source: 'checkout', subject: 'Nobody listens' });

    // Assess
    const [told] = await receiver.waitFor(watchPath, 1, DELIVERY_TIMEOUT_MS);
    expect(told?.payload).toMatchObject({
      type: 'herald.channel.disabled',
      source: 'herald',
      attributes: { channel: ids.doomed },
      data: { reason: expect.stringMatching(/QueueDoesNotExist|NonExistentQueue/) },
    });
    const channel = await admin('GET', `/v1/channels/${ids.doomed}`);
    expect(channel.json).toMatchObject({
      enabled: false,
      disabledReason: expect.stringMatching(/QueueDoesNotExist|NonExistentQueue/),
    });
  });
});
