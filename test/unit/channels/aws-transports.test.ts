/**
 * The SQS and EventBridge transports and the assumed-role credentials they share, with fake AWS clients:
 * what each sends, which client (region, role) it sends with, and how role sessions are cached.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSServiceException } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { AssumeRoleError } from '#shared/channels/aws-errors.ts';
import {
  AssumedRoleCredentials,
  type AssumeRoleCall,
  REFRESH_BEFORE_EXPIRY_MS,
  type RoleCredentials,
  SESSION_SECONDS,
  stsAssumeRole,
} from '#shared/channels/transports/assumed-role.ts';
import { createEventBridgeTransport } from '#shared/channels/transports/eventbridge.ts';
import { createSqsTransport } from '#shared/channels/transports/sqs.ts';

const ROLE = 'arn:aws:iam::210987654321:role/herald-sender';
const OTHER_ROLE = 'arn:aws:iam::210987654321:role/herald-other';
const START = new Date('2026-11-23T09:00:00Z');
const MINUTE = 60_000;

/** A clock the test moves. */
const clock = () => {
  let now = START.getTime();
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
  };
};

/** A fake STS: each call answers a new session lasting an hour from the clock's time. */
const fakeSts = (now: () => Date, fail?: () => unknown) => {
  const calls: Parameters<AssumeRoleCall>[0][] = [];
  const assumeRole: AssumeRoleCall = async (input) => {
    calls.push(input);
    if (fail !== undefined) throw fail();
    return {
      accessKeyId: `ASIA${calls.length}`,
      secretAccessKey: `secret-${calls.length}`,
      sessionToken: `token-${calls.length}`,
      expiration: new Date(now().getTime() + input.DurationSeconds * 1000),
    };
  };
  return { calls, assumeRole };
};

describe('AssumedRoleCredentials', () => {
  it('assumes a role once and reuses the session until shortly before it expires', async () => {
    // Prepare
    const time = clock();
    const sts = fakeSts(time.now);
    const roles = new AssumedRoleCredentials(sts.assumeRole, time.now);

    // Act
    const first = await roles.get({ roleArn: ROLE, externalId: 'herald-ops' });
    time.advance(SESSION_SECONDS * 1000 - REFRESH_BEFORE_EXPIRY_MS - MINUTE);
    const later = await roles.get({ roleArn: ROLE, externalId: 'herald-ops' });

    // Assess
    expect(later).toBe(first);
    expect(sts.calls).toEqual([
      { RoleArn: ROLE, RoleSessionName: 'herald', ExternalId: 'herald-ops', DurationSeconds: 3600 },
    ]);
  });

  it('assumes the role again once the session is within five minutes of expiring', async () => {
    // Prepare
    const time = clock();
    const sts = fakeSts(time.now);
    const roles = new AssumedRoleCredentials(sts.assumeRole, time.now);
    const first = await roles.get({ roleArn: ROLE });

    // Act
    time.advance(SESSION_SECONDS * 1000 - REFRESH_BEFORE_EXPIRY_MS);
    const renewed = await roles.get({ roleArn: ROLE });
    time.advance(MINUTE);
    const again = await roles.get({ roleArn: ROLE });

    // Assess
    expect(renewed.accessKeyId).toBe('ASIA2');
    expect(renewed).not.toBe(first);
    expect(again).toBe(renewed);
    expect(sts.calls).toHaveLength(2);
    expect(sts.calls[0]).not.toHaveProperty('ExternalId');
  });

  it('keeps one session per role and external id', async () => {
    // Prepare
    const time = clock();
    const sts = fakeSts(time.now);
    const roles = new AssumedRoleCredentials(sts.assumeRole, time.now);

    // Act
    const sessions = await Promise.all([
      roles.get({ roleArn: ROLE }),
      roles.get({ roleArn: ROLE, externalId: 'a-tenant' }),
      roles.get({ roleArn: ROLE, externalId: 'b-tenant' }),
      roles.get({ roleArn: OTHER_ROLE }),
      roles.get({ roleArn: ROLE, externalId: 'a-tenant' }),
    ]);

    // Assess
    expect(sts.calls.map((call) => [call.RoleArn, call.ExternalId])).toEqual([
      [ROLE, undefined],
      [ROLE, 'a-tenant'],
      [ROLE, 'b-tenant'],
      [OTHER_ROLE, undefined],
    ]);
    expect(sessions[4]).toBe(sessions[1]);
  });

  it('shares one AssumeRole between callers asking at the same time', async () => {
    // Prepare
    const time = clock();
    const sts = fakeSts(time.now);
    const roles = new AssumedRoleCredentials(sts.assumeRole, time.now);

    // Act
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => roles.get({ roleArn: ROLE })));

    // Assess
    expect(sts.calls).toHaveLength(1);
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('throws an AssumeRoleError with the STS error as cause, and asks again next time', async () => {
    // Prepare
    const time = clock();
    let refuse = true;
    const denied = new STSServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      message: 'not authorized to perform: sts:AssumeRole',
      $metadata: { httpStatusCode: 403 },
    });
    const calls: string[] = [];
    const roles = new AssumedRoleCredentials(async (input) => {
      calls.push(input.RoleArn);
      if (refuse) throw denied;
      return {
        accessKeyId: 'A',
        secretAccessKey: 'S',
        sessionToken: 'T',
        expiration: new Date(2_000_000_000_000),
      };
    }, time.now);

    // Act
    const failed = await roles.get({ roleArn: ROLE }).catch((error: unknown) => error);
    refuse = false;
    const fixed = await roles.get({ roleArn: ROLE });

    // Assess
    expect(failed).toBeInstanceOf(AssumeRoleError);
    expect(failed).toMatchObject({ roleArn: ROLE, cause: denied });
    expect(fixed.accessKeyId).toBe('A');
    expect(calls).toEqual([ROLE, ROLE]);
  });
});

