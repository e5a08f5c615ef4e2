/**
 * The secret scan run after every integration and chaos test (from the global setup's teardown):
 * every secret value the emulator's Secrets Manager holds (channel secrets Herald wrote, secrets the
 * tests own and referenced) must appear in none of the functions' log lines, the state table (attempt
 * records, dead jobs, audit entries), the dead-letter queues, or the admin API responses the tests
 * received; and no API key (`hk_` + 43 characters) may appear in them either. Every log line of
 * Herald's functions must also be one JSON object with level, message, timestamp and service.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetSecretValueCommand,
  paginateListSecrets,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { EMULATOR_LOG, LOCAL_DIR } from '../../scripts/lib/local-aws.ts';

/** Admin API responses the tests received (but the one route whose job is to show a secret). */
export const API_RESPONSES_FILE = join(LOCAL_DIR, 'test-api-responses.log');

/** Records an admin response for the scan; the signing-secret read and a new key's one showing are left out. */
export const captureResponse = (method: string, path: string, text: string): void => {
  if (path.includes('/signing-secret') || (method === 'POST' && path.startsWith('/v1/api-keys'))) return;
  appendFileSync(API_RESPONSES_FILE, `${method} ${path}\n${text}\n`);
};

const API_KEY = /(?<![A-Za-z0-9_-])hk_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;
/** Shorter strings (a port, `POST`, a username like `herald`) are not secrets worth scanning for. */
const MIN_SECRET_LENGTH = 12;

/** Every string leaf of a secret's JSON value that looks like a secret (not a date). */
const secretStrings = (value: unknown): string[] => {
  if (typeof value === 'string') {
    return value.length >= MIN_SECRET_LENGTH && Number.isNaN(Date.parse(value)) ? [value] : [];
  }
  if (Array.isArray(value)) return value.flatMap(secretStrings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(secretStrings);
  return [];
};

const parsed = (text: string | undefined): unknown => {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return text;
  }
};

/** A function's log line as Powertools writes it: one JSON object with level, message, time and service. */
const isStructured = (line: string): boolean => {
  try {
    const entry = JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>;
    return ['level', 'message', 'timestamp', 'service'].every((field) => typeof entry[field] === 'string');
  } catch {
    return false;
  }
};

export interface ScanReport {
  readonly secrets: number;
  readonly haystacks: Readonly<Record<string, number>>;
  /** Where a secret was found (the secret itself is never printed: its first 4 characters and length). */
  readonly findings: string[];
}

export const scanForSecrets = async (outputs: Readonly<Record<string, string>>): Promise<ScanReport> => {
  const secretsManager = new SecretsManagerClient({});
  const values = new Set<string>();
  for await (const page of paginateListSecrets({ client: secretsManager }, {})) {
    for (const entry of page.SecretList ?? []) {
      const secret = await secretsManager.send(
        new GetSecretValueCommand({ SecretId: entry.ARN ?? entry.Name }),
      );
      for (const value of secretStrings(parsed(secret.SecretString))) values.add(value);
    }
  }

  const haystacks = new Map<string, string[]>();
  const logLines = existsSync(EMULATOR_LOG)
    ? readFileSync(EMULATOR_LOG, 'utf8')
        .split('\n')
        .filter((line) => line.includes('"service":"herald-') || line.includes('[lambda]'))
    : [];
  haystacks.set('function logs', logLines);

  const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const items: string[] = [];
  for (const table of [outputs.StateTableName, outputs.ConfigTableName]) {
    for await (const page of paginateScan({ client: db }, { TableName: table })) {
      for (const item of page.Items ?? []) items.push(JSON.stringify(item));
    }
  }
  haystacks.set('table items', items);

  const sqs = new SQSClient({});
  const messages: string[] = [];
  for (const queue of [outputs.DeliveryDeadLetterQueueUrl, outputs.IngestDeadLetterQueueUrl]) {
    for (let round = 0; round < 20; round += 1) {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 60,
          MessageAttributeNames: ['All'],
        }),
      );
      if ((received.Messages ?? []).length === 0) break;
      for (const message of received.Messages ?? []) messages.push(JSON.stringify(message));
    }
  }
  haystacks.set('dead-letter messages', messages);
  haystacks.set(
    'admin API responses',
    existsSync(API_RESPONSES_FILE) ? readFileSync(API_RESPONSES_FILE, 'utf8').split('\n') : [],
  );

  const findings: string[] = [];
  for (const [where, texts] of haystacks) {
    for (const secret of values) {
      const hit = texts.find((text) => text.includes(secret));
      if (hit !== undefined)
        findings.push(`${where}: a secret (${secret.slice(0, 4)}…, ${secret.length} chars)`);
    }
    const keys = texts.flatMap((text) => text.match(API_KEY) ?? []);
    if (keys.length > 0) findings.push(`${where}: ${keys.length} API key(s)`);
  }
  const unstructured = logLines.filter((line) => line.includes('"service":"herald-') && !isStructured(line));
  if (unstructured.length > 0) {
    findings.push(
      `function logs: ${unstructured.length} line(s) of Herald's that are not one JSON object each`,
    );
  }
  return {
    secrets: values.size,
    haystacks: Object.fromEntries([...haystacks].map(([where, texts]) => [where, texts.length])),
    findings,
  };
};
