import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { HeraldStack, type HeraldStackProps } from '../../infra/herald-stack.ts';

type Resource = { Type: string; Properties?: Record<string, unknown> };

const ENV = { account: '123456789012', region: 'eu-west-1' };
const IMPORTED_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:on-call';

/** Synthesizes the stack without bundling the functions (the assertions are about resources). */
const synth = (herald: HeraldStackProps['herald'] = {}): Template => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new HeraldStack(app, 'Herald', { env: ENV, herald }));
};

/** The logical id of the resource whose construct path ends in `name` (CDK appends an 8-hex hash). */
const logicalIdOf = (template: Template, type: string, name: string): string => {
  const pattern = new RegExp(`${name}[0-9A-F]{8}$`);
  const id = Object.keys(template.findResources(type)).find((key) => pattern.test(key));
  if (id === undefined) throw new Error(`no ${type} whose logical id ends in ${name}`);
  return id;
};

const alarmsOf = (template: Template): Resource[] =>
  Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];

interface Widget {
  readonly type: string;
  readonly properties: {
    readonly title: string;
    readonly metrics?: readonly (readonly unknown[])[];
    readonly alarms?: readonly string[];
  };
}

/** The dashboard's name and widgets (its body is JSON joined with references: each becomes `REF`). */
const dashboardOf = (template: Template): { name: unknown; widgets: Widget[] } => {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
  const joined = dashboard?.Properties?.DashboardBody as { 'Fn::Join': [string, unknown[]] } | undefined;
  const parts = joined?.['Fn::Join'][1] ?? [];
  const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'REF')).join('')) as {
    widgets: Widget[];
  };
  return { name: dashboard?.Properties?.DashboardName, widgets: body.widgets };
};

let template: Template;
let topic: { Ref: string };

beforeAll(() => {
  // Prepare
  template = synth();
  topic = { Ref: logicalIdOf(template, 'AWS::SNS::Topic', 'AlarmTopic') };
});

