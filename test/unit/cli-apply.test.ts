import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANNEL_TYPE_NAMES } from '#shared/channels/registry.ts';
import {
  ApplyStepError,
  type DesiredState,
  type ExecuteApi,
  executePlan,
  formatStep,
  formatSummary,
  type PlanApi,
  type PlanStep,
  parseApplyFile,
  planApply,
} from '../../cli/apply.ts';
import type { DryRunResult } from '../../cli/client.ts';
import { FileError } from '../../cli/file.ts';

const channel = (id: string, body: Record<string, unknown> = {}) => ({
  kind: 'channel' as const,
  id,
  body: { id, type: 'webhook', config: { url: `https://hooks.example.com/${id}` }, ...body },
});
const policy = (id: string, channels: string[]) => ({
  kind: 'policy' as const,
  id,
  body: { id, channels },
});

type Plans = Record<string, DryRunResult>;

/** A planning API whose dry runs answer from `plans` (default: create) and lists from `server`. */
const fakePlanApi = (
  plans: Plans = {},
  server: { channels?: string[]; policies?: string[]; silences?: string[] } = {},
): PlanApi & { calls: string[] } => {
  const calls: string[] = [];
  const answer = (key: string): DryRunResult => plans[key] ?? { action: 'create', changes: [], warnings: [] };
  return {
    calls,
    planChannel: async (id) => {
      calls.push(`plan channel ${id}`);
      return answer(`channel ${id}`);
    },
    planPolicy: async (id) => {
      calls.push(`plan policy ${id}`);
      return answer(`policy ${id}`);
    },
    planSilence: async (id) => {
      calls.push(`plan silence ${id}`);
      return answer(`silence ${id}`);
    },
    listAllChannels: async () => {
      calls.push('list channels');
      return (server.channels ?? []).map((id) => ({ id }));
    },
    listAllPolicies: async () => {
      calls.push('list policies');
      return (server.policies ?? []).map((id) => ({ id }));
    },
    listAllSilences: async () => {
      calls.push('list silences');
      return (server.silences ?? []).map((id) => ({ id }));
    },
  };
};

const summary = (plan: readonly PlanStep[]) => plan.map(formatStep);

