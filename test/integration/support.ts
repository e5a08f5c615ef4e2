import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { apiUrl, ROOT, useEmulator } from '../../scripts/lib/local-aws.ts';
import type { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { signedFetch } from '../../scripts/lib/signed-fetch.ts';
import { StateRepository } from '../../shared/aws/state-repository.ts';
import { newSigningSecret } from '../../shared/channels/webhook/index.ts';
import type { PolicyInput } from '../../shared/domain/policy.ts';
import { captureResponse } from './secret-scan.ts';

const endpoint = inject('endpoint');
const outputs = inject('outputs');
useEmulator(endpoint);

export const output = (name: string): string => {
  const value = outputs[name];
  if (value === undefined) throw new Error(`stack output ${name} is missing`);
  return value;
};

const sqs = new SQSClient({});
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const eventBridge = new EventBridgeClient({});

/** How long a config change takes to reach the functions (the test stack caches config for 1 s). */
const CONFIG_PROPAGATION_MS = 1500;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `herald …` as a user does, against the test stack on the emulator. Asynchronously: receivers
 * answering its test-sends may live in the calling process.
 */
export const herald = (
  ...args: string[]
): Promise<{ status: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'herald.mjs'), ...args, '--local'],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, HERALD_STACK: 'HeraldTest' } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ status: code, stdout, stderr });
      },
    );
  });

/** A unique suffix so tests never see each other's channels, policies or events. */
export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** POSTs a body to the IAM ingest route (`/v1/iam/events` unless `path` says otherwise), signed with SigV4. */
export const postEvents = async (
  body: unknown,
  options: { path?: string; contentType?: string; raw?: string } = {},
): Promise<{ status: number; json: unknown }> => {
  const response = await signedFetch({
    method: 'POST',
    url: apiUrl(endpoint, outputs, options.path ?? '/v1/iam/events'),
    headers: { 'content-type': options.contentType ?? 'application/json' },
    body: options.raw ?? JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json };
};

/** Puts one event on the test stack's EventBridge bus; returns its EventBridge id. */
export const putEvent = async (entry: {
  source: string;
  detailType: string;
  detail: unknown;
}): Promise<string> => {
  const result = await eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: output('EventBusName'),
          Source: entry.source,
          DetailType: entry.detailType,
          Detail: JSON.stringify(entry.detail),
        },
      ],
    }),
  );
  const id = result.Entries?.[0]?.EventId;
  if (result.FailedEntryCount || id === undefined) throw new Error('PutEvents failed');
  return id;
};

export interface ApiResult {
  readonly status: number;
  readonly json: unknown;
  readonly headers: Headers;
  readonly text: string;
}

/** POSTs to `/v1/events` with an optional API key, unsigned, as a producer with a key does. */
export const postWithKey = async (
  body: unknown,
  key: string | undefined,
): Promise<{ status: number; text: string }> => {
  const response = await fetch(apiUrl(endpoint, outputs, '/v1/events'), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
};

/** Calls an admin route, signed with SigV4 as the IAM-authorized routes require. */
export const admin = async (
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResult> => {
  const response = await signedFetch({
    method,
    url: apiUrl(endpoint, outputs, path),
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  captureResponse(method, path, text);
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json, headers: response.headers, text };
};

/** Waits until the functions' config caches have certainly expired. */
export const configPropagated = () => sleep(CONFIG_PROPAGATION_MS);

/**
 * Creates, through the admin API, a webhook channel pointing at `path` on the receiver and a policy
 * sending `eventType` to it; registers the channel's signing secret with the receiver.
 */
export const webhookRoute = async (
  receiver: WebhookReceiver,
  options: {
    eventType: string;
    path: string;
    responder?: Parameters<WebhookReceiver['expect']>[2];
    policy?: Partial<PolicyInput>;
    /** More channel fields (`retry`, `rateLimit`…). */
    channel?: Record<string, unknown>;
  },
): Promise<{ channelId: string; policyId: string }> => {
  const channelId = unique('ch');
  const policyId = unique('pol');
  const signingSecret = newSigningSecret();
  const channel = await admin('PUT', `/v1/channels/${channelId}`, {
    type: 'webhook',
    config: { url: receiver.url(options.path), signingSecret },
    ...options.channel,
  });
  if (channel.status !== 201) throw new Error(`creating channel failed: ${channel.status} ${channel.text}`);
  const policy = await admin('PUT', `/v1/policies/${policyId}`, {
    events: [options.eventType],
    channels: [channelId],
    ...options.policy,
  });
  if (policy.status !== 201) throw new Error(`creating policy failed: ${policy.status} ${policy.text}`);
  receiver.expect(options.path, signingSecret, options.responder);
  await configPropagated();
  return { channelId, policyId };
};

/** Reads the delivery's state and attempts from the state table. */
export const deliveryRecords = (deliveryId: string) =>
  new StateRepository(db, output('StateTableName'), 0).getDelivery(deliveryId);

/** Writes an item straight into the state table (used to plant a record written by an older Herald). */
export const putStateItem = async (item: Record<string, unknown>): Promise<void> => {
  await db.send(new PutCommand({ TableName: output('StateTableName'), Item: item }));
};

/** Puts a message on a queue (used to plant a dead letter). */
export const sendToQueue = async (
  queueUrlOutput: string,
  body: string,
  attributes?: Message['MessageAttributes'],
): Promise<void> => {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: output(queueUrlOutput),
      MessageBody: body,
      ...(attributes === undefined ? {} : { MessageAttributes: attributes }),
    }),
  );
};