describe('Observability', () => {
  it('creates one TLS-only alarm topic and outputs its ARN', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasOutput('AlarmTopicArn', { Value: topic });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('alarms on one metric each, notifies the topic, treats missing data as fine and links the runbook', () => {
    const alarms = alarmsOf(template);
    // 3 dead-letter queues, the delivery backlog, errors and throttles of 6 functions, API 5xx.
    expect(alarms).toHaveLength(3 + 1 + 7 * 2 + 1);
    for (const { Properties: alarm } of alarms) {
      // The emulator deploys single-metric alarms only (no `Metrics`).
      expect(alarm?.Metrics).toBeUndefined();
      expect(alarm?.AlarmActions).toEqual([topic]);
      expect(alarm?.OKActions).toEqual([topic]);
      expect(alarm?.TreatMissingData).toBe('notBreaching');
      expect(alarm?.ComparisonOperator).toBe('GreaterThanThreshold');
      expect(alarm?.EvaluationPeriods).toBe(1);
      expect(alarm?.AlarmDescription).toMatch(
        /Runbook: docs\/operations\.md#(dead-letters|delivery-backlog|function-errors|function-throttles|api-errors)$/,
      );
    }
  });

  it.each(['IngestQueueDeadLetterQueue', 'DeliveryQueueDeadLetterQueue', 'RedriveQueueDeadLetterQueue'])(
    'alarms on any message visible in %s',
    (queue) => {
      const dlq = logicalIdOf(template, 'AWS::SQS::Queue', queue);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 0,
        AlarmDescription: Match.stringLikeRegexp('#dead-letters$'),
      });
    },
  );

  it.each([
    ['default', {}],
    [
      'forwarding from another bus',
      { forward: { eventBusName: 'default', eventPattern: { source: ['aws.guardduty'] } } },
    ],
  ] satisfies [string, HeraldStackProps['herald']][])(
    'alarms on every dead-letter queue in the template, of queues and of EventBridge targets alike (%s)',
    (_name, herald) => {
      // Prepare: every queue named as a dead-letter queue, by a queue's redrive policy or a rule's target.
      const withRules = synth(herald);
      const arnOf = (reference: unknown) => JSON.stringify(reference);
      const deadLetterQueues = new Set([
        ...Object.values(withRules.findResources('AWS::SQS::Queue')).flatMap((queue) =>
          queue.Properties.RedrivePolicy ? [arnOf(queue.Properties.RedrivePolicy.deadLetterTargetArn)] : [],
        ),
        ...Object.values(withRules.findResources('AWS::Events::Rule')).flatMap((rule) =>
          (rule.Properties.Targets as { DeadLetterConfig?: { Arn: unknown } }[]).flatMap((target) =>
            target.DeadLetterConfig ? [arnOf(target.DeadLetterConfig.Arn)] : [],
          ),
        ),
      ]);

      // Act: the queues whose visible messages an alarm fires on at more than 0.
      const alarmed = new Set(
        alarmsOf(withRules)
          .filter(
            ({ Properties: alarm }) =>
              alarm?.MetricName === 'ApproximateNumberOfMessagesVisible' && alarm.Threshold === 0,
          )
          .map(({ Properties: alarm }) => {
            const dimensions = alarm?.Dimensions as { Value: { 'Fn::GetAtt': [string, string] } }[];
            return arnOf({ 'Fn::GetAtt': [dimensions[0]?.Value['Fn::GetAtt'][0], 'Arn'] });
          }),
      );

      // Assess
      expect(deadLetterQueues.size).toBe(3);
      expect(alarmed).toEqual(deadLetterQueues);
    },
  );

  it('alarms when the oldest delivery job is older than 15 minutes', () => {
    const deliveryQueue = logicalIdOf(template, 'AWS::SQS::Queue', 'DeliveryDeliveryQueue');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deliveryQueue, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 15 * 60,
      AlarmDescription: Match.stringLikeRegexp('#delivery-backlog$'),
    });
  });

  it('takes the backlog alarm age from deliveryBacklogAlarmAge', () => {
    synth({ deliveryBacklogAlarmAge: Duration.hours(1) }).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 3600,
    });
  });

  it.each([
    'IngestFunction',
    'AuthorizerFunction',
    'RouterFunction',
    'DeliverFunction',
    'AdminFunction',
    'RedriveFunction',
  ])('alarms on any error and any throttle of %s in 5 minutes', (name) => {
    const fn = logicalIdOf(template, 'AWS::Lambda::Function', name);
    for (const [metricName, anchor] of [
      ['Errors', 'function-errors'],
      ['Throttles', 'function-throttles'],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 0,
        AlarmActions: [topic],
        AlarmDescription: Match.stringLikeRegexp(`#${anchor}$`),
      });
    }
  });

  it("alarms on any 5xx of the HTTP API's $default stage in 5 minutes", () => {
    const api = logicalIdOf(template, 'AWS::ApiGatewayV2::Api', 'Api');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: Match.arrayEquals([
        { Name: 'ApiId', Value: { Ref: api } },
        { Name: 'Stage', Value: '$default' },
      ]),
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      AlarmActions: [topic],
      AlarmDescription: Match.stringLikeRegexp('#api-errors$'),
    });
  });

  it('subscribes alarmEmail to the topic', () => {
    const withEmail = synth({ alarmEmail: 'oncall@example.com' });
    withEmail.resourceCountIs('AWS::SNS::Subscription', 1);
    withEmail.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: logicalIdOf(withEmail, 'AWS::SNS::Topic', 'AlarmTopic') },
    });
  });

  it('sends the alarms to the topic named by alarmTopicArn instead of creating one', () => {
    const imported = synth({ alarmTopicArn: IMPORTED_TOPIC, alarmEmail: 'oncall@example.com' });
    imported.resourceCountIs('AWS::SNS::Topic', 0);
    imported.resourceCountIs('AWS::SNS::TopicPolicy', 0);
    for (const { Properties: alarm } of alarmsOf(imported)) {
      expect(alarm?.AlarmActions).toEqual([IMPORTED_TOPIC]);
    }
    imported.hasOutput('AlarmTopicArn', { Value: IMPORTED_TOPIC });
    imported.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      TopicArn: IMPORTED_TOPIC,
    });
  });

  it('builds a dashboard named after the stack with the API, function, queue and alarm widgets', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const dashboard = dashboardOf(template);
    expect(dashboard.name).toBe('Herald-herald');
    const graphs = Object.fromEntries(
      dashboard.widgets.map(({ properties }) => [
        properties.title,
        (properties.metrics ?? []).map((metric) => `${metric[0]} ${metric[1]}`),
      ]),
    );
    expect(graphs['API requests and errors (per minute)']).toEqual([
      'AWS/ApiGateway Count',
      'AWS/ApiGateway 4xx',
      'AWS/ApiGateway 5xx',
    ]);
    expect(graphs['Invocations (per minute)']).toEqual(Array(3).fill('AWS/Lambda Invocations'));
    expect(graphs['Function errors (per minute)']).toEqual(Array(3).fill('AWS/Lambda Errors'));
    // p50 and p99 of ingest, router and deliver.
    expect(graphs['Duration p50 and p99 (ms)']).toEqual(Array(6).fill('AWS/Lambda Duration'));
    // Ingest and delivery queues, their dead-letter queues and the redrive dead-letter queue.
    expect(graphs['Messages visible']).toEqual(Array(5).fill('AWS/SQS ApproximateNumberOfMessagesVisible'));
    expect(graphs['Age of oldest message (s)']).toEqual(
      Array(5).fill('AWS/SQS ApproximateAgeOfOldestMessage'),
    );
    const alarmWidget = dashboard.widgets.find(({ type }) => type === 'alarm');
    expect(alarmWidget?.properties.alarms).toHaveLength(alarmsOf(template).length);
  });

  it("graphs Herald's own metrics: events accepted, deliveries by outcome and channel type, latency percentiles", () => {
    // Act: each graph's searches, as `label: expression`.
    const searches = Object.fromEntries(
      dashboardOf(template).widgets.map(({ properties }) => [
        properties.title,
        (properties.metrics ?? []).flatMap((metric) => {
          const expression = metric[0] as { expression?: string; label?: string };
          return expression.expression === undefined ? [] : [`${expression.label}: ${expression.expression}`];
        }),
      ]),
    );

    // Assess: the namespace, names and dimensions the functions write (shared/runtime/metrics.ts).
    const search = (metric: string, statistic = 'Sum') =>
      `SEARCH('{Herald,channelType,service} MetricName="${metric}"', '${statistic}', 60)`;
    const accepted = `SEARCH('{Herald,service} MetricName="EventsAccepted"', 'Sum', 60)`;
    expect(searches['Events accepted (per minute)']).toEqual([
      `\${PROP('Dim.service')}: ${accepted}`,
      `all: SUM(${accepted})`,
    ]);
    expect(searches['Deliveries by outcome (per minute)']).toEqual([
      `matched: SUM(${search('NotificationsMatched')})`,
      `succeeded: SUM(${search('DeliverySucceeded')})`,
      `retried: SUM(${search('DeliveryRetried')})`,
      `failed: SUM(${search('DeliveryFailed')})`,
      `dead-lettered: SUM(${search('DeliveryDeadLettered')})`,
      `suppressed: SUM(${search('DeliverySuppressed')})`,
    ]);
    const byType = `\${PROP('Dim.channelType')}`;
    expect(searches['Deliveries by outcome and channel type (per minute)']).toEqual([
      `succeeded ${byType}: ${search('DeliverySucceeded')}`,
      `retried ${byType}: ${search('DeliveryRetried')}`,
      `failed ${byType}: ${search('DeliveryFailed')}`,
      `dead-lettered ${byType}: ${search('DeliveryDeadLettered')}`,
      `suppressed ${byType}: ${search('DeliverySuppressed')}`,
    ]);
    expect(searches['Delivery latency by channel type, p50, p90 and p99 (ms)']).toEqual(
      ['p50', 'p90', 'p99'].map(
        (percentile) => `${percentile} ${byType}: ${search('DeliveryLatency', percentile)}`,
      ),
    );
  });
});

