/**
 * The secret scan run after every integration and chaos test (from the global setup's teardown):
 * every secret value the emulator's Secrets Manager holds (channel secrets Herald wrote, secrets the
 * tests own and referenced) must appear in none of the functions' log lines, the state table (attempt
 * records, dead jobs, audit entries), the dead-letter queues, or the admin API responses the tests
 * received; and no API key (`hk_` + 43 characters) may appear in them either. Every log line of
 * Herald's functions must also be one JSON object: a log entry with level, message, timestamp and
 * service, or a metrics line (CloudWatch embedded metric format). And every line of the router and
 * the deliver function about an event or a delivery must carry its correlation id.
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

/** A function's log line as one JSON object (a prefix before it, such as the emulator's, is skipped). */
const entryOf = (line: string): Record<string, unknown> | undefined => {
  try {
    const entry: unknown = JSON.parse(line.slice(line.indexOf('{')));
    return typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * A line as Powertools writes it: a log entry with level, message, time and service, or a metrics
 * line in the embedded metric format (`_aws.CloudWatchMetrics`, with the service as a dimension).
 */
const isStructured = (line: string): boolean => {
  const entry = entryOf(line);
  if (entry === undefined) return false;
  const metrics = (entry._aws as { CloudWatchMetrics?: unknown } | undefined)?.CloudWatchMetrics;
  if (Array.isArray(metrics)) return typeof entry.service === 'string';
  return ['level', 'message', 'timestamp', 'service'].every((field) => typeof entry[field] === 'string');
};

/**
 * What a line about an event or a delivery must carry as `correlationId`, by service: the event id in
 * the router, the delivery id in the deliver function (see `correlated` in `shared/runtime/log.ts`).
 */
const CORRELATION_IDS: Readonly<Record<string, 'eventId' | 'deliveryId'>> = {
  'herald-router': 'eventId',
  'herald-deliver': 'deliveryId',
};

/**
 * Checks the router's and the deliver function's log entries that name an event or a delivery (an
 * `eventId` or a `deliveryId` field): each must carry `correlationId`, equal to the field that service
 * correlates by when the line has it. Returns how many lines were checked, and one finding per
 * service and message that broke the rule.
 */
export const checkCorrelationIds = (lines: readonly string[]): { checked: number; findings: string[] } => {
  let checked = 0;
  const broken = new Map<string, number>();
  for (const line of lines) {
    const entry = entryOf(line);
    const service = typeof entry?.service === 'string' ? entry.service : undefined;
    const key = service === undefined ? undefined : CORRELATION_IDS[service];
    if (entry === undefined || key === undefined || typeof entry.message !== 'string') continue;
    if (entry.eventId === undefined && entry.deliveryId === undefined) continue;
    checked += 1;
    const expected = entry[key];
    const { correlationId } = entry;
    if (typeof correlationId === 'string' && (expected === undefined || correlationId === expected)) continue;
    const where = `${service} "${entry.message}"`;
    broken.set(where, (broken.get(where) ?? 0) + 1);
  }
  const findings = [...broken].map(
    ([where, count]) => `function logs: ${count} line(s) of ${where} without their correlationId`,
  );
  return { checked, findings };
};

export interface ScanReport {
  readonly secrets: number;
  readonly haystacks: Readonly<Record<string, number>>;
  /** Router and deliver lines about an event or a delivery whose correlation id was checked. */
  readonly correlatedLines: number;
  /** Where a secret was found (the secret itself is never printed: its first 4 characters and length). */
  readonly findings: string[];
}

/**
 * Scans everything (see the file's header). `logFrom` is the emulator log's size in bytes when the run
 * began: the correlation ids are checked on the lines written since (the log is appended to across
 * runs, and older lines may come from older code); secrets and structure on the whole log.
 */
export const scanForSecrets = async (
  outputs: Readonly<Record<string, string>>,
  logFrom = 0,
): Promise<ScanReport> => {
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
  const emulatorLog = existsSync(EMULATOR_LOG) ? readFileSync(EMULATOR_LOG) : Buffer.alloc(0);
  const functionLines = (text: string) =>
    text.split('\n').filter((line) => line.includes('"service":"herald-') || line.includes('[lambda]'));
  const logLines = functionLines(emulatorLog.toString('utf8'));
  // A log shorter than at the start was replaced meanwhile: all of it is this run's.
  const thisRun = emulatorLog.subarray(logFrom <= emulatorLog.length ? logFrom : 0);
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
  const correlation = checkCorrelationIds(functionLines(thisRun.toString('utf8')));
  findings.push(...correlation.findings);
  return {
    secrets: values.size,
    haystacks: Object.fromEntries([...haystacks].map(([where, texts]) => [where, texts.length])),
    correlatedLines: correlation.checked,
    findings,
  };
};
