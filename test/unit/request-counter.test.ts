import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { counted, countRequests, partitionOf, RequestCounter } from '#shared/runtime/request-counter.ts';
import { type LocalServer, startLocalServer } from './support.ts';

const clientConfig = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 3,
});

describe('RequestCounter', () => {
  let server: LocalServer;
  beforeEach(async () => {
    server = await startLocalServer();
    server.respond = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
    };
  });
  afterEach(() => server.close());

  it('counts requests by service, operation and DynamoDB partition through a document client', async () => {
    // Prepare
    const counter = new RequestCounter();
    const db = DynamoDBDocumentClient.from(counter.attach(new DynamoDBClient(clientConfig(server.url))));
    const sqs = counter.attach(new SQSClient(clientConfig(server.url)));

    // Act
    await db.send(new PutCommand({ TableName: 't', Item: { pk: 'event#e1', sk: 'event' } }));
    await db.send(new PutCommand({ TableName: 't', Item: { pk: 'event#e2', sk: 'event' } }));
    await db.send(new GetCommand({ TableName: 'c', Key: { kind: 'meta', id: 'generation' } }));
    await db.send(
      new QueryCommand({
        TableName: 'c',
        KeyConditionExpression: 'kind = :kind',
        ExpressionAttributeValues: { ':kind': 'policy' },
      }),
    );
    await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: `${server.url}/q`, Entries: [{ Id: 'a', MessageBody: 'x' }] }),
    );
    const tallies = counter.drain();

    // Assess
    expect(Object.fromEntries(Object.entries(tallies).map(([key, tally]) => [key, tally.requests]))).toEqual({
      'DynamoDB.PutItem(event)': 2,
      'DynamoDB.GetItem(meta)': 1,
      'DynamoDB.Query(policy)': 1,
      'SQS.SendMessageBatch': 1,
    });
    expect(tallies['SQS.SendMessageBatch']?.bytes).toBeGreaterThan(0);
    expect(counter.drain()).toEqual({});
  });

  it('counts each retried attempt as a request', async () => {
    // Prepare: the first attempt fails with a throttle, the second succeeds
    const counter = new RequestCounter();
    const sqs = counter.attach(new SQSClient(clientConfig(server.url)));
    let calls = 0;
    server.respond = (_request, response) => {
      calls += 1;
      if (calls === 1) {
        response
          .writeHead(500, { 'content-type': 'application/x-amz-json-1.0' })
          .end('{"__type":"InternalError"}');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
    };

    // Act
    await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: `${server.url}/q`, Entries: [{ Id: 'a', MessageBody: 'x' }] }),
    );

    // Assess
    expect(counter.drain()['SQS.SendMessageBatch']?.requests).toBe(2);
  });
});

describe('partitionOf', () => {
  it('reads the state table prefix from a marshalled key', () => {
    expect(partitionOf({ Key: { pk: { S: 'delivery#d1' }, sk: { S: 'delivery' } } })).toBe('delivery');
  });

  it('reads the config kind of a query', () => {
    expect(partitionOf({ ExpressionAttributeValues: { ':kind': { S: 'channel' } } })).toBe('channel');
  });

  it('has none for a request without a key', () => {
    expect(partitionOf({ TableName: 't' })).toBeUndefined();
  });
});

describe('counting switched off', () => {
  it('leaves clients untouched and its middleware does nothing', () => {
    // Prepare
    const client = new SQSClient({ region: 'us-east-1' });
    const before = client.middlewareStack.identify().length;

    // Act
    const same = counted(client);

    // Assess
    expect(same).toBe(client);
    expect(client.middlewareStack.identify().length).toBe(before);
  });

  it('still gives middy a middleware it accepts, and logs nothing', async () => {
    // Prepare
    const logged: string[] = [];
    const handler = middy(async () => 'done').use(countRequests({ info: (message) => logged.push(message) }));

    // Act
    const result = await handler({}, { memoryLimitInMB: '256' } as Context);

    // Assess
    expect(result).toBe('done');
    expect(logged).toEqual([]);
  });
});