describe('metricsNamespace', () => {
  /** The namespace each function writes its metrics to (undefined: none, it writes no metrics). */
  const namespaces = (stack: Template) =>
    Object.fromEntries(
      Object.entries(stack.findResources('AWS::Lambda::Function')).map(([logicalId, resource]) => [
        /Herald(\w+?)Function/.exec(logicalId)?.[1] ?? logicalId,
        resource.Properties.Environment?.Variables?.POWERTOOLS_METRICS_NAMESPACE as string | undefined,
      ]),
    );

  it('has the ingest, router and deliver functions write to Herald unless the stack names a namespace', () => {
    // Act
    const template = synth();

    // Assess
    expect(namespaces(template)).toEqual({
      IngestIngest: 'Herald',
      IngestAuthorizer: undefined,
      RoutingRouter: 'Herald',
      DeliveryDeliver: 'Herald',
      AdminAdmin: undefined,
      AdminRedrive: undefined,
    });
    template.hasOutput('MetricsNamespace', { Value: 'Herald' });
  });

  it("writes to and graphs the stack's own namespace", () => {
    // Act
    const template = synth({ metricsNamespace: 'Herald/prod' });

    // Assess
    expect(Object.values(namespaces(template)).filter((namespace) => namespace !== undefined)).toEqual([
      'Herald/prod',
      'Herald/prod',
      'Herald/prod',
    ]);
    template.hasOutput('MetricsNamespace', { Value: 'Herald/prod' });
    const searches = dashboardOf(template).widgets.flatMap(({ properties }) =>
      (properties.metrics ?? []).flatMap((metric) => {
        const expression = (metric[0] as { expression?: string }).expression;
        return expression === undefined ? [] : [expression];
      }),
    );
    expect(searches).toHaveLength(16);
    // The name has a `/`: quoted in the search's schema.
    for (const search of searches) expect(search).toContain(`{"Herald/prod",`);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/\{Herald,/);
  });

  it('refuses a namespace CloudWatch would refuse', () => {
    expect(() => synth({ metricsNamespace: 'AWS/Lambda' })).toThrow(/metricsNamespace "AWS\/Lambda"/);
    expect(() => synth({ metricsNamespace: 'Herald!prod' })).toThrow(/metricsNamespace/);
  });
});
