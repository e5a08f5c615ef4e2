import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { type CfnStage, HttpApi, HttpMethod, type IHttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  HttpIamAuthorizer,
  HttpLambdaAuthorizer,
  HttpLambdaResponseType,
} from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, type EventPattern, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { STATE_PREFIXES } from '../../shared/aws/partitions.ts';
import { ENV } from '../../shared/runtime/env-names.ts';
import { functionEntry } from '../paths.ts';
import { HeraldFunction } from './herald-function.ts';
import { QueueWithDlq } from './queues.ts';

/** The stage HTTP APIs serve at their root, with no stage name in the path. */
export const DEFAULT_STAGE = '$default';

/** API Gateway's rule for stage names: letters, digits, `-` and `_` (up to 128), or `$default`. */
const checkStageName = (stageName: string): string => {
  if (Token.isUnresolved(stageName) || stageName === DEFAULT_STAGE || /^[\w-]{1,128}$/.test(stageName)) {
    return stageName;
  }
  throw new Error(
    `stageName ${JSON.stringify(stageName)}: a stage name is $default or 1 to 128 letters, digits, - and _`,
  );
};

/** Events on another bus (e.g. `default`, where AWS services publish) that Herald ingests too. */
export interface ForwardRule {
  readonly eventBusName: string;
  /** Which events: an EventBridge pattern (it must not be empty). */
  readonly eventPattern: EventPattern;
}

export interface IngestProps {
  readonly stateTable: ITableV2;
  readonly configTable: ITableV2;
  /** Also ingest matching events from another bus in this account (SPEC §2). @default none */
  readonly forward?: ForwardRule;
  /** How long the HTTP API caches an API key's verdict. @default Duration.seconds(30) */
  readonly apiKeyCacheTtl?: Duration;
  /** @default 'herald' */
  readonly eventBusName?: string;
  readonly retentionDays: number;
  /** The API's stage (see `HeraldProps.stageName`). @default '$default' */
  readonly stageName?: string;
  /** Throttling of the API's stage (every route). @default the account's API Gateway limits */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** The timeout of the router, which the ingest queue feeds: its visibility timeout derives from it. */
  readonly routerTimeout: Duration;
  /** Memory in MB of the ingest and authorizer functions. @default 256 each */
  readonly memorySize?: { readonly ingest?: number; readonly authorizer?: number };
}

/**
 * The ways in: the HTTP API's ingest routes (`/v1/events` with an API key checked by the authorizer
 * function, `/v1/iam/events` with IAM) (validated by the ingest function, then queued) and the
 * EventBridge bus, whose rule puts every event straight on the ingest queue.
 */
