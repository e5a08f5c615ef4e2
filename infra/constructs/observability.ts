import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { IHttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  type Metric,
  SearchExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CHANNEL_TYPE_DIMENSION, METRIC, type MetricName } from '../../shared/runtime/metrics.ts';
import type { QueueWithDlq } from './queues.ts';

/** Where the runbook explains each alarm: `docs/operations.md`, one section per kind of alarm. */
const RUNBOOK = 'docs/operations.md';

/** The default for {@link ObservabilityProps.deliveryBacklogAlarmAge}. */
const DEFAULT_DELIVERY_BACKLOG_AGE = Duration.minutes(15);

/** Herald's functions, by the name alarms and the dashboard give them. */
export interface HeraldFunctions {
  readonly ingest: IFunction;
  readonly authorizer: IFunction;
  readonly router: IFunction;
  readonly deliver: IFunction;
  readonly admin: IFunction;
  readonly redrive: IFunction;
  readonly digest: IFunction;
}

export interface ObservabilityProps {
  /** The HTTP API's stage: its 5xx count is alarmed on, its requests graphed. */
  readonly apiStage: IHttpStage;
  readonly ingestQueue: QueueWithDlq;
  readonly deliveryQueue: QueueWithDlq;
  /** The admin API's redrive queue, whose dead-letter queue is alarmed on like the others. */
  readonly redriveQueue: QueueWithDlq;
  readonly functions: HeraldFunctions;
  /** The namespace the functions write Herald's own metrics to (`HeraldProps.metricsNamespace`). */
  readonly metricsNamespace: string;
  /** An existing SNS topic for the alarms. @default a new topic */
  readonly alarmTopicArn?: string;
  /** An e-mail address subscribed to the alarm topic. @default none */
  readonly alarmEmail?: string;
  /** The age of the oldest delivery job that raises the backlog alarm. @default Duration.minutes(15) */
  readonly deliveryBacklogAlarmAge?: Duration;
}

/** What one alarm watches and what it means, for its id and description. */
interface AlarmSpec {
  readonly id: string;
  readonly metric: IMetric;
  /** The alarm fires above this value. */
  readonly threshold: number;
  /** What a firing alarm means, in a sentence. */
  readonly meaning: string;
  /** The runbook section (anchor in `docs/operations.md`). */
  readonly runbook:
    | 'dead-letters'
    | 'delivery-backlog'
    | 'function-errors'
    | 'function-throttles'
    | 'api-errors';
}

/** The delivery outcomes graphed per outcome and channel type, with their labels. */
const DELIVERY_OUTCOMES: readonly (readonly [MetricName, string])[] = [
  [METRIC.deliverySucceeded, 'succeeded'],
  [METRIC.deliveryRetried, 'retried'],
  [METRIC.deliveryFailed, 'failed'],
  [METRIC.deliveryDeadLettered, 'dead-lettered'],
  [METRIC.deliverySuppressed, 'suppressed'],
];

/**
 * A search for one of Herald's own metrics (`shared/runtime/metrics.ts`) over every value of
 * `dimensions` beside `service`: a channel type is graphed as soon as a function writes a metric for
 * it, with no list of types here.
 */
const searchOf = (
  namespace: string,
  metric: MetricName,
  dimensions: readonly string[],
  statistic: string,
): string => {
  // A name with other characters than letters, digits and `_` is quoted in a search's schema.
  const schema = [/^\w+$/.test(namespace) ? namespace : `"${namespace}"`, ...dimensions, 'service'];
  return `SEARCH('{${schema.join(',')}} MetricName="${metric}"', '${statistic}', 60)`;
};

/** A graph label naming each series of a search by one of its dimensions (a CloudWatch dynamic label). */
const dimensionLabel = (dimension: string): string => `\${PROP('Dim.${dimension}')}`;

/**
 * Herald's alarms and dashboard. The alarms watch metrics AWS publishes by itself: a message in any
 * dead-letter queue, a delivery backlog, function errors and throttles, API 5xx; all to one SNS
 * topic. Each alarm watches one metric (no metric math), fires above its threshold in one period, and
 * treats missing data (an idle queue or function publishes none) as fine. The dashboard also graphs
 * Herald's own metrics (events accepted, deliveries by outcome and channel type, delivery latency).
 */
export class Observability extends Construct {
  /** The topic every alarm notifies (when it fires and when it recovers). */
  readonly alarmTopic: ITopic;
  readonly alarms: readonly Alarm[];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.alarmTopic =
      props.alarmTopicArn !== undefined
        ? Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
        : this.createTopic();
    if (props.alarmEmail !== undefined) {
      const subscription = this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
      Validations.of(subscription).acknowledge({
        id: 'Serverless::Serverless-SNSRedrivePolicy',
        reason:
          'The e-mail subscription of the alarm topic: a dead-letter queue for alarm mails SNS could not ' +
          'deliver would be read by no one (an alarm on it could only notify this same topic); the ' +
          "alarms' state and history stay in CloudWatch, and the topic's NumberOfNotificationsFailed " +
          'metric counts lost mails.',
      });
    }

