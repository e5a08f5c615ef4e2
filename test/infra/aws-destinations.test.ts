/**
 * What the `sqsQueueArns`, `eventBusArns` and `assumableRoleArns` props grant: the deliver and admin
 * roles (the admin function sends test-sends) may send to those queues, put on those buses (never on
 * the ones Herald ingests from) and assume those roles, and nothing else; the functions are told the
 * lists so the admin API can check channels against them.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { HeraldStack, type HeraldStackProps } from '../../infra/herald-stack.ts';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
type Resource = { Properties?: Record<string, unknown> };

const ENV = { account: '123456789012', region: 'eu-west-1' };
const QUEUES = ['arn:aws:sqs:eu-west-1:210987654321:platform-*', 'arn:aws:sqs:eu-west-1:123456789012:orders'];
const BUSES = ['arn:aws:events:eu-west-1:210987654321:event-bus/platform-*'];
const ROLES = ['arn:aws:iam::210987654321:role/herald-*'];

let withLists: { template: Template; stack: Stack };
let bare: { template: Template; stack: Stack };

const synth = (id: string, herald: HeraldStackProps['herald']) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new HeraldStack(app, id, { env: ENV, ...(herald === undefined ? {} : { herald }) });
  return { template: Template.fromStack(stack), stack };
};

/** The statements of the role policy of the function whose logical id starts with `prefix`. */
const statementsOf = (template: Template, prefix: string): Statement[] =>
  Object.entries(template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
    .filter(([id]) => id.startsWith(prefix))
    .flatMap(
      ([, policy]) =>
        (policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
    );

const actionsOf = (statement: Statement) =>
  typeof statement.Action === 'string' ? [statement.Action] : statement.Action;

/** The statements granting or denying `action`. */
const withAction = (statements: Statement[], action: string) =>
  statements.filter((statement) => actionsOf(statement).includes(action));

/** The environment of the function whose logical id starts with `prefix`. */
const environmentOf = (template: Template, prefix: string): Record<string, unknown> => {
  const [fn] = Object.entries(template.findResources('AWS::Lambda::Function') as Record<string, Resource>)
    .filter(([id]) => id.startsWith(prefix))
    .map(([, resource]) => resource);
  const environment = fn?.Properties?.Environment as { Variables: Record<string, unknown> } | undefined;
  if (environment === undefined) throw new Error(`no environment on ${prefix}`);
  return environment.Variables;
};

const FUNCTIONS = [
  ['deliver', 'HeraldDeliveryDeliverFunction'],
  ['admin', 'HeraldAdminAdminFunction'],
] as const;

beforeAll(() => {
  withLists = synth('Lists', {
    sqsQueueArns: QUEUES,
    eventBusArns: BUSES,
    assumableRoleArns: ROLES,
    forward: { eventBusName: 'default', eventPattern: { source: ['aws.guardduty'] } },
  });
  bare = synth('Bare', {});
});

describe.each(FUNCTIONS)('the %s role, with the AWS destination props', (_name, prefix) => {
  it('may send to the listed queues, put on the listed buses and assume the listed roles, each alone', () => {
    // Act
    const statements = statementsOf(withLists.template, prefix).filter((s) => s.Effect === 'Allow');

    // Assess
    expect(withAction(statements, 'sqs:SendMessage').filter((s) => Array.isArray(s.Resource))).toEqual([
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUES },
    ]);
    expect(withAction(statements, 'events:PutEvents')).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: BUSES[0] },
    ]);
    expect(
      withAction(statements, 'sts:AssumeRole').filter((s) => JSON.stringify(s.Resource).includes(':iam::')),
    ).toEqual([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ROLES[0] }]);
  });

  it('may never put events on the buses Herald ingests from (its own and the forwarded one)', () => {
    // Act
    const denied = statementsOf(withLists.template, prefix).filter((s) => s.Effect === 'Deny');

    // Assess
    expect(denied).toHaveLength(1);
    expect(denied[0]?.Action).toBe('events:PutEvents');
    const resources = JSON.stringify(denied[0]?.Resource);
    expect(resources).toContain('HeraldIngestBus');
    expect(resources).toContain(':event-bus/default');
  });

  it('is told the lists and the ingest buses, for the save-time checks', () => {
    // Act
    const variables = environmentOf(withLists.template, prefix);

    // Assess
    expect(variables.SQS_QUEUE_ARNS).toBe(QUEUES.join(','));
    expect(variables.EVENT_BUS_ARNS).toBe(BUSES.join(','));
    expect(variables.ASSUMABLE_ROLE_ARNS).toBe(ROLES.join(','));
    expect(JSON.stringify(withLists.stack.resolve(variables.INGEST_BUS_ARNS))).toContain('HeraldIngestBus');
  });
});

describe('stack outputs', () => {
  it('name the deliver and admin roles, for the trust and queue policies of a receiving account', () => {
    // Assess
    for (const [output, prefix] of [
      ['DeliverRoleArn', 'HeraldDeliveryDeliverFunctionServiceRole'],
      ['AdminRoleArn', 'HeraldAdminAdminFunctionServiceRole'],
    ] as const) {
      const value = JSON.stringify(withLists.template.toJSON().Outputs?.[output]?.Value);
      expect(value).toContain(prefix);
      expect(value).toContain('"Arn"');
    }
  });
});

describe.each(FUNCTIONS)('the %s role, without the AWS destination props', (_name, prefix) => {
  it('may put on no bus, assume no channel role and send only to Herald’s own queues', () => {
    // Act
    const statements = statementsOf(bare.template, prefix);

    // Assess
    expect(withAction(statements, 'events:PutEvents')).toEqual([]);
    expect(JSON.stringify(withAction(statements, 'sts:AssumeRole'))).not.toContain(':iam::');
    for (const statement of withAction(statements, 'sqs:SendMessage')) {
      // Herald's own queues are references to resources of the stack, never ARN strings.
      expect(typeof statement.Resource).toBe('object');
      expect(Array.isArray(statement.Resource)).toBe(false);
    }
    expect(environmentOf(bare.template, prefix).SQS_QUEUE_ARNS).toBe('');
  });
});