export class Ingest extends Construct {
  readonly api: HttpApi;
  /** The API's one stage: `$default`, or the one `stageName` names. */
  readonly stage: IHttpStage;
  /** The API's base URL: its endpoint, then `/<stage>` unless the stage is `$default`. */
  readonly url: string;
  readonly bus: EventBus;
  readonly queue: QueueWithDlq;
  readonly function: HeraldFunction;
  readonly authorizerFunction: HeraldFunction;

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);
    this.queue = new QueueWithDlq(this, 'IngestQueue', {
      consumerTimeout: props.routerTimeout,
      maxReceiveCount: 5,
    });

    this.function = new HeraldFunction(this, 'IngestFunction', {
      entry: functionEntry('ingest'),
      description: 'Herald ingest: validates events and queues them',
      timeout: Duration.seconds(15),
      memorySize: props.memorySize?.ingest,
      environment: { [ENV.retentionDays]: String(props.retentionDays) },
    })
      .bindQueueSender(ENV.ingestQueueUrl, this.queue.queue)
      // Event idempotency claims only.
      .bindTableItems(ENV.stateTable, props.stateTable, { write: [`${STATE_PREFIXES.event}*`] });

    this.authorizerFunction = new HeraldFunction(this, 'AuthorizerFunction', {
      entry: functionEntry('authorizer'),
      description: 'Herald API key authorizer for the ingest route',
      timeout: Duration.seconds(5),
      memorySize: props.memorySize?.authorizer,
    }).env(ENV.configTable, props.configTable.tableName);
    // Only what the authorizer does: read a key's hash item, stamp the key's last use.
    this.authorizerFunction.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [props.configTable.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['apikeyhash', 'apikey'] } },
      }),
    );

    const stageName = checkStageName(props.stageName ?? DEFAULT_STAGE);
    const atRoot = stageName === DEFAULT_STAGE;
    this.api = new HttpApi(this, 'Api', { description: 'Herald API', createDefaultStage: atRoot });
    const stage = atRoot
      ? this.api.defaultStage
      : this.api.addStage('Stage', { stageName, autoDeploy: true });
    if (stage === undefined) throw new Error('the Herald API has no $default stage');
    this.stage = stage;
    this.url = atRoot ? this.api.apiEndpoint : `${this.api.apiEndpoint}/${stageName}`;
    // Access logs of the stage: one JSON line per request, no headers or bodies (they carry API keys
    // and user data). HTTP APIs write them through API Gateway's service-linked role.
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const defaultStage = stage.node.defaultChild as CfnStage;
    defaultStage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        requestTime: '$context.requestTime',
        sourceIp: '$context.identity.sourceIp',
        routeKey: '$context.routeKey',
        status: '$context.status',
        responseLength: '$context.responseLength',
        latencyMs: '$context.responseLatency',
        integrationError: '$context.integrationErrorMessage',
        authorizerError: '$context.authorizer.error',
      }),
    };
    if (props.throttle === undefined) {
      Validations.of(defaultStage).acknowledge({
        id: 'Serverless::Serverless-APIGWDefaultThrottling',
        reason:
          'The rate a deployment needs is its own: the apiThrottle stack prop sets it, and without it ' +
          "the account's API Gateway limits (10,000 requests/s by default) apply.",
      });
    } else {
      defaultStage.defaultRouteSettings = {
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
      };
    }
    const integration = new HttpLambdaIntegration('IngestIntegration', this.function.fn);
    this.api.addRoutes({
      path: '/v1/events',
      methods: [HttpMethod.POST],
      integration,
      authorizer: new HttpLambdaAuthorizer('ApiKeyAuthorizer', this.authorizerFunction.fn, {
        responseTypes: [HttpLambdaResponseType.SIMPLE],
        identitySource: ['$request.header.Authorization'],
        resultsCacheTtl: props.apiKeyCacheTtl ?? Duration.seconds(30),
      }),
    });
    this.api.addRoutes({
      path: '/v1/iam/events',
      methods: [HttpMethod.POST],
      integration,
      authorizer: new HttpIamAuthorizer(),
    });

    this.bus = new EventBus(this, 'Bus', { eventBusName: props.eventBusName ?? 'herald' });
    // Events EventBridge could not put on the ingest queue (after its own retries, up to 24 h) go to the
    // ingest dead-letter queue as the event itself, with EventBridge's ERROR_CODE and ERROR_MESSAGE
    // attributes, instead of being dropped.
    const ingestTarget = new SqsQueue(this.queue.queue, { deadLetterQueue: this.queue.deadLetterQueue });
    new Rule(this, 'BusToIngestQueue', {
      eventBus: this.bus,
      description: 'Every event on the Herald bus is ingested',
      eventPattern: { account: [Stack.of(this).account] },
      targets: [ingestTarget],
    });
    if (props.forward !== undefined) {
      new Rule(this, 'ForwardToIngestQueue', {
        eventBus: EventBus.fromEventBusName(this, 'ForwardedBus', props.forward.eventBusName),
        description: `Events matching the pattern on ${props.forward.eventBusName} are ingested by Herald`,
        eventPattern: props.forward.eventPattern,
        targets: [ingestTarget],
      });
    }
  }
}
