/** The stacks the template gates (cdk-nag, cfn-lint) check: as deployed by default, and with every option. */
import { Duration } from 'aws-cdk-lib';
import type { HeraldStackProps } from '../../infra/herald-stack.ts';

const ENV = { account: '123456789012', region: 'eu-west-1' };

/** The stack as deployed by default, and with every optional feature that adds resources or statements. */
export const STACKS: Record<string, HeraldStackProps> = {
  default: { env: ENV },
  'every option': {
    env: ENV,
    herald: {
      forward: { eventBusName: 'default', eventPattern: { source: ['aws.guardduty'] } },
      secretRefArns: ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/*'],
      secretKmsKeyArns: ['arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
      snsTopicArns: ['arn:aws:sns:eu-west-1:123456789012:alerts-*'],
      sesIdentities: ['example.com'],
      sqsQueueArns: [
        'arn:aws:sqs:eu-west-1:210987654321:platform-*',
        'arn:aws:sqs:eu-west-1:123456789012:orders',
      ],
      eventBusArns: ['arn:aws:events:eu-west-1:210987654321:event-bus/platform-*'],
      assumableRoleArns: ['arn:aws:iam::210987654321:role/herald-*'],
      dnsServers: ['10.0.0.2'],
      alarmEmail: 'oncall@example.com',
      maxConcurrency: { router: 5, deliver: 50 },
      apiThrottle: { rateLimit: 200, burstLimit: 400 },
      stageName: 'live',
      metricsNamespace: 'Herald/prod',
      logLevel: 'DEBUG',
      stateTableCapacity: { writeUnits: { min: 50, max: 4000 }, readUnits: { min: 5, max: 500 } },
      retrySchedule: [Duration.seconds(0), Duration.minutes(1)],
      memorySize: { deliver: 512, router: 1024 },
      timeout: { router: Duration.seconds(20), deliver: Duration.seconds(45) },
    },
  },
};
