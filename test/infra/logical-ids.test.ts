/**
 * The logical ids of what holds data or is named from outside (tables, queues, the bus, the API, the
 * alarm topic, the functions and their roles), pinned: CloudFormation replaces a resource whose
 * logical id changes, so a refactor that moved one of these in the construct tree would delete a
 * table or a queue's messages on the next deploy, or show up in `cdk diff` as a replacement. Change
 * this list only with an upgrade note.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { HeraldStack } from '../../infra/herald-stack.ts';

const PINNED: Record<string, string[]> = {
  'AWS::DynamoDB::GlobalTable': ['HeraldStorageConfigTableC420F347', 'HeraldStorageStateTable4E641E15'],
  'AWS::SQS::Queue': [
    'HeraldAdminRedriveQueue7ACA5C38',
    'HeraldAdminRedriveQueueDeadLetterQueueA91E1CC4',
    'HeraldDeliveryDeliveryQueueBC26FFAE',
    'HeraldDeliveryDeliveryQueueDeadLetterQueue2099ED2A',
    'HeraldIngestIngestQueue1317C229',
    'HeraldIngestIngestQueueDeadLetterQueue97E48C28',
  ],
  'AWS::Events::EventBus': ['HeraldIngestBus76C49D67'],
  'AWS::ApiGatewayV2::Api': ['HeraldIngestApi0D91466E'],
  'AWS::SNS::Topic': ['HeraldObservabilityAlarmTopic3F8AE1CD'],
  'AWS::Lambda::Function': [
    'HeraldAdminAdminFunction1842845B',
    'HeraldAdminRedriveFunction5B701016',
    'HeraldDeliveryDeliverFunctionDCD357B3',
    'HeraldDigestsDigestFunction9117A597',
    'HeraldIngestAuthorizerFunctionF58257B3',
    'HeraldIngestIngestFunction40AB8FBC',
    'HeraldRoutingRouterFunction17D1FB6A',
  ],
  'AWS::IAM::Role': [
    'HeraldAdminAdminFunctionServiceRole9E7B3288',
    'HeraldAdminRedriveFunctionServiceRole2BAA71C8',
    'HeraldDeliveryChannelSecretsRoleD7B49AD4',
    'HeraldDeliveryDeliverFunctionServiceRole9267B1CF',
    'HeraldDigestsDigestFunctionServiceRoleF1A339B7',
    'HeraldIngestAuthorizerFunctionServiceRole17C0DE66',
    'HeraldIngestIngestFunctionServiceRole6C74A007',
    'HeraldRoutingRouterFunctionServiceRole04DC65FB',
  ],
};

describe('logical ids', () => {
  it('stay what they were for every table, queue, bus, API, topic, function and role', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new HeraldStack(app, 'Herald', { env: { account: '123456789012', region: 'eu-west-1' } });

    // Act
    const template = Template.fromStack(stack);

    // Assess
    const found = Object.fromEntries(
      Object.keys(PINNED).map((type) => [type, Object.keys(template.findResources(type)).sort()]),
    );
    expect(found).toEqual(PINNED);
  });
});
