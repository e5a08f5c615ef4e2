/**
 * Cost per million webhook notifications (issue 10), from what `requests.ts` measured on the emulator:
 * AWS requests by function, service and operation, handler durations, memory sizes and bytes logged,
 * priced at us-east-1 list prices. A notification is one webhook delivered (one event to one channel):
 * with 3 channels, a million notifications are a third of a million events. Beside it, the same job
 * done by EventBridge API destinations (`PutEvents` + one API destination invocation per channel) and by
 * SNS HTTPS subscriptions (`Publish` + one HTTP delivery per channel).
 *
 * What the estimate leaves out, or approximates:
 * - durations are the handler's as measured on the emulator (this machine, not Graviton); each
 *   invocation is rounded up by 1 ms for Lambda's 1 ms billing;
 * - the SQS requests Lambda's event source mappings make (billed to the account) are estimated as one
 *   `ReceiveMessage` and one `DeleteMessageBatch` per invocation; idle long polls are a fixed monthly
 *   cost (about $0.30 a month per queue), not per notification;
 * - DynamoDB write units follow {@link writeUnits} (the state table's indexes included), read units
 *   are 1 per read (strongly consistent, items under 4 KiB);
 * - free tiers, volume tiers, storage (DynamoDB, logs) and data transfer out are left out.
 *
 * Run alone: `npx tsx test/bench/cost.ts` (measures with `requests.ts` first).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../scripts/lib/local-aws.ts';
import { type FunctionUsage, measureRequests, printBreakdown, type RequestsResult } from './requests.ts';
import { type BenchRow, isMain, runAlone } from './stack.ts';

/**
 * us-east-1 list prices in USD, as published on the AWS pricing pages (first volume tier, on-demand).
 * Taken from the pricing pages as of 2025 (DynamoDB on-demand after its 1 November 2024 price cut;
 * Lambda, API Gateway, SQS, CloudWatch Logs, EventBridge and SNS unchanged since); not re-read on the
 * day of the run, so re-check them before quoting a figure.
 */
export const PRICES = {
  asOf: '2025 (AWS pricing pages, us-east-1)',
  lambda: {
    /** Per GB-second. */
    gbSecond: { arm64: 0.000_013_333_4, x86_64: 0.000_016_666_7 },
    perMillionRequests: 0.2,
  },
  /** HTTP API, per million requests (each 512 KB counted as one). */
  httpApiPerMillion: 1.0,
  /** Standard queue, per million requests (each 64 KiB chunk counted as one). */
  sqsPerMillion: 0.4,
  dynamoDb: { perMillionWrites: 0.625, perMillionReads: 0.125 },
  /** Provisioned capacity, per unit-hour (unchanged by the 2024 on-demand price cut). */
  dynamoDbProvisioned: { writeUnitHour: 0.000_65, readUnitHour: 0.000_13 },
  /** Per 10,000 API calls. */
  secretsManagerPer10k: 0.05,
  /** Standard log class ingestion, per GB. */
  logsPerGb: 0.5,
  eventBridge: { putEventsPerMillion: 1.0, apiDestinationPerMillion: 0.2 },
  sns: { publishPerMillion: 0.5, httpDeliveryPerMillion: 0.6 },
} as const;

const TARGET_PER_MILLION = 3;
/** The target utilisation priced for a provisioned state table (the `stateTableCapacity` default). */
const PROVISIONED_UTILIZATION = 0.7;

/** DynamoDB prices per million write and read units. */
interface DynamoDbPrices {
  readonly perMillionWrites: number;
  readonly perMillionReads: number;
}

/**
 * The state table provisioned (`stateTableCapacity`) and used at its target utilisation: a unit-hour
 * serves 3,600 requests a second's worth, of which 70 % are used. Steady load only: bursts and idle
 * hours cost more per request.
 */
const PROVISIONED_STATE_TABLE: DynamoDbPrices = {
  perMillionWrites: (PRICES.dynamoDbProvisioned.writeUnitHour * 1e6) / 3600 / PROVISIONED_UTILIZATION,
  perMillionReads: (PRICES.dynamoDbProvisioned.readUnitHour * 1e6) / 3600 / PROVISIONED_UTILIZATION,
};
/** Requests to the config table (channels, policies, the generation), which stays on demand. */
const CONFIG_TABLE = /^DynamoDB\.\w+\((meta|policy|channel)\)/;
const SQS_CHUNK_BYTES = 64 * 1024;
const DYNAMODB_WRITE_UNIT_BYTES = 1024;
/**
 * Index writes per `UpdateItem` of a delivery record. The state table's global secondary indexes hold
 * keys, not records, so an update writes an index only where it puts the record under a key (see
 * `shared/aws/state-repository.ts`). A first attempt begins with a read and no write; the one write
 * of its outcome creates the record: delivered, it enters `byTime` and `byChannel` (2 index writes)
 * and no status index. A retried delivery writes more (its waits enter the status indexes), which the
 * steady-state run measured here does not have.
 */
