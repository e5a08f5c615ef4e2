import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Herald, type HeraldProps } from './herald.ts';

export interface HeraldStackProps extends StackProps {
  readonly herald?: HeraldProps;
}

/** The deployable Herald app: the construct plus the outputs the CLI, scripts and tests read. */
export class HeraldStack extends Stack {
  readonly herald: Herald;

  constructor(scope: Construct, id: string, props: HeraldStackProps = {}) {
    super(scope, id, props);
    this.herald = new Herald(this, 'Herald', props.herald);
    const { ingest, delivery, storage } = this.herald;
    const outputs: Record<string, string> = {
      ApiId: ingest.api.apiId,
      // The stage's path included when it is not `$default`: the CLI and the local scripts call it.
      ApiUrl: ingest.url,
      EventBusName: ingest.bus.eventBusName,
      IngestQueueUrl: ingest.queue.queue.queueUrl,
      IngestDeadLetterQueueUrl: ingest.queue.deadLetterQueue.queueUrl,
      DeliveryQueueUrl: delivery.queue.queue.queueUrl,
      DeliveryDeadLetterQueueUrl: delivery.queue.deadLetterQueue.queueUrl,
      ConfigTableName: storage.configTable.tableName,
      StateTableName: storage.stateTable.tableName,
      SecretPrefix: this.herald.secretPrefix,
      AlarmTopicArn: this.herald.observability.alarmTopic.topicArn,
      MetricsNamespace: this.herald.metricsNamespace,
      // What another account's trust policy (a channel's `roleArn`) or queue policy names.
      DeliverRoleArn: delivery.function.fn.role?.roleArn ?? '',
      AdminRoleArn: this.herald.admin.function.fn.role?.roleArn ?? '',
    };
    for (const [name, value] of Object.entries(outputs)) new CfnOutput(this, name, { value });
  }
}
