import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { HeraldStack } from '../../infra/herald-stack.ts';
import { ADMIN_ROUTE_KEYS } from '../../shared/admin/routes.ts';
import { FAULT_ENV } from '../../shared/runtime/faults.ts';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string[]>>;
};

let template: Template;

const resourcesOf = (type: string): Record<string, Resource> =>
  template.findResources(type) as Record<string, Resource>;

/** The IAM policy statements of every policy whose logical id starts with `prefix` (all: ''). */
const policyStatements = (prefix = ''): Statement[] =>
  Object.entries(resourcesOf('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(prefix))
    .flatMap(
      ([, policy]) =>
        (policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
    );

/** The logical id of the resource whose construct path ends in `name` (CDK appends an 8-hex hash). */
const logicalIdOf = (type: string, name: string): string => {
  const pattern = new RegExp(`${name}[0-9A-F]{8}$`);
  const id = Object.keys(resourcesOf(type)).find((key) => pattern.test(key));
  if (id === undefined) throw new Error(`no ${type} whose logical id ends in ${name}`);
  return id;
};

beforeAll(() => {
  // Prepare: synthesize without bundling the functions (the assertions are about resources).
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new HeraldStack(app, 'Herald', { env: { account: '123456789012', region: 'eu-west-1' } });
  template = Template.fromStack(stack);
});

describe('HeraldStack', () => {
  it('gives the ingest queue and the delivery queue a redrive policy to their own dead-letter queue', () => {
    const ingestDlq = logicalIdOf('AWS::SQS::Queue', 'IngestQueueDeadLetterQueue');
    const deliveryDlq = logicalIdOf('AWS::SQS::Queue', 'DeliveryQueueDeadLetterQueue');
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [ingestDlq, 'Arn'] }, maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deliveryDlq, 'Arn'] }, maxReceiveCount: 100 },
      MessageRetentionPeriod: 14 * 86_400,
    });
  });

  it('encrypts every queue and refuses plain-HTTP access to it', () => {
    const queues = resourcesOf('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(6);
    for (const queue of Object.values(queues)) {
      expect(queue.Properties?.SqsManagedSseEnabled).toBe(true);
      // An event at its 256 KiB limit plus Herald's fields must fit.
      expect(queue.Properties?.MaximumMessageSize).toBe(1024 * 1024);
    }
    template.resourceCountIs('AWS::SQS::QueuePolicy', 6);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('expires state records through TTL on expiresAt, and keeps point-in-time recovery for config', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'kind', KeyType: 'HASH' },
        { AttributeName: 'id', KeyType: 'RANGE' },
      ],
      Replicas: [
        Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ],
    });
  });

  it('runs seven functions on Node.js 24 arm64, each with a role of its own', () => {
    const functions = Object.values(resourcesOf('AWS::Lambda::Function'));
    expect(functions).toHaveLength(7);
    const roles = functions.map((fn) => JSON.stringify(fn.Properties?.Role));
    expect(new Set(roles).size).toBe(7);
    // One role per function, and the per-channel secret reader the deliver function assumes.
    template.resourceCountIs('AWS::IAM::Role', 8);
    for (const fn of functions) {
      expect(fn.Properties?.Runtime).toBe('nodejs24.x');
      expect(fn.Properties?.Architectures).toEqual(['arm64']);
    }
  });

  it("allows no wildcard action, and no wildcard resource but X-Ray's, in any IAM policy", () => {
    const statements = policyStatements();
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      const actions = typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
      for (const action of actions) expect(action).not.toMatch(/(^|:)\*$/);
      // The documented exception: active tracing's writes, which X-Ray authorizes on `*` only.
      if (statement.Resource === '*') {
        expect(actions).toEqual(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);
      }
    }
  });

  it("reads a channel's secret only in a session tagged with that channel, never with the deliver role itself", () => {
    // The reader role: GetSecretValue under the prefix only where the secret's channel tag is the session's.
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'secretsmanager:GetSecretValue',
            Resource: {
              'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':secret:Herald/channels/\\*$')])],
            },
            Condition: {
              StringEquals: {
                // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, resolved by IAM
                'secretsmanager:ResourceTag/herald-channel': '${aws:PrincipalTag/herald-channel}',
              },
            },
          }),
        ],
      },
      Roles: [{ Ref: logicalIdOf('AWS::IAM::Role', 'DeliveryChannelSecretsRole') }],
    });
    // Only the deliver role may assume it, with session tags.
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Principal: {
              AWS: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeliverFunctionServiceRole'), 'Arn'] },
            },
          }),
        ],
      },
    });
    // The deliver role itself has no GetSecretValue under the prefix (only on referenced secrets).
    const deliverStatements = policyStatements('HeraldDeliveryDeliverFunction');
    const secretReads = deliverStatements.filter((statement) =>
      JSON.stringify(statement.Action).includes('secretsmanager:GetSecretValue'),
    );
    for (const statement of secretReads)
      expect(JSON.stringify(statement.Resource)).not.toContain('channels/*');
    expect(
      deliverStatements.some((statement) => JSON.stringify(statement.Action).includes('sts:TagSession')),
    ).toBe(true);
  });

  it('guards POST /v1/events with the API key authorizer (cached briefly) and POST /v1/iam/events with IAM', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /v1/events',
      AuthorizationType: 'CUSTOM',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 30,
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /v1/iam/events',
      AuthorizationType: 'AWS_IAM',
    });
  });

  it('requires IAM (SigV4) on every admin route', () => {
    for (const routeKey of ADMIN_ROUTE_KEYS) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey,
        AuthorizationType: 'AWS_IAM',
      });
    }
    const routes = Object.values(resourcesOf('AWS::ApiGatewayV2::Route'));
    expect(routes).toHaveLength(ADMIN_ROUTE_KEYS.length + 2);
  });

  it('lists deliveries newest first through an index for all of them and one per filter', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: [
        ['byTime', 'gsi1pk', 'gsi1sk', 'KEYS_ONLY'],
        ['byChannel', 'byChannel', 'gsi1sk', 'KEYS_ONLY'],
        ['byStatus', 'byStatus', 'statusSk', 'INCLUDE'],
        ['byChannelStatus', 'byChannelStatus', 'statusSk', 'INCLUDE'],
        ['byTypeStatus', 'byTypeStatus', 'statusSk', 'KEYS_ONLY'],
      ].map(([indexName, partitionKey, sortKey, projection]) =>
        Match.objectLike({
          IndexName: indexName,
          KeySchema: [
            { AttributeName: partitionKey, KeyType: 'HASH' },
            { AttributeName: sortKey, KeyType: 'RANGE' },
          ],
          // Keys, not records (a record's updates then write no index entry); the status indexes also
          // hold the channel and type that the dead-letter counts and filters read.
          Projection:
            projection === 'INCLUDE'
              ? { ProjectionType: 'INCLUDE', NonKeyAttributes: ['channelId', 'eventType'] }
              : { ProjectionType: 'KEYS_ONLY' },
        }),
      ),
    });
  });

  it('ingests every event on the herald bus through a rule targeting the ingest queue', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'herald' });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { account: ['123456789012'] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalIdOf('AWS::SQS::Queue', 'IngestIngestQueue'), 'Arn'] },
        }),
      ],
    });
  });

  it('feeds the router, deliver and redrive functions from their queues with partial batch failures', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
    template.allResourcesProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // A redrive runs one continuation at a time.
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf('AWS::SQS::Queue', 'AdminRedriveQueue'), 'Arn'] },
    });
  });
});

