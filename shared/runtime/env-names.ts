/**
 * The names of the environment variables `infra/` sets on Herald's functions and the handlers read,
 * in one place: the infra helpers (`HeraldFunction.env`, `bindTable…`, `bindQueue…`) and the readers in
 * `env.ts` take an {@link EnvName}, so a misspelt name is a type error on either side. This module
 * imports nothing, so `infra/` can use it without loading handler code.
 *
 * Each entry says what the variable holds and which functions get it.
 */
export const ENV = {
  /** Node.js options (`--enable-source-maps`), read by the runtime itself: every function. */
  nodeOptions: 'NODE_OPTIONS',
  /** The Powertools Logger's log level: every function. */
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  /** CloudWatch namespace of Herald's own metrics (Powertools' own name for it): ingest, router, deliver. */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  /** Name of the config table (policies, channels, API keys): authorizer, router, deliver, admin. */
  configTable: 'CONFIG_TABLE_NAME',
  /** Name of the state table (events, deliveries, redrives): ingest, router, deliver, admin, redrive. */
  stateTable: 'STATE_TABLE_NAME',
  /** Days state records are kept before their TTL: ingest, router, deliver, admin, redrive. */
  retentionDays: 'RETENTION_DAYS',
  /** URL of the ingest queue (accepted events, and operational events): ingest, deliver. */
  ingestQueueUrl: 'INGEST_QUEUE_URL',
  /** URL of the ingest dead-letter queue (events that could not be routed): router. */
  ingestDlqUrl: 'INGEST_DLQ_URL',
  /** URL of the delivery queue (delivery jobs): router, deliver, admin, redrive. */
  deliveryQueueUrl: 'DELIVERY_QUEUE_URL',
  /** URL of the delivery dead-letter queue: deliver (sends), admin (reads and redrives). */
  deliveryDlqUrl: 'DELIVERY_DLQ_URL',
  /** URL of the redrive queue (redrives continued in the background): admin, redrive. */
  redriveQueueUrl: 'REDRIVE_QUEUE_URL',
  /** Milliseconds a redrive runs in its admin request before it continues in the background: admin. */
  redriveForegroundMs: 'REDRIVE_FOREGROUND_MS',
  /** Name prefix of Herald's own channel secrets: deliver, admin. */
  secretPrefix: 'SECRET_PREFIX',
  /** ARN of the role a channel's own secret is read through (a session tagged with it): deliver. */
  channelSecretsRoleArn: 'CHANNEL_SECRETS_ROLE_ARN',
  /** Seconds channels are cached between reads of the config table: deliver. */
  configCacheSeconds: 'CONFIG_CACHE_SECONDS',
  /** Seconds channel secrets are cached between reads: deliver. */
  secretCacheSeconds: 'SECRET_CACHE_SECONDS',
  /** Dead letters in a row that disable a channel (`0`: never): deliver. */
  autoDisableAfter: 'AUTO_DISABLE_AFTER',
  /** Seconds within which those dead letters must fall: deliver. */
  autoDisableWithinSeconds: 'AUTO_DISABLE_WITHIN_SECONDS',
  /** Default retry schedule, comma-separated seconds (only when the stack sets one): deliver. */
  retrySchedule: 'RETRY_SCHEDULE',
  /** `true` when channel targets may be private addresses (local development only): deliver, admin. */
  allowPrivateTargets: 'ALLOW_PRIVATE_TARGETS',
  /** Comma-separated SNS topic ARNs or patterns `sns` channels may use: deliver, admin (which checks). */
  snsTopicArns: 'SNS_TOPIC_ARNS',
  /** Comma-separated SES identities `email` channels may send from: deliver, admin (which checks). */
  sesIdentities: 'SES_IDENTITIES',
  /** Comma-separated SQS queue ARNs or patterns `sqs` channels may use: deliver, admin (which checks). */
  sqsQueueArns: 'SQS_QUEUE_ARNS',
  /** Comma-separated bus ARNs or patterns `eventbridge` channels may use: deliver, admin (which checks). */
  eventBusArns: 'EVENT_BUS_ARNS',
  /** Comma-separated role ARNs or patterns channels may send as (`roleArn`): deliver, admin (which checks). */
  assumableRoleArns: 'ASSUMABLE_ROLE_ARNS',
  /** Comma-separated ARNs of the buses Herald ingests from, refused as `eventbridge` targets: deliver, admin. */
  ingestBusArns: 'INGEST_BUS_ARNS',
  /** Extra CA certificates (PEM) for SMTP servers (only when the stack sets them): deliver, admin. */
  smtpTrustedCa: 'SMTP_TRUSTED_CA',
  /** Comma-separated DNS servers target names are resolved through (only when set): deliver, admin. */
  dnsServers: 'DNS_SERVERS',
  /** The hash of the function's own code (its asset's): router, whose config snapshots carry it. */
  codeHash: 'HERALD_CODE_HASH',
  /** `true` arms the chaos suite's crash points (`faultInjection` stacks only): ingest, router, deliver. */
  faultInjection: 'HERALD_FAULT_INJECTION',
  /** `true` logs each invocation's AWS requests (`countRequests` bench stacks only): every function. */
  countRequests: 'HERALD_COUNT_REQUESTS',
} as const;

/** The name of an environment variable Herald's functions get. */
export type EnvName = (typeof ENV)[keyof typeof ENV];