const DELIVERY_UPDATE_INDEX_WRITES = 2;
const WRITES = /^DynamoDB\.(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems)\b/;
const READS = /^DynamoDB\.(GetItem|Query|Scan|BatchGetItem|TransactGetItems)\b/;
/** Router requests that happen once per event whatever the number of channels. */
const ROUTER_PER_EVENT = /^(SQS\.|DynamoDB\.\w+\((event|meta|policy|channel)\))/;

/** The architectures the bench stack's functions run on (from the synthesized template). */
export const stackArchitectures = (stackName = 'HeraldBench'): string[] => {
  const file = join(ROOT, 'cdk.local.out', `${stackName}.template.json`);
  if (!existsSync(file)) return ['arm64'];
  const template = JSON.parse(readFileSync(file, 'utf8')) as {
    Resources?: Record<string, { Type?: string; Properties?: { Architectures?: string[] } }>;
  };
  const architectures = Object.values(template.Resources ?? {})
    .filter((resource) => resource.Type === 'AWS::Lambda::Function')
    .flatMap((resource) => resource.Properties?.Architectures ?? ['x86_64']);
  return [...new Set(architectures)];
};

/** Dollars by component, for some share of the work. */
type Costs = Record<string, number>;

const add = (costs: Costs, component: string, dollars: number) => {
  costs[component] = (costs[component] ?? 0) + dollars;
};

/**
 * Write units of one write (a failed conditional write consumes them too). The table's share is 1 per
 * started KiB of the item: a `PutItem` is sized from its request (a slight overestimate: the request
 * also carries the table name and condition); an `UpdateItem` rewrites a record under 1 KiB, but for the
 * event record, which carries the event (sized like ingest's `PutItem` of it: `eventItemBytes`).
 * Index writes: {@link DELIVERY_UPDATE_INDEX_WRITES}.
 */
export const writeUnits = (key: string, averageRequestBytes: number, eventItemBytes = 0): number => {
  const sized = (bytes: number) => Math.max(1, Math.ceil(bytes / DYNAMODB_WRITE_UNIT_BYTES));
  if (key.startsWith('DynamoDB.PutItem')) return sized(averageRequestBytes);
  if (key === 'DynamoDB.UpdateItem(event)') return sized(eventItemBytes);
  if (key === 'DynamoDB.UpdateItem(delivery)') return 1 + DELIVERY_UPDATE_INDEX_WRITES;
  return 1;
};

/** Prices one function's requests (or those `only` selects), its invocations and its logs into `costs`. */
const priceRequests = (
  costs: Costs,
  usage: FunctionUsage,
  select: (key: string) => boolean,
  eventItemBytes: number,
  stateTable: DynamoDbPrices,
) => {
  for (const [key, tally] of Object.entries(usage.requests)) {
    if (!select(key)) continue;
    const average = tally.requests === 0 ? 0 : tally.bytes / tally.requests;
    if (key.startsWith('SQS.')) {
      const chunks = Math.max(1, Math.ceil(average / SQS_CHUNK_BYTES));
      add(costs, 'SQS', (tally.requests * chunks * PRICES.sqsPerMillion) / 1e6);
    } else if (WRITES.test(key)) {
      const prices = CONFIG_TABLE.test(key) ? PRICES.dynamoDb : stateTable;
      add(
        costs,
        'DynamoDB',
        (tally.requests * writeUnits(key, average, eventItemBytes) * prices.perMillionWrites) / 1e6,
      );
    } else if (READS.test(key)) {
      const prices = CONFIG_TABLE.test(key) ? PRICES.dynamoDb : stateTable;
      add(costs, 'DynamoDB', (tally.requests * prices.perMillionReads) / 1e6);
    } else if (key.startsWith('SecretsManager.')) {
      add(costs, 'Secrets Manager', (tally.requests * PRICES.secretsManagerPer10k) / 1e4);
    } else {
      add(costs, 'other', 0);
    }
  }
};

const priceInvocations = (costs: Costs, usage: FunctionUsage, gbSecond: number, polled: boolean) => {
  const seconds = (usage.handlerMs + usage.invocations) / 1000;
  add(costs, 'Lambda compute', seconds * (usage.memoryMb / 1024) * gbSecond);
  add(costs, 'Lambda requests', (usage.invocations * PRICES.lambda.perMillionRequests) / 1e6);
  add(costs, 'CloudWatch Logs', (usage.logBytes / 1e9) * PRICES.logsPerGb);
  // The event source mapping's ReceiveMessage and DeleteMessageBatch for each batch it hands over.
  if (polled) add(costs, 'SQS', (2 * usage.invocations * PRICES.sqsPerMillion) / 1e6);
};

export interface CostEstimate {
  /** Dollars per event that do not depend on the number of channels, by component. */
  readonly perEvent: Costs;
  /** Dollars per (event, channel), by component. */
  readonly perDelivery: Costs;
  readonly architecture: string;
}

