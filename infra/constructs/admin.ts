import { Duration } from 'aws-cdk-lib';
import { type HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ADMIN_ROUTE_KEYS } from '../../shared/admin/routes.ts';
import { functionEntry } from '../paths.ts';
import { type ChannelDestinations, HeraldFunction } from './herald-function.ts';

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
}

/** The admin API (SPEC §6): one function behind every admin route, each route IAM-authorized. */
export class Admin extends Construct {
  readonly function: HeraldFunction;

  constructor(scope: Construct, id: string, props: AdminProps) {
    super(scope, id);
    this.function = new HeraldFunction(this, 'AdminFunction', {
      entry: functionEntry('admin'),
      description: 'Herald admin API: channels, policies, API keys, deliveries, dead letters',
      timeout: Duration.seconds(29),
      environment: {
        RETENTION_DAYS: String(props.retentionDays),
      },
    })
      .bindTable('CONFIG_TABLE_NAME', props.configTable, 'rw')
      .bindTable('STATE_TABLE_NAME', props.stateTable, 'rw')
      .bindQueueSender('DELIVERY_QUEUE_URL', props.deliveryQueue)
      .bindQueueConsumer('DELIVERY_DLQ_URL', props.deliveryDeadLetterQueue);
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