/** Waits for a message on a dead-letter queue whose body contains `needle`; removes it. */
export const waitForDeadLetter = async (
  queueUrlOutput: string,
  needle: string,
  timeoutMs: number,
): Promise<Message> => {
  const deadline = Date.now() + timeoutMs;
  const queueUrl = output(queueUrlOutput);
  while (Date.now() < deadline) {
    const result = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const found = result.Messages?.find((message) => message.Body?.includes(needle));
    if (found) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: found.ReceiptHandle }));
      return found;
    }
  }
  throw new Error(`no dead letter containing ${needle} within ${timeoutMs} ms`);
};

/** A dead delivery as `GET /v1/events/{id}` shows it, with the job Herald kept for a redrive. */
export interface DeadDelivery {
  readonly deliveryId: string;
  readonly channelId: string;
  readonly reason: string;
  /** The job as it will be redriven (JSON). */
  readonly job: string;
}

/** Waits until one of the event's deliveries is dead (as users see it, through the admin API). */
export const waitForDead = async (eventId: string, timeoutMs: number): Promise<DeadDelivery> => {
  const deadline = Date.now() + timeoutMs;
  const state = new StateRepository(db, output('StateTableName'), 0);
  while (Date.now() < deadline) {
    const shown = await admin('GET', `/v1/events/${eventId}`);
    const deliveries =
      shown.status === 200
        ? (
            shown.json as {
              deliveries: { deliveryId: string; channelId: string; status: string; reason?: string }[];
            }
          ).deliveries
        : [];
    const dead = deliveries.find((delivery) => delivery.status === 'dead');
    if (dead !== undefined) {
      const job = (await state.getDeadJob(dead.deliveryId)) ?? '';
      return { deliveryId: dead.deliveryId, channelId: dead.channelId, reason: dead.reason ?? '', job };
    }
    await sleep(250);
  }
  throw new Error(`no dead delivery of ${eventId} within ${timeoutMs} ms`);
};

/** A redrive's answer or progress. */
export interface RedriveProgress {
  readonly id?: string;
  readonly status?: 'running' | 'done';
  readonly redriven: number;
  readonly skipped: number;
}

/**
 * `POST /v1/dead-letters/redrive`, then, for a redrive that goes on in the background (`202`), its
 * progress until it is done, as the CLI does. Returns the first answer's status and the final progress.
 */
export const redriveAndWait = async (
  body: Record<string, unknown>,
  timeoutMs = 60_000,
): Promise<{ status: number; result: RedriveProgress }> => {
  const started = await admin('POST', '/v1/dead-letters/redrive', body);
  let result = started.json as RedriveProgress;
  const deadline = Date.now() + timeoutMs;
  while (result.status === 'running' && result.id !== undefined && Date.now() < deadline) {
    await sleep(500);
    result = (await admin('GET', `/v1/dead-letters/redrives/${result.id}`)).json as RedriveProgress;
  }
  return { status: started.status, result };
};
