import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { DeliveryJob } from '#shared/domain/jobs.ts';
import { parseIngestRequest } from '#shared/ingest/ingest.ts';
import { readIngestMessage } from '#shared/route/router.ts';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8')) as T;

describe('sample events for SAM users (test/fixtures/events)', () => {
  it('holds an HTTP API request the ingest function accepts', () => {
    const request = fixture<APIGatewayProxyEventV2>('api-ingest-single.json');
    const events = parseIngestRequest({ contentType: request.headers['content-type'], body: request.body });
    expect(events).toHaveLength(1);
  });

  it('holds an EventBridge event on SQS that the router reads as an envelope', () => {
    const record = fixture<SQSEvent>('sqs-router-eventbridge.json').Records[0];
    const event = readIngestMessage(record?.body ?? '', new Date(), () => 'unused');
    expect(event).toMatchObject({
      type: 'deploy.finished',
      source: 'ci',
      attributes: { environment: 'production' },
    });
  });

  it('holds a delivery job the deliver function parses', () => {
    const record = fixture<SQSEvent>('sqs-deliver-job.json').Records[0];
    expect(DeliveryJob.safeParse(JSON.parse(record?.body ?? '')).success).toBe(true);
  });
});