describe('planApply', () => {
  it('plans channels before policies, in file order, with the action the server reports', async () => {
    // Prepare
    const desired: DesiredState = {
      channels: [channel('ops-webhook'), channel('audit')],
      policies: [policy('prod', ['ops-webhook']), policy('audit-all', ['audit'])],
    };
    const api = fakePlanApi({
      'channel audit': { action: 'unchanged', changes: [], warnings: [] },
      'policy prod': { action: 'update', changes: ['events', 'channels'], warnings: [] },
    });

    // Act
    const plan = await planApply(desired, api, { prune: false });

    // Assess
    expect(summary(plan)).toEqual([
      '+ channel ops-webhook (create)',
      '= channel audit (unchanged)',
      '~ policy prod (update: events, channels)',
      '+ policy audit-all (create)',
    ]);
    expect(api.calls).not.toContain('list channels');
  });

  it('with prune, deletes policies and then channels that the file does not name, after every write', async () => {
    // Prepare
    const desired: DesiredState = { channels: [channel('keep')], policies: [policy('prod', ['keep'])] };
    const api = fakePlanApi({}, { channels: ['keep', 'old-b', 'old-a'], policies: ['prod', 'stale'] });

    // Act
    const plan = await planApply(desired, api, { prune: true });

    // Assess
    expect(summary(plan)).toEqual([
      '+ channel keep (create)',
      '+ policy prod (create)',
      '- policy stale (delete)',
      '- channel old-a (delete)',
      '- channel old-b (delete)',
    ]);
  });

  it('without prune, leaves resources the file does not name alone', async () => {
    // Prepare
    const desired: DesiredState = { channels: [channel('keep')], policies: [] };
    const api = fakePlanApi({}, { channels: ['keep', 'other'], policies: ['stale'] });

    // Act
    const plan = await planApply(desired, api, { prune: false });

    // Assess
    expect(plan.map((step) => step.action)).toEqual(['create']);
  });

  it('drops "does not exist" warnings for channels the same apply creates, keeps the others', async () => {
    // Prepare
    const desired: DesiredState = {
      channels: [channel('new-one')],
      policies: [policy('prod', ['new-one', 'ghost'])],
    };
    const api = fakePlanApi({
      'policy prod': {
        action: 'create',
        changes: [],
        warnings: ['channel new-one does not exist', 'channel ghost does not exist'],
      },
    });

    // Act
    const plan = await planApply(desired, api, { prune: false });

    // Assess
    expect(plan[1]?.warnings).toEqual(['channel ghost does not exist']);
  });

  it('warns when a policy names a channel that the prune deletes', async () => {
    // Prepare
    const desired: DesiredState = { channels: [], policies: [policy('prod', ['legacy'])] };
    const api = fakePlanApi({}, { channels: ['legacy'], policies: ['prod'] });

    // Act
    const plan = await planApply(desired, api, { prune: true });

    // Assess
    expect(plan[0]?.warnings).toEqual(['channel legacy is deleted by this apply']);
  });

  it('says which resource failed to plan', async () => {
    // Prepare
    const api = fakePlanApi();
    api.planPolicy = async () => {
      throw new Error('400 invalid_request');
    };

    // Act
    const failure = await planApply({ channels: [], policies: [policy('bad', ['x'])] }, api, {
      prune: false,
    }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(ApplyStepError);
    expect((failure as ApplyStepError).doing).toBe('planning policy bad');
  });
});

describe('planApply with silences', () => {
  it('plans silences after policies, and prunes silences only when the file manages them', async () => {
    // Prepare
    const yaml = [
      'channels: []',
      'policies: []',
      'silences:',
      '  - id: weekend',
      '    match: { environment: staging }',
      '    schedule: { timezone: Europe/Berlin, windows: [{ days: [sat, sun], from: "00:00", to: "24:00" }] }',
    ].join('\n');
    const managed = parseApplyFile(yaml, 'herald.yaml');
    const unmanaged = parseApplyFile('channels: []\npolicies: []\n', 'herald.yaml');
    const server = { silences: ['weekend', 'ad-hoc'] };

    // Act
    const planned = await planApply(managed, fakePlanApi({}, server), { prune: true });
    const untouched = await planApply(unmanaged, fakePlanApi({}, server), { prune: true });
    const applied = recordingExecuteApi();
    await executePlan(planned, applied);

    // Assess
    expect(summary(planned)).toEqual(['+ silence weekend (create)', '- silence ad-hoc (delete)']);
    expect(untouched).toEqual([]);
    expect(applied.calls).toEqual(['put silence weekend', 'delete silence ad-hoc']);
    let refused: unknown;
    try {
      parseApplyFile('silences:\n  - id: open-ended\n', 'herald.yaml');
    } catch (error) {
      refused = error;
    }
    expect(refused instanceof FileError ? refused.lines().join('\n') : refused).toMatch(
      /silences\.0\.endsAt: give endsAt \(a one-off silence\) or schedule/,
    );
  });
});

const recordingExecuteApi = (): ExecuteApi & { calls: string[] } => {
  const calls: string[] = [];
  return {
    calls,
    putChannel: async (id, _body, ifMatch) => {
      calls.push(`put channel ${id}${ifMatch === undefined ? '' : ` if-match ${ifMatch}`}`);
      return {};
    },
    putPolicy: async (id) => {
      calls.push(`put policy ${id}`);
      return { view: { warnings: id === 'prod' ? ['channel ghost does not exist'] : [] } };
    },
    deleteChannel: async (id) => {
      calls.push(`delete channel ${id}`);
    },
    putSilence: async (id) => {
      calls.push(`put silence ${id}`);
      return {};
    },
    deletePolicy: async (id) => {
      calls.push(`delete policy ${id}`);
    },
    deleteSilence: async (id) => {
      calls.push(`delete silence ${id}`);
    },
  };
};

const step = (kind: PlanStep['kind'], id: string, action: PlanStep['action']): PlanStep => ({
  kind,
  id,
  action,
  changes: [],
  warnings: [],
  ...(action === 'delete' ? {} : { body: { id } }),
});

describe('executePlan', () => {
  it('writes an update only if the resource still has the ETag it was planned against', async () => {
    const api = recordingExecuteApi();
    await executePlan([{ ...step('channel', 'ops', 'update'), etag: '"3"' }], api);
    expect(api.calls).toEqual(['put channel ops if-match "3"']);
  });

  it('runs the writes in plan order, skips unchanged steps and returns the write warnings', async () => {
    // Prepare
    const api = recordingExecuteApi();
    const plan = [
      step('channel', 'a', 'create'),
      step('channel', 'b', 'unchanged'),
      step('policy', 'prod', 'update'),
      step('policy', 'old', 'delete'),
      step('channel', 'old', 'delete'),
    ];

    // Act
    const applied = await executePlan(plan, api);

    // Assess
    expect(api.calls).toEqual([
      'put channel a',
      'put policy prod',
      'delete policy old',
      'delete channel old',
    ]);
    expect(applied.find((done) => done.step.id === 'prod')?.warnings).toEqual([
      'channel ghost does not exist',
    ]);
  });

  it('does nothing for a plan where everything is unchanged', async () => {
    // Prepare
    const api = recordingExecuteApi();

    // Act
    const applied = await executePlan(
      [step('channel', 'a', 'unchanged'), step('policy', 'p', 'unchanged')],
      api,
    );

    // Assess
    expect(applied).toEqual([]);
    expect(api.calls).toEqual([]);
  });

  it('stops at the first failure and reports the steps already applied', async () => {
    // Prepare
    const api = recordingExecuteApi();
    api.putPolicy = async () => {
      throw new Error('boom');
    };

    // Act
    const failure = await executePlan(
      [step('channel', 'a', 'create'), step('policy', 'p', 'create'), step('channel', 'z', 'delete')],
      api,
    ).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(ApplyStepError);
    expect((failure as ApplyStepError).doing).toBe('creating policy p');
    expect((failure as ApplyStepError).applied).toHaveLength(1);
    expect(api.calls).toEqual(['put channel a']);
  });
});

describe('formatSummary', () => {
  it('counts each action for a dry run', () => {
    // Act
    const line = formatSummary(
      [
        step('channel', 'a', 'create'),
        step('policy', 'p', 'update'),
        step('policy', 'q', 'unchanged'),
        step('channel', 'z', 'delete'),
      ],
      'dry-run',
    );

    // Assess
    expect(line).toBe('Plan: 1 to create, 1 to update, 1 to delete, 1 unchanged (dry run: nothing written).');
  });

  it('says there is nothing to change when every step is unchanged', () => {
    // Act
    const line = formatSummary([step('channel', 'a', 'unchanged')], 'applied');

    // Assess
    expect(line).toBe('No changes: 1 unchanged.');
  });
});

describe('parseApplyFile', () => {
  const problems = (text: string): string[] => {
    try {
      parseApplyFile(text, 'herald.yaml');
    } catch (error) {
      if (error instanceof FileError) return error.lines();
      throw error;
    }
    throw new Error('expected the file to be rejected');
  };

  it('reads the example file, keeping each entry as written', () => {
    // Prepare
    const text = readFileSync(join(import.meta.dirname, '../../examples/herald.local.yaml'), 'utf8');

    // Act
    const desired = parseApplyFile(text, 'herald.local.yaml');

    // Assess
    expect(desired.channels.map((resource) => resource.id)).toEqual(['demo-webhook', 'demo-email']);
    expect(desired.policies.map((resource) => resource.id)).toEqual(['demo-everything']);
    expect(desired.channels[0]?.body).not.toHaveProperty('enabled');
  });

  it('reads the example of every channel type, one channel per registered type', () => {
    // Prepare
    const text = readFileSync(join(import.meta.dirname, '../../examples/channels.yaml'), 'utf8');

    // Act
    const desired = parseApplyFile(text, 'channels.yaml');

    // Assess
    const types = new Set(desired.channels.map((resource) => (resource.body as { type: string }).type));
    expect([...types].sort()).toEqual([...CHANNEL_TYPE_NAMES].sort());
  });

  it('accepts secretRef objects for secret fields', () => {
    // Prepare
    const text = [
      'channels:',
      '  - id: vaulted',
      '    type: webhook',
      '    config:',
      '      url: { secretRef: "arn:aws:secretsmanager:eu-west-1:1:secret:hooks", key: url }',
      '      headers: { secretRef: hooks, key: headers }',
      '      signingSecret: { secretRef: hooks, key: signing }',
    ].join('\n');

    // Act
    const desired = parseApplyFile(text, 'herald.yaml');

    // Assess
    expect(desired.channels[0]?.body.config).toEqual({
      url: { secretRef: 'arn:aws:secretsmanager:eu-west-1:1:secret:hooks', key: 'url' },
      headers: { secretRef: 'hooks', key: 'headers' },
      signingSecret: { secretRef: 'hooks', key: 'signing' },
    });
  });

  it('points a YAML syntax error at its line', () => {
    // Prepare
    const text = ['channels:', '  - id: a', '    type: webhook: slack', '    config: {}', ''].join('\n');

    // Act
    const lines = problems(text);

    // Assess
    expect(lines).toEqual(['herald.yaml:3: Nested mappings are not allowed in compact mappings']);
  });

  it('points each schema error at the line of the offending value', () => {
    // Prepare
    const text = [
      'channels:', // 1
      '  - id: ops-webhook', // 2
      '    type: webhook', // 3
      '    config:', // 4
      '      url: ftp://hooks.example.com', // 5
      '      method: GET', // 6
      '  - type: webhook', // 7
      '    config: { url: "https://x.example" }', // 8
      'policies:', // 9
      '  - id: prod', // 10
      '    channels: [ops-webhook]', // 11
      '    minSeverity: loud', // 12
    ].join('\n');

    // Act
    const lines = problems(text);

    // Assess
    expect(lines).toEqual([
      'herald.yaml:5: channels.0.config.url: url must be an https:// URL',
      expect.stringMatching(/^herald\.yaml:6: channels\.0\.config\.method: /),
      'herald.yaml:7: channels.1.id: required',
      expect.stringMatching(/^herald\.yaml:12: policies\.0\.minSeverity: /),
    ]);
  });

  it('points an unknown field at its own line', () => {
    // Prepare
    const text = [
      'channels:',
      '  - id: a',
      '    type: webhook',
      '    config:',
      '      url: https://x.example',
      '      colour: red',
    ].join('\n');

    // Act
    const lines = problems(text);

    // Assess
    expect(lines).toEqual(['herald.yaml:6: channels.0.config.colour: unknown field']);
  });

  it('rejects a duplicate id at the second occurrence', () => {
    // Prepare
    const text = ['policies:', '  - id: p', '    channels: [a]', '  - id: p', '    channels: [b]'].join('\n');

    // Act
    const lines = problems(text);

    // Assess
    expect(lines).toEqual(['herald.yaml:4: policies.1.id: duplicate id p']);
  });

  it('rejects an empty file', () => {
    // Act
    const lines = problems('# nothing here\n');

    // Assess
    expect(lines).toEqual(['herald.yaml:1: the file is empty']);
  });
});