describe('stsAssumeRole', () => {
  it('sends AssumeRole with the external id and reads the credentials STS answers', async () => {
    // Prepare
    const commands: AssumeRoleCommand[] = [];
    const expiration = new Date('2026-11-23T10:00:00Z');
    const sts = {
      send: async (command: AssumeRoleCommand) => {
        commands.push(command);
        return {
          Credentials: {
            AccessKeyId: 'ASIA1',
            SecretAccessKey: 'S',
            SessionToken: 'T',
            Expiration: expiration,
          },
        };
      },
    };

    // Act
    const credentials = await stsAssumeRole(sts as never)({
      RoleArn: ROLE,
      RoleSessionName: 'herald',
      ExternalId: 'herald-ops',
      DurationSeconds: 3600,
    });

    // Assess
    expect(commands[0]).toBeInstanceOf(AssumeRoleCommand);
    expect(commands[0]?.input).toEqual({
      RoleArn: ROLE,
      RoleSessionName: 'herald',
      ExternalId: 'herald-ops',
      DurationSeconds: 3600,
    });
    expect(credentials).toEqual({
      accessKeyId: 'ASIA1',
      secretAccessKey: 'S',
      sessionToken: 'T',
      expiration,
    });
  });

  it('refuses an answer without credentials', async () => {
    const sts = { send: async () => ({}) };
    await expect(
      stsAssumeRole(sts as never)({ RoleArn: ROLE, RoleSessionName: 'herald', DurationSeconds: 3600 }),
    ).rejects.toThrow(/without credentials/);
  });
});

/** A fake client factory recording each client's config and every command sent through it. */
const fakeClients = <Answer>(answer: Answer) => {
  const made: { config: Record<string, unknown>; sent: unknown[] }[] = [];
  const factory = (config: object) => {
    const client = { config: config as Record<string, unknown>, sent: [] as unknown[] };
    made.push(client);
    return {
      send: async (command: unknown) => {
        client.sent.push(command);
        return answer;
      },
    } as never;
  };
  return { made, factory };
};

/** Roles whose credentials are fixed, counting the asks. */
const fixedRoles = () => {
  const asked: unknown[] = [];
  const credentials: RoleCredentials = {
    accessKeyId: 'ASIA1',
    secretAccessKey: 'S',
    sessionToken: 'T',
    expiration: new Date('2026-11-23T10:00:00Z'),
  };
  return {
    asked,
    credentials,
    roles: {
      get: async (role: unknown) => {
        asked.push(role);
        return credentials;
      },
    },
  };
};

