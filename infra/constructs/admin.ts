import { Duration, Validations } from 'aws-cdk-lib';
import { type HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ADMIN_ROUTE_KEYS } from '../../shared/admin/routes.ts';
import { STATE_PREFIXES } from '../../shared/aws/partitions.ts';
import { ENV } from '../../shared/runtime/env-names.ts';
import { functionEntry } from '../paths.ts';
import { type ChannelDestinations, HeraldFunction } from './herald-function.ts';
import { QueueWithDlq, SQS_EVENT_SOURCE_FAILURES } from './queues.ts';

export interface AdminProps {
  readonly api: HttpApi;
  readonly configTable: ITableV2;
  readonly stateTable: ITableV2;
  readonly deliveryQueue: IQueue;
  readonly deliveryDeadLetterQueue: IQueue;
  readonly secretPrefix: string;
  /** ARNs (patterns allowed) of existing secrets that channels may reference with `secretRef`. */
  readonly secretRefArns: readonly string[];
  /** Where channels may send: checked when a channel is saved, used by test-sends. */
  readonly destinations: ChannelDestinations;
  readonly retentionDays: number;
  /** How long a redrive runs within its admin request before going on in the background. */
  readonly redriveForeground: Duration;
}

/**
 * The admin API (SPEC §6): one function behind every admin route, each route IAM-authorized; and the
 * redrive function, which goes on with dead-letter redrives that outlast an admin request.
 */
export class Admin extends Construct {
  readonly function: HeraldFunction;
  readonly redriveFunction: HeraldFunction;
  readonly redriveQueue: QueueWithDlq;

  constructor(scope: Construct, id: string, props: AdminProps) {
    super(scope, id);
    const redriveTimeout = Duration.seconds(60);
    // One message per running redrive; each invocation redrives for 40 s, then queues the next.
    this.redriveQueue = new QueueWithDlq(this, 'RedriveQueue', {
      visibilityTimeout: Duration.seconds(redriveTimeout.toSeconds() * 3),
      maxReceiveCount: 5,
    });
    this.redriveFunction = new HeraldFunction(this, 'RedriveFunction', {
      entry: functionEntry('redrive'),
      description: 'Herald redrive: sends dead deliveries back through delivery, page by page',
      timeout: redriveTimeout,
      environment: { [ENV.retentionDays]: String(props.retentionDays) },
    })
      // Redrive tasks, and the dead deliveries they reset; the dead-letter index.
      .bindTableItems(ENV.stateTable, props.stateTable, {
        write: [`${STATE_PREFIXES.redrive}*`, `${STATE_PREFIXES.delivery}*`],
        indexReads: true,
      })
      .bindQueueSender(ENV.deliveryQueueUrl, props.deliveryQueue)
      .bindQueueSender(ENV.redriveQueueUrl, this.redriveQueue.queue);
    this.redriveFunction.fn.addEventSource(
      new SqsEventSource(this.redriveQueue.queue, { batchSize: 1, reportBatchItemFailures: true }),
    );
    Validations.of(this.redriveFunction).acknowledge(SQS_EVENT_SOURCE_FAILURES);
    this.function = new HeraldFunction(this, 'AdminFunction', {
      entry: functionEntry('admin'),
      description: 'Herald admin API: channels, policies, API keys, deliveries, dead letters',
      timeout: Duration.seconds(29),
      environment: {
        [ENV.retentionDays]: String(props.retentionDays),
        [ENV.redriveForegroundMs]: String(props.redriveForeground.toMilliseconds()),
      },
    })
      .bindTable(ENV.configTable, props.configTable, 'rw')
      .bindTable(ENV.stateTable, props.stateTable, 'rw')
      .bindQueueSender(ENV.deliveryQueueUrl, props.deliveryQueue)
      .bindQueueSender(ENV.redriveQueueUrl, this.redriveQueue.queue)
      .bindQueueConsumer(ENV.deliveryDlqUrl, props.deliveryDeadLetterQueue);
    this.function.bindSecrets(props.secretPrefix, 'manage', props.secretRefArns);
    this.function.bindDestinations(props.destinations);

    const integration = new HttpLambdaIntegration('AdminIntegration', this.function.fn);
    const iam = new HttpIamAuthorizer();
    for (const routeKey of ADMIN_ROUTE_KEYS) {
      const [method, path] = routeKey.split(' ') as [keyof typeof HttpMethod, string];
      props.api.addRoutes({ path, methods: [HttpMethod[method]], integration, authorizer: iam });
    }
  }
}