/** Splits what was measured into a per-event part and a per-(event, channel) part, in dollars. */
export const estimateCost = (
  result: RequestsResult,
  architectures = stackArchitectures(),
  stateTable: DynamoDbPrices = PRICES.dynamoDb,
): CostEstimate => {
  const architecture = architectures.length === 1 && architectures[0] === 'arm64' ? 'arm64' : 'x86_64';
  const gbSecond = PRICES.lambda.gbSecond[architecture];
  const perEvent: Costs = {};
  const perDelivery: Costs = {};
  const claims = result.functions.find((usage) => usage.service === 'herald-ingest')?.requests[
    'DynamoDB.PutItem(event)'
  ];
  const eventItemBytes = claims === undefined ? 0 : claims.bytes / Math.max(1, claims.requests);
  add(perEvent, 'API Gateway', (result.events / result.batch) * (PRICES.httpApiPerMillion / 1e6));
  for (const usage of result.functions) {
    if (usage.service === 'herald-ingest') {
      priceInvocations(perEvent, usage, gbSecond, false);
      priceRequests(perEvent, usage, () => true, eventItemBytes, stateTable);
    } else if (usage.service === 'herald-router') {
      priceInvocations(perEvent, usage, gbSecond, true);
      priceRequests(perEvent, usage, (key) => ROUTER_PER_EVENT.test(key), eventItemBytes, stateTable);
      priceRequests(perDelivery, usage, (key) => !ROUTER_PER_EVENT.test(key), eventItemBytes, stateTable);
    } else if (usage.service === 'herald-deliver') {
      priceInvocations(perDelivery, usage, gbSecond, true);
      priceRequests(perDelivery, usage, () => true, eventItemBytes, stateTable);
    }
  }
  const scale = (costs: Costs, by: number) =>
    Object.fromEntries(Object.entries(costs).map(([component, dollars]) => [component, dollars / by]));
  return {
    perEvent: scale(perEvent, result.events),
    perDelivery: scale(perDelivery, result.events * result.channels),
    architecture,
  };
};

const sum = (costs: Costs) => Object.values(costs).reduce((total, dollars) => total + dollars, 0);

/** Dollars per million notifications (deliveries) with `channels` webhook channels per event. */
export const perMillionNotifications = (estimate: CostEstimate, channels: number): number =>
  1e6 * (sum(estimate.perEvent) / channels + sum(estimate.perDelivery));

/** The same job on EventBridge API destinations and on SNS HTTPS, per million notifications. */
export const alternatives = (channels: number) => ({
  eventBridge:
    PRICES.eventBridge.putEventsPerMillion / channels + PRICES.eventBridge.apiDestinationPerMillion,
  sns: PRICES.sns.publishPerMillion / channels + PRICES.sns.httpDeliveryPerMillion,
});

const dollars = (value: number) => `$${value.toFixed(2)}`;

/** Prints the components of the cost per million notifications. */
export const printCostBreakdown = (estimate: CostEstimate): void => {
  const components = [...new Set([...Object.keys(estimate.perEvent), ...Object.keys(estimate.perDelivery)])];
  const lines = [
    '',
    `Cost per million webhook notifications by component (${estimate.architecture}, list prices as of ${PRICES.asOf}):`,
    '| component | 1 channel | 3 channels |',
    '| --- | --- | --- |',
    ...components.map((component) => {
      const at = (channels: number) =>
        1e6 * ((estimate.perEvent[component] ?? 0) / channels + (estimate.perDelivery[component] ?? 0));
      return `| ${component} | $${at(1).toFixed(3)} | $${at(3).toFixed(3)} |`;
    }),
  ];
  console.log(lines.join('\n'));
};

/**
 * The cost rows (1 and 3 webhook channels), beside EventBridge API destinations and SNS HTTPS: with the
 * state table on demand (the default), and provisioned (`stateTableCapacity`) at its target
 * utilisation under a steady load.
 */
export const costRows = (result: RequestsResult): BenchRow[] => {
  const onDemand = estimateCost(result);
  const provisioned = estimateCost(result, undefined, PROVISIONED_STATE_TABLE);
  printCostBreakdown(onDemand);
  console.log(`\nWith the state table provisioned at ${PROVISIONED_UTILIZATION * 100} % utilisation:`);
  printCostBreakdown(provisioned);
  const complete = result.deliveries === result.events * result.channels;
  return [
    { estimate: onDemand, mode: 'state table on demand' },
    {
      estimate: provisioned,
      mode: `state table provisioned (stateTableCapacity), steady load at ${PROVISIONED_UTILIZATION * 100} % utilisation`,
    },
  ].flatMap(({ estimate, mode }) =>
    [1, 3].map((channels) => {
      const measured = perMillionNotifications(estimate, channels);
      const other = alternatives(channels);
      return {
        figure: `cost per million webhook notifications, ${channels} channel${channels === 1 ? '' : 's'} per event, ${mode} (${estimate.architecture}, us-east-1 list prices as of ${PRICES.asOf})`,
        measured: dollars(measured),
        baseline: `EventBridge API destinations ${dollars(other.eventBridge)}; SNS HTTPS ${dollars(other.sns)}`,
        target: `≤ ${dollars(TARGET_PER_MILLION)}`,
        holds: complete ? measured <= TARGET_PER_MILLION : false,
      };
    }),
  );
};

if (isMain(import.meta.url)) {
  await runAlone(async (bench) => {
    const result = await measureRequests(bench);
    printBreakdown(result);
    return costRows(result);
  });
}