describe('createSqsTransport', () => {
  it('sends the message with String attributes, FIFO ids, never using the queue URL as endpoint', async () => {
    // Prepare
    const clients = fakeClients({ MessageId: 'm-1' });
    const { roles } = fixedRoles();
    const send = createSqsTransport(roles, clients.factory);

    // Act
    const answer = await send({
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo',
      region: 'eu-west-1',
      body: '{"a":1}',
      attributes: { type: 't', severity: 'info', source: 's' },
      messageGroupId: 's',
      deduplicationId: 'msg_1',
    });

    // Assess
    expect(answer).toEqual({ messageId: 'm-1' });
    expect(clients.made).toHaveLength(1);
    expect(clients.made[0]?.config).toEqual({ useQueueUrlAsEndpoint: false, region: 'eu-west-1' });
    const [command] = clients.made[0]?.sent ?? [];
    expect(command).toBeInstanceOf(SendMessageCommand);
    expect((command as SendMessageCommand).input).toEqual({
      QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo',
      MessageBody: '{"a":1}',
      MessageAttributes: {
        type: { DataType: 'String', StringValue: 't' },
        severity: { DataType: 'String', StringValue: 'info' },
        source: { DataType: 'String', StringValue: 's' },
      },
      MessageGroupId: 's',
      MessageDeduplicationId: 'msg_1',
    });
  });

  it('keeps one client per region and role, each role client signing with that role', async () => {
    // Prepare
    const clients = fakeClients({ MessageId: 'm' });
    const { roles, asked, credentials } = fixedRoles();
    const send = createSqsTransport(roles, clients.factory);
    const message = { queueUrl: 'http://localhost:4566/000000000000/q', body: '{}', attributes: {} };

    // Act
    await send(message);
    await send(message);
    await send({ ...message, role: { roleArn: ROLE, externalId: 'x-1' } });
    await send({ ...message, role: { roleArn: ROLE, externalId: 'x-1' } });
    await send({ ...message, region: 'eu-west-1' });

    // Assess
    expect(clients.made.map(({ config }) => [config.region, typeof config.credentials])).toEqual([
      [undefined, 'undefined'],
      [undefined, 'function'],
      ['eu-west-1', 'undefined'],
    ]);
    const provider = clients.made[1]?.config.credentials as () => Promise<RoleCredentials>;
    await expect(provider()).resolves.toBe(credentials);
    // Asked before each send through the role (so a refused role fails first), and by the provider.
    expect(asked).toEqual([
      { roleArn: ROLE, externalId: 'x-1' },
      { roleArn: ROLE, externalId: 'x-1' },
      { roleArn: ROLE, externalId: 'x-1' },
    ]);
  });

  it('throws the AssumeRoleError before sending anything when the role cannot be assumed', async () => {
    // Prepare
    const clients = fakeClients({ MessageId: 'm' });
    const refusal = new AssumeRoleError(ROLE, { cause: new Error('AccessDenied') });
    const send = createSqsTransport(
      {
        get: async () => {
          throw refusal;
        },
      },
      clients.factory,
    );

    // Act
    const attempt = send({
      queueUrl: 'http://x/000000000000/q',
      body: '{}',
      attributes: {},
      role: { roleArn: ROLE },
    });

    // Assess
    await expect(attempt).rejects.toBe(refusal);
    expect(clients.made).toEqual([]);
  });
});

describe('createEventBridgeTransport', () => {
  const entry = {
    eventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/platform',
    region: 'eu-west-1',
    source: 'herald.dbward',
    detailType: 'request_created',
    detail: '{"a":1}',
    time: new Date('2026-11-23T09:00:00Z'),
  };

  it('puts one entry on the bus (by ARN) with a client in its region, and answers its EventId', async () => {
    // Prepare
    const clients = fakeClients({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const { roles } = fixedRoles();
    const put = createEventBridgeTransport(roles, clients.factory);

    // Act
    const answer = await put({ ...entry, role: { roleArn: ROLE } });

    // Assess
    expect(answer).toEqual({ eventId: 'e-1' });
    expect(clients.made[0]?.config).toMatchObject({ region: 'eu-west-1', credentials: expect.any(Function) });
    const [command] = clients.made[0]?.sent ?? [];
    expect(command).toBeInstanceOf(PutEventsCommand);
    expect((command as PutEventsCommand).input).toEqual({
      Entries: [
        {
          EventBusName: entry.eventBusArn,
          Source: 'herald.dbward',
          DetailType: 'request_created',
          Detail: '{"a":1}',
          Time: entry.time,
        },
      ],
    });
  });

  it('answers a failed entry with its error code and message instead of throwing', async () => {
    // Prepare
    const clients = fakeClients({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    });
    const put = createEventBridgeTransport(fixedRoles().roles, clients.factory);

    // Act
    const answer = await put(entry);

    // Assess
    expect(answer).toEqual({ errorCode: 'ThrottlingException', errorMessage: 'Rate exceeded' });
  });
});
