import { readFileSync } from 'node:fs';
import { App, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { LogLevel } from './herald.ts';
import { HeraldStack } from './herald-stack.ts';

/**
 * The Herald app. Context (`-c key=value`) tunes it; the local scripts use it to shorten the retry
 * schedule and allow deliveries to 127.0.0.1:
 * - `stackName` (default `Herald`), `eventBusName` (default `herald`)
 * - `stageName`: the HTTP API's stage (default `$default`)
 * - `metricsNamespace`: the CloudWatch namespace of Herald's own metrics (default `Herald`)
 * - `logLevel`: the functions' log level, `DEBUG`, `INFO` (default), `WARN` or `ERROR`
 * - `stateTableWriteUnits`, `stateTableReadUnits` (`min-max`, both or neither): the state table
 *   provisioned and auto scaled between them instead of on demand
 * - `retrySchedule`: comma-separated seconds, e.g. `0,1,2`
 * - `allowPrivateTargets`: `true` for local development only
 * - `configCacheSeconds`: how long functions cache policies and channels
 * - `apiKeyCacheSeconds`: how long the HTTP API caches an API key's verdict
 * - `destroyData`: `true` to delete tables with the stack (local and test stacks)
 * - `snsTopicArns`, `sesIdentities`: comma-separated allow-lists for `sns` and SES `email` channels
 * - `sqsQueueArns`, `eventBusArns`, `assumableRoleArns`: comma-separated ARN allow-lists (`*` patterns)
 *   for `sqs` and `eventbridge` channels and the roles they may send as
 * - `smtpTrustedCaFile`: a PEM file of extra CAs SMTP servers may chain to (test stacks only)
 * - `dnsServers`: comma-separated DNS servers (`host[:port]`) channel target names are resolved through
 * - `autoDisableAfter`: dead letters in a row (within a day) that disable a channel; `0` never
 * - `redriveForegroundSeconds`: how long a redrive runs in its admin request before the background
 * - `faultInjection`: `true` on the test stack only (the chaos suite's crash points)
 * - `countRequests`: `true` on the bench stack only (functions log the AWS requests they make)
 * - `routerTimeoutSeconds`, `deliverTimeoutSeconds`: the router's and the deliver function's timeouts,
 *   which their queues' visibility timeouts (6 ×) follow; the test stack keeps the deliver one short
 */
const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined || value === null ? undefined : String(value);
};

const retrySchedule = context('retrySchedule')
  ?.split(',')
  .map((step) => Duration.seconds(Number(step)));
const configCacheSeconds = context('configCacheSeconds');
const apiKeyCacheSeconds = context('apiKeyCacheSeconds');
const list = (key: string) =>
  context(key)
    ?.split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
const snsTopicArns = list('snsTopicArns');
const sesIdentities = list('sesIdentities');
const sqsQueueArns = list('sqsQueueArns');
const eventBusArns = list('eventBusArns');
const assumableRoleArns = list('assumableRoleArns');
const smtpTrustedCaFile = context('smtpTrustedCaFile');
const dnsServers = list('dnsServers');
const autoDisableAfter = context('autoDisableAfter');
const redriveForegroundSeconds = context('redriveForegroundSeconds');
const routerTimeoutSeconds = context('routerTimeoutSeconds');
const deliverTimeoutSeconds = context('deliverTimeoutSeconds');
/** `50-4000` → `{ min: 50, max: 4000 }` (bounds are checked by the construct). */
const unitRange = (key: string): { min: number; max: number } | undefined => {
  const value = context(key);
  if (value === undefined) return undefined;
  const match = /^(\d+)-(\d+)$/.exec(value);
  if (match === null) throw new Error(`${key} ${JSON.stringify(value)}: write it as min-max, e.g. 50-4000`);
  return { min: Number(match[1]), max: Number(match[2]) };
};
const stateTableWriteUnits = unitRange('stateTableWriteUnits');
const stateTableReadUnits = unitRange('stateTableReadUnits');
if ((stateTableWriteUnits === undefined) !== (stateTableReadUnits === undefined)) {
  throw new Error(
    'stateTableWriteUnits and stateTableReadUnits go together (a provisioned table needs both)',
  );
}
const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];
const logLevelContext = context('logLevel');
const logLevel = LOG_LEVELS.find((level) => level === logLevelContext?.toUpperCase());
if (logLevelContext && logLevel === undefined) {
  throw new Error(`logLevel ${JSON.stringify(logLevelContext)}: use one of ${LOG_LEVELS.join(', ')}`);
}

new HeraldStack(app, context('stackName') ?? 'Herald', {
  description: 'Herald: serverless notification router',
  herald: {
    ...(context('eventBusName') ? { eventBusName: context('eventBusName') } : {}),
    ...(context('stageName') ? { stageName: context('stageName') } : {}),
    ...(context('metricsNamespace') ? { metricsNamespace: context('metricsNamespace') } : {}),
    ...(logLevel ? { logLevel } : {}),
    ...(stateTableWriteUnits && stateTableReadUnits
      ? { stateTableCapacity: { writeUnits: stateTableWriteUnits, readUnits: stateTableReadUnits } }
      : {}),
    ...(retrySchedule ? { retrySchedule } : {}),
    allowPrivateTargets: context('allowPrivateTargets') === 'true',
    ...(configCacheSeconds ? { configCacheTtl: Duration.seconds(Number(configCacheSeconds)) } : {}),
    ...(apiKeyCacheSeconds ? { apiKeyCacheTtl: Duration.seconds(Number(apiKeyCacheSeconds)) } : {}),
    ...(context('destroyData') === 'true' ? { removalPolicy: RemovalPolicy.DESTROY } : {}),
    ...(snsTopicArns ? { snsTopicArns } : {}),
    ...(sesIdentities ? { sesIdentities } : {}),
    ...(sqsQueueArns ? { sqsQueueArns } : {}),
    ...(eventBusArns ? { eventBusArns } : {}),
    ...(assumableRoleArns ? { assumableRoleArns } : {}),
    ...(smtpTrustedCaFile ? { smtpTrustedCa: readFileSync(smtpTrustedCaFile, 'utf8') } : {}),
    ...(dnsServers ? { dnsServers } : {}),
    ...(autoDisableAfter ? { autoDisable: { deadLetters: Number(autoDisableAfter) } } : {}),
    ...(redriveForegroundSeconds
      ? { redriveForeground: Duration.seconds(Number(redriveForegroundSeconds)) }
      : {}),
    ...(context('faultInjection') === 'true' ? { faultInjection: true } : {}),
    ...(context('countRequests') === 'true' ? { countRequests: true } : {}),
    timeout: {
      ...(routerTimeoutSeconds ? { router: Duration.seconds(Number(routerTimeoutSeconds)) } : {}),
      ...(deliverTimeoutSeconds ? { deliver: Duration.seconds(Number(deliverTimeoutSeconds)) } : {}),
    },
  },
});