describe('API key authorizer', () => {
  it('may only read key hashes and stamp key use in the config table (besides writing its logs and traces)', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
            Resource: '*',
          }),
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [logicalIdOf('AWS::Logs::LogGroup', 'AuthorizerFunctionLogs'), 'Arn'] },
          }),
          Match.objectLike({
            Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
            Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['apikeyhash', 'apikey'] } },
          }),
        ],
      },
    });
  });
});

describe('forwarding from another bus', () => {
  it('adds a rule on the named bus that sends matching events to the ingest queue', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new HeraldStack(app, 'Forwarding', {
      env: { account: '123456789012', region: 'eu-west-1' },
      herald: { forward: { eventBusName: 'default', eventPattern: { source: ['aws.guardduty'] } } },
    });
    const forwarding = Template.fromStack(stack);
    // The ingest rule, the forwarding rule, and the digest flush schedule.
    forwarding.resourceCountIs('AWS::Events::Rule', 3);
    forwarding.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      EventPattern: { source: ['aws.guardduty'] },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('IngestQueue'), 'Arn'] } })],
    });
  });
});

describe('maxConcurrency and apiThrottle', () => {
  it('caps the router and deliver event sources and throttles the API stage only when asked', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new HeraldStack(app, 'Capped', {
      env: { account: '123456789012', region: 'eu-west-1' },
      herald: {
        maxConcurrency: { router: 5, deliver: 50 },
        apiThrottle: { rateLimit: 200, burstLimit: 400 },
      },
    });

    // Act
    const capped = Template.fromStack(stack);

    // Assess
    const limits = Object.values(capped.findResources('AWS::Lambda::EventSourceMapping')).map(
      (mapping) => mapping.Properties.ScalingConfig?.MaximumConcurrency,
    );
    expect(limits.sort()).toEqual([5, 50, undefined]); // the redrive function's source stays as it is
    capped.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
    });
    const defaults = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(defaults.every((mapping) => mapping.Properties.ScalingConfig === undefined)).toBe(true);
    expect(JSON.stringify(template.findResources('AWS::ApiGatewayV2::Stage'))).not.toContain('Throttling');
  });
});