    const stage = props.apiStage;
    const fns = props.functions;
    const backlogAge = props.deliveryBacklogAlarmAge ?? DEFAULT_DELIVERY_BACKLOG_AGE;
    const fiveMinutes = { period: Duration.minutes(5), statistic: Stats.SUM };
    const deadLetters = (queue: QueueWithDlq) =>
      queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: Stats.MAXIMUM,
      });

    const specs: AlarmSpec[] = [
      {
        id: 'IngestDeadLettersAlarm',
        metric: deadLetters(props.ingestQueue),
        threshold: 0,
        meaning:
          'An event is in the ingest dead-letter queue: it is not a valid Herald event (its herald-reason ' +
          'attribute says why), EventBridge could not put it on the ingest queue, or the router failed ' +
          'on it 5 times.',
        runbook: 'dead-letters',
      },
      {
        id: 'DeliveryDeadLettersAlarm',
        metric: deadLetters(props.deliveryQueue),
        threshold: 0,
        meaning:
          'A job is in the delivery dead-letter queue, the backstop: it is not a valid delivery job, or ' +
          'it crashed the deliver function on every receive. (Deliveries whose retries ran out are ' +
          'marked dead in the state table instead.)',
        runbook: 'dead-letters',
      },
      {
        id: 'RedriveDeadLettersAlarm',
        metric: deadLetters(props.redriveQueue),
        threshold: 0,
        meaning:
          'A redrive task is in the redrive dead-letter queue: the redrive function failed on it 5 ' +
          'times, so that redrive stopped part way.',
        runbook: 'dead-letters',
      },
      {
        id: 'DeliveryBacklogAlarm',
        metric: props.deliveryQueue.queue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(5),
          statistic: Stats.MAXIMUM,
        }),
        threshold: backlogAge.toSeconds(),
        meaning:
          `The oldest delivery job is more than ${backlogAge.toHumanString()} old: the deliver function ` +
          'is falling behind (throttles, concurrency, slow targets), or a channel retry schedule waits ' +
          'longer than that before its third attempt.',
        runbook: 'delivery-backlog',
      },
      ...Object.entries(fns).flatMap(([name, fn]: [string, IFunction]): AlarmSpec[] => [
        {
          id: `${pascal(name)}ErrorsAlarm`,
          metric: fn.metricErrors(fiveMinutes),
          threshold: 0,
          meaning: `The ${name} function failed (an uncaught error or a timeout) in the last 5 minutes.`,
          runbook: 'function-errors',
        },
        {
          id: `${pascal(name)}ThrottlesAlarm`,
          metric: fn.metricThrottles(fiveMinutes),
          threshold: 0,
          meaning:
            `The ${name} function was throttled in the last 5 minutes: it reached its concurrency ` +
            "limit or the account's.",
          runbook: 'function-throttles',
        },
      ]),
      {
        id: 'ApiServerErrorsAlarm',
        metric: stage.metricServerError(fiveMinutes),
        threshold: 0,
        meaning:
          'The HTTP API answered 5xx in the last 5 minutes: a function behind a route or the API key ' +
          'authorizer failed or timed out.',
        runbook: 'api-errors',
      },
    ];
    const action = new SnsAction(this.alarmTopic);
    this.alarms = specs.map((spec) => {
      const alarm = new Alarm(this, spec.id, {
        metric: spec.metric,
        threshold: spec.threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: `Herald: ${spec.meaning} Runbook: ${RUNBOOK}#${spec.runbook}`,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return alarm;
    });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-herald`,
      defaultInterval: Duration.hours(3),
    });
    const minute = { period: Duration.minutes(1) };
    const perMinute = { ...minute, statistic: Stats.SUM };
    const pipeline = { ingest: fns.ingest, router: fns.router, deliver: fns.deliver };
    const byFunction = (metric: (name: string, fn: IFunction) => Metric) =>
      Object.entries(pipeline).map(([name, fn]) => metric(name, fn));
    const queues = { ingest: props.ingestQueue, delivery: props.deliveryQueue };
    // The ingest and delivery queues and every dead-letter queue (the redrive queue itself holds one
    // message per running redrive: not worth a line).
    const queueMetrics = (metric: (queue: IQueue, label: string) => Metric): Metric[] => [
      ...Object.entries(queues).flatMap(([name, queue]) => [
        metric(queue.queue, `${name} queue`),
        metric(queue.deadLetterQueue, `${name} DLQ`),
      ]),
      metric(props.redriveQueue.deadLetterQueue, 'redrive DLQ'),
    ];
    const wide = { width: 12, height: 6 };
    this.dashboard.addWidgets(
      new GraphWidget({
        ...wide,
        title: 'API requests and errors (per minute)',
        left: [
          stage.metricCount({ ...perMinute, label: 'requests' }),
          stage.metricClientError({ ...perMinute, label: '4xx' }),
          stage.metricServerError({ ...perMinute, label: '5xx' }),
        ],
      }),
      new GraphWidget({
        ...wide,
        title: 'Invocations (per minute)',
        left: byFunction((name, fn) => fn.metricInvocations({ ...perMinute, label: name })),
      }),
    );
    const perChannelType = [CHANNEL_TYPE_DIMENSION];
    const search = (metric: MetricName, dimensions: readonly string[], statistic: string) =>
      searchOf(props.metricsNamespace, metric, dimensions, statistic);
    this.dashboard.addWidgets(
      new GraphWidget({
        ...wide,
        title: 'Events accepted (per minute)',
        left: [
          new SearchExpression({
            expression: search(METRIC.eventsAccepted, [], 'Sum'),
            label: dimensionLabel('service'),
            ...minute,
          }),
          new MathExpression({
            expression: `SUM(${search(METRIC.eventsAccepted, [], 'Sum')})`,
            label: 'all',
            ...minute,
          }),
        ],
      }),
      new GraphWidget({
        ...wide,
        title: 'Deliveries by outcome (per minute)',
        left: [
          new MathExpression({
            expression: `SUM(${search(METRIC.notificationsMatched, perChannelType, 'Sum')})`,
            label: 'matched',
            ...minute,
          }),
          ...DELIVERY_OUTCOMES.map(
            ([metric, label]) =>
              new MathExpression({
                expression: `SUM(${search(metric, perChannelType, 'Sum')})`,
                label,
                ...minute,
              }),
          ),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        ...wide,
        title: 'Deliveries by outcome and channel type (per minute)',
        left: DELIVERY_OUTCOMES.map(
          ([metric, label]) =>
            new SearchExpression({
              expression: search(metric, perChannelType, 'Sum'),
              label: `${label} ${dimensionLabel(CHANNEL_TYPE_DIMENSION)}`,
              ...minute,
            }),
        ),
      }),
      new GraphWidget({
        ...wide,
        title: 'Delivery latency by channel type, p50, p90 and p99 (ms)',
        left: (['p50', 'p90', 'p99'] as const).map(
          (percentile) =>
            new SearchExpression({
              expression: search(METRIC.deliveryLatency, perChannelType, percentile),
              label: `${percentile} ${dimensionLabel(CHANNEL_TYPE_DIMENSION)}`,
              ...minute,
            }),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        ...wide,
        title: 'Function errors (per minute)',
        left: byFunction((name, fn) => fn.metricErrors({ ...perMinute, label: name })),
      }),
      new GraphWidget({
        ...wide,
        title: 'Duration p50 and p99 (ms)',
        left: byFunction((name, fn) =>
          fn.metricDuration({ ...minute, statistic: Stats.percentile(50), label: `${name} p50` }),
        ),
        right: byFunction((name, fn) =>
          fn.metricDuration({ ...minute, statistic: Stats.percentile(99), label: `${name} p99` }),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        ...wide,
        title: 'Messages visible',
        left: queueMetrics((queue, label) =>
          queue.metricApproximateNumberOfMessagesVisible({ ...minute, statistic: Stats.MAXIMUM, label }),
        ),
      }),
      new GraphWidget({
        ...wide,
        title: 'Age of oldest message (s)',
        left: queueMetrics((queue, label) =>
          queue.metricApproximateAgeOfOldestMessage({ ...minute, statistic: Stats.MAXIMUM, label }),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', width: 24, height: 4, alarms: [...this.alarms] }),
    );
  }

  /**
   * Herald's own alarm topic: TLS-only publishing and subscribing. Not KMS-encrypted: alarm messages
   * carry alarm names, states and metric values (no event payload, no secret), and CloudWatch cannot
   * publish to a topic under SNS's AWS-managed key; a deployment that wants encryption passes its own
   * topic, under a customer-managed key whose policy admits CloudWatch, as `alarmTopicArn`.
   */
  private createTopic(): ITopic {
    return new Topic(this, 'AlarmTopic', { displayName: 'Herald alarms', enforceSSL: true });
  }
}

/** `router` → `Router`, for construct ids. */
const pascal = (name: string): string => `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
