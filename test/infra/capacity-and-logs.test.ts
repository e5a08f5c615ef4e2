import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { HeraldStack, type HeraldStackProps } from '../../infra/herald-stack.ts';

const ENV = { account: '123456789012', region: 'eu-west-1' };

const synth = (herald: HeraldStackProps['herald'] = {}): Template => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new HeraldStack(app, 'Herald', { env: ENV, herald }));
};

interface GlobalTableProperties {
  BillingMode?: string;
  WriteProvisionedThroughputSettings?: { WriteCapacityAutoScalingSettings?: Record<string, unknown> };
  GlobalSecondaryIndexes?: {
    IndexName: string;
    WriteProvisionedThroughputSettings?: { WriteCapacityAutoScalingSettings?: Record<string, unknown> };
  }[];
  Replicas?: {
    ReadProvisionedThroughputSettings?: { ReadCapacityAutoScalingSettings?: Record<string, unknown> };
  }[];
}

/** The state table's properties (the table keyed on `pk`/`sk`). */
const stateTable = (template: Template): GlobalTableProperties => {
  const tables = Object.entries(template.findResources('AWS::DynamoDB::GlobalTable'));
  const found = tables.find(([logicalId]) => logicalId.includes('StateTable'));
  if (found === undefined) throw new Error('no state table');
  return found[1].Properties as GlobalTableProperties;
};

describe('stateTableCapacity', () => {
  it('leaves the state table on demand by default', () => {
    // Act
    const table = stateTable(synth());

    // Assess
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.WriteProvisionedThroughputSettings).toBeUndefined();
  });

  it('provisions the table and every index with auto scaling between the bounds, at the target', () => {
    // Act
    const table = stateTable(
      synth({
        stateTableCapacity: {
          writeUnits: { min: 50, max: 4000 },
          readUnits: { min: 5, max: 500 },
          targetUtilizationPercent: 60,
        },
      }),
    );

    // Assess
    const writes = {
      MinCapacity: 50,
      MaxCapacity: 4000,
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 60 },
    };
    expect(table.BillingMode).toBe('PROVISIONED');
    expect(table.WriteProvisionedThroughputSettings?.WriteCapacityAutoScalingSettings).toEqual(writes);
    expect(table.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([
      'byTime',
      'byChannel',
      'byStatus',
      'byChannelStatus',
      'byTypeStatus',
    ]);
    for (const index of table.GlobalSecondaryIndexes ?? []) {
      expect(index.WriteProvisionedThroughputSettings?.WriteCapacityAutoScalingSettings).toEqual(writes);
    }
    expect(table.Replicas?.[0]?.ReadProvisionedThroughputSettings?.ReadCapacityAutoScalingSettings).toEqual({
      MinCapacity: 5,
      MaxCapacity: 500,
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 60 },
    });
  });

  it('refuses bounds and targets DynamoDB would not take, naming the field', () => {
    const capacity = { writeUnits: { min: 10, max: 100 }, readUnits: { min: 1, max: 10 } };
    expect(() => synth({ stateTableCapacity: { ...capacity, writeUnits: { min: 0, max: 5 } } })).toThrow(
      /stateTableCapacity\.writeUnits/,
    );
    expect(() => synth({ stateTableCapacity: { ...capacity, readUnits: { min: 20, max: 10 } } })).toThrow(
      /stateTableCapacity\.readUnits/,
    );
    expect(() => synth({ stateTableCapacity: { ...capacity, targetUtilizationPercent: 95 } })).toThrow(
      /targetUtilizationPercent 95/,
    );
  });
});

describe('logLevel', () => {
  const levels = (template: Template) =>
    Object.values(template.findResources('AWS::Lambda::Function')).map(
      (resource) => resource.Properties.Environment?.Variables?.POWERTOOLS_LOG_LEVEL as string | undefined,
    );

  it('logs at INFO by default and at the given level on every function', () => {
    const byDefault = levels(synth());
    const debug = levels(synth({ logLevel: 'DEBUG' }));

    expect(byDefault.length).toBeGreaterThanOrEqual(7);
    expect(new Set(byDefault)).toEqual(new Set(['INFO']));
    expect(debug.length).toBe(byDefault.length);
    expect(new Set(debug)).toEqual(new Set(['DEBUG']));
  });
});