describe('stageName', () => {
  it('serves the API on the $default stage at its root unless a stage is named', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: '$default', AutoDeploy: true });
    template.hasOutput('ApiUrl', {
      Value: { 'Fn::GetAtt': [logicalIdOf('AWS::ApiGatewayV2::Api', 'Api'), 'ApiEndpoint'] },
    });
  });

  it('serves the API on the named stage only, with its access logs, and puts the stage in ApiUrl', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new HeraldStack(app, 'Staged', {
      env: { account: '123456789012', region: 'eu-west-1' },
      herald: { stageName: 'live', apiThrottle: { rateLimit: 200, burstLimit: 400 } },
    });

    // Act
    const staged = Template.fromStack(stack);

    // Assess
    staged.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    staged.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'live',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('routeKey') },
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
    });
    const api = Object.keys(staged.findResources('AWS::ApiGatewayV2::Api'))[0];
    staged.hasOutput('ApiUrl', {
      Value: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [api, 'ApiEndpoint'] }, '/live']] },
    });
    staged.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '5xx',
      Dimensions: Match.arrayWith([{ Name: 'Stage', Value: 'live' }]),
    });
  });

  it('refuses a stage name API Gateway would refuse', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(() => new HeraldStack(app, 'Bad', { herald: { stageName: 'prod/v1' } })).toThrow(
      /stageName "prod\/v1"/,
    );
  });
});

describe('dnsServers', () => {
  it('points only the functions that check channel targets (admin, deliver) at the given resolvers', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new HeraldStack(app, 'Resolvers', {
      env: { account: '123456789012', region: 'eu-west-1' },
      herald: { dnsServers: ['10.0.0.2', '10.0.0.3:53'] },
    });
    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const withServers = Object.entries(functions)
      .filter(
        ([, resource]) => resource.Properties.Environment?.Variables?.DNS_SERVERS === '10.0.0.2,10.0.0.3:53',
      )
      .map(([logicalId]) => logicalId.replace(/[0-9A-F]{8}$/, ''));
    expect(withServers.sort()).toEqual([expect.stringMatching(/Admin/), expect.stringMatching(/Deliver/)]);
    expect(JSON.stringify(template.toJSON())).not.toContain('DNS_SERVERS');
  });
});

describe('fault injection', () => {
  it('is never in a template unless a test stack asks for it', () => {
    expect(JSON.stringify(template.toJSON())).not.toContain(FAULT_ENV);
  });
});

describe('table access per function', () => {
  /** The DynamoDB statements of the role of the function whose logical id starts with `prefix`. */
  const tableStatements = (prefix: string, table: 'ConfigTable' | 'StateTable'): Statement[] => {
    const statements = policyStatements(`Herald${prefix}`);
    expect(statements.length, prefix).toBeGreaterThan(0);
    return statements
      .filter((statement) => JSON.stringify(statement.Resource).includes(`Storage${table}`))
      .filter((statement) => JSON.stringify(statement.Action).includes('dynamodb:'));
  };
  const leadingKeys = (statement: Statement) =>
    statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];

  it.each([
    ['IngestIngestFunction', 'StateTable', ['event#*']],
    ['RoutingRouterFunction', 'ConfigTable', ['policy', 'channel', 'silence', 'meta', 'snapshot']],
    ['RoutingRouterFunction', 'StateTable', ['event#*', 'dedup#*', 'delivery#*']],
    ['DeliveryDeliverFunction', 'ConfigTable', ['channel', 'meta']],
    ['DeliveryDeliverFunction', 'StateTable', ['delivery#*', 'rate#*']],
    ['AdminRedriveFunction', 'StateTable', ['redrive#*', 'delivery#*']],
  ] as const)('scopes %s on the %s to the partitions it uses', (fn, table, partitions) => {
    const statements = tableStatements(fn, table as 'ConfigTable' | 'StateTable');
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      const onIndexes = JSON.stringify(statement.Resource).includes('/index/*');
      if (onIndexes) {
        // Index queries only (no partition condition can scope an index), and never a write.
        expect(statement.Action).toBe('dynamodb:Query');
        continue;
      }
      const writes = /Put|Update|Delete|Write/.test(JSON.stringify(statement.Action));
      // The router writes its config snapshots only: never a policy, channel or the generation.
      const written = fn === 'RoutingRouterFunction' && table === 'ConfigTable' ? ['snapshot'] : partitions;
      expect(leadingKeys(statement)).toEqual([...(writes ? written : partitions)]);
      expect(JSON.stringify(statement.Action)).not.toContain('Scan');
    }
  });

  it('gives the ingest function nothing of the config table, and the router no write to it but its snapshots', () => {
    expect(tableStatements('IngestIngestFunction', 'ConfigTable')).toEqual([]);
    const writes = tableStatements('RoutingRouterFunction', 'ConfigTable').filter((statement) =>
      /Put|Update|Delete|Write/.test(JSON.stringify(statement.Action)),
    );
    expect(writes.map(leadingKeys)).toEqual([['snapshot']]);
    expect(writes.map((statement) => statement.Action)).toEqual(['dynamodb:PutItem']);
  });
});
