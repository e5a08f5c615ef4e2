import { Duration } from 'aws-cdk-lib';
import { type HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ADMIN_ROUTE_KEYS } from '../../shared/admin/routes.ts';
import { STATE_PREFIXES } from '../../shared/aws/partitions.ts';
import { ENV } from '../../shared/runtime/env-names.ts';
import { functionEntry } from '../paths.ts';
import { type ChannelDestinations, HeraldFunction, type SecretRefs } from './herald-function.ts';
import { QueueWithDlq } from './queues.ts';

export interface AdminProps {
  readonly api: HttpApi;
  readonly configTable: ITableV2;
  readonly stateTable: ITableV2;
  readonly deliveryQueue: IQueue;
  readonly deliveryDeadLetterQueue: IQueue;
  /** Where events are routed from, and its dead-letter queue (events that could not be routed). */
  readonly ingestQueue: IQueue;
  readonly ingestDeadLetterQueue: IQueue;
  readonly secretPrefix: string;
  /** Existing secrets that channels may reference with `secretRef`, and their KMS keys. */
  readonly secretRefs: SecretRefs;
  /** Where channels may send: checked when a channel is saved, used by test-sends. */
  readonly destinations: ChannelDestinations;
  readonly retentionDays: number;
  /** How long a redrive runs within its admin request before going on in the background. */
  readonly redriveForeground: Duration;
  /** Memory in MB of the admin and redrive functions. @default 256 each */
  readonly memorySize?: { readonly admin?: number; readonly redrive?: number };
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
    // One message per running redrive; each invocation redrives for 40 s (the handler's
    // RUN_MILLISECONDS, which this timeout leaves room for), then queues the next.
    const redriveTimeout = Duration.seconds(60);
    this.redriveQueue = new QueueWithDlq(this, 'RedriveQueue', {
      consumerTimeout: redriveTimeout,
      maxReceiveCount: 5,
    });
    this.redriveFunction = new HeraldFunction(this, 'RedriveFunction', {
      entry: functionEntry('redrive'),
      description: 'Herald redrive: sends dead deliveries back through delivery, page by page',
      timeout: redriveTimeout,
      memorySize: props.memorySize?.redrive,
      environment: { [ENV.retentionDays]: String(props.retentionDays) },
    })
      // Redrive tasks, and the dead deliveries they reset; the dead-letter index.
      .bindTableItems(ENV.stateTable, props.stateTable, {
        write: [`${STATE_PREFIXES.redrive}*`, `${STATE_PREFIXES.delivery}*`],
        indexReads: true,
      })
      .bindQueueSender(ENV.deliveryQueueUrl, props.deliveryQueue)
      .bindQueueSender(ENV.redriveQueueUrl, this.redriveQueue.queue);
    this.redriveQueue.feed(this.redriveFunction, { batchSize: 1 });
    this.function = new HeraldFunction(this, 'AdminFunction', {
      entry: functionEntry('admin'),
      description: 'Herald admin API: channels, policies, API keys, deliveries, dead letters',
      timeout: Duration.seconds(29),
      memorySize: props.memorySize?.admin,
      sendsDigests: true,
      environment: {
        [ENV.retentionDays]: String(props.retentionDays),
        [ENV.redriveForegroundMs]: String(props.redriveForeground.toMilliseconds()),
      },
    })
      .bindTable(ENV.configTable, props.configTable, 'rw')
      .bindTable(ENV.stateTable, props.stateTable, 'rw')
      .bindQueueSender(ENV.deliveryQueueUrl, props.deliveryQueue)
      .bindQueueSender(ENV.redriveQueueUrl, this.redriveQueue.queue)
      .bindQueueConsumer(ENV.deliveryDlqUrl, props.deliveryDeadLetterQueue)
      .bindQueueSender(ENV.ingestQueueUrl, props.ingestQueue)
      .bindQueueConsumer(ENV.ingestDlqUrl, props.ingestDeadLetterQueue);
    this.function.bindSecrets(props.secretPrefix, 'manage', props.secretRefs);
    this.function.bindDestinations(props.destinations);

    const integration = new HttpLambdaIntegration('AdminIntegration', this.function.fn);
    const iam = new HttpIamAuthorizer();
    for (const routeKey of ADMIN_ROUTE_KEYS) {
      const [method, path] = routeKey.split(' ') as [keyof typeof HttpMethod, string];
      props.api.addRoutes({ path, methods: [HttpMethod[method]], integration, authorizer: iam });
    }
  }
}
