import {
  AuthorizationErrorException,
  InternalErrorException,
  InvalidParameterException,
  KMSDisabledException,
  NotFoundException,
  SNSServiceException,
  ThrottledException,
} from '@aws-sdk/client-sns';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AWS_ERROR_REASON_CHARS, type AwsErrorTable, classifyAwsError } from '#shared/channels/aws-errors.ts';
import type { StoredTemplate } from '#shared/channels/record.ts';
import {
  MAX_PUBLISH_BYTES,
  MAX_SUBJECT_CHARS,
  parseTopicArn,
  publishBytes,
  renderSns,
  type SnsMessage,
  type SnsSettings,
  sendSns,
  sns,
  snsSubject,
} from '#shared/channels/sns/index.ts';
import type { DeliveryContext, Transports } from '#shared/channels/types.ts';
import { webhookBody } from '#shared/channels/webhook/index.ts';
import type { HeraldEvent, Severity } from '#shared/domain/event.ts';
import { RequestTimeoutError } from '#shared/http/safe-request.ts';
import { testTransports } from '../support.ts';

const TOPIC = 'arn:aws:sns:eu-central-1:123456789012:ops-alerts';
const FIFO_TOPIC = 'arn:aws:sns:eu-central-1:123456789012:ops-alerts.fifo';
const NOW = new Date('2026-11-23T09:00:05Z');

const SUBJECTS: Readonly<Record<Severity, string>> = {
  info: 'Deploy of api v2.14.0 to production finished',
  warning: 'Replica lag on app/production is 45 s',
  error: 'Nightly backup of app/production failed',
  critical: 'Break-glass access used on app/production',
};

const eventOf = (severity: Severity): HeraldEvent => ({
  id: '01JD7K3M9X0000000000000000',
  type: 'request_created',
  source: 'dbward',
  time: '2026-11-23T09:00:00Z',
  subject: SUBJECTS[severity],
  severity,
  attributes: { database: 'app', environment: 'production', url: 'https://dbward.example.com/requests/42' },
  data: { requestedBy: 'alice', reason: 'incident INC-7 <db> & "locks"', durationMinutes: 30 },
});
const event = eventOf('critical');
const context: DeliveryContext = {
  deliveryId: 'msg_Xq3vT0bqk1W9y2cZr8u4nA7LmPe',
  attempt: 1,
  channelId: 'ops-sns',
  policyIds: ['prod-ops'],
};
const settings: SnsSettings = { topicArn: TOPIC };

const render = (
  e: HeraldEvent,
  options: { settings?: SnsSettings; template?: StoredTemplate; context?: DeliveryContext } = {},
): SnsMessage =>
  renderSns({
    event: e,
    context: options.context ?? context,
    settings: options.settings ?? settings,
    secrets: {},
    template: options.template,
    now: NOW,
  });

/** A transport that throws what a test gives it. */
const throwing = (error: unknown): Pick<Transports, 'sns'> => ({
  sns: async () => {
    throw error;
  },
});

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** One line of printable ASCII that starts with a letter, digit or punctuation: an SNS subject. */
const SNS_SUBJECT = new RegExp(`^[\\x21-\\x7E][\\x20-\\x7E]{0,${MAX_SUBJECT_CHARS - 1}}$`);

describe('renderSns', () => {
  it.each(['info', 'warning', 'error', 'critical'] as const)(
    'renders a %s event as the golden file shows',
    async (severity) => {
      // Act
      const message = render(eventOf(severity));

      // Assess
      await expect(`${JSON.stringify(message, null, 2)}\n`).toMatchFileSnapshot(
        `../../fixtures/channels/sns/${severity}.json`,
      );
    },
  );

  it('renders a FIFO topic with a prefix and templates as the golden file shows', async () => {
    // Act
    const message = render(
      { ...event, subject: 'Zugriff für Müller auf app/production 🚨' },
      {
        settings: { topicArn: FIFO_TOPIC, subjectPrefix: 'prod' },
        template: {
          subject: '{{attributes.environment}}: {{subject}}',
          text: '{{data.requestedBy}} opened a break-glass session ({{herald.deliveryId}})',
        },
      },
    );

    // Assess
    await expect(`${JSON.stringify(message, null, 2)}\n`).toMatchFileSnapshot(
      '../../fixtures/channels/sns/fifo-template.json',
    );
  });

  it('publishes the body a webhook gets, with type, severity and source as message attributes', () => {
    // Act
    const message = render(event);

    // Assess
    expect(message.topicArn).toBe(TOPIC);
    expect(JSON.parse(message.message)).toEqual(JSON.parse(webhookBody(event, context)));
    expect(message.attributes).toEqual({ type: 'request_created', severity: 'critical', source: 'dbward' });
    expect(message.subject).toBe('Break-glass access used on app/production');
  });

  it('applies the subject template to the envelope subject and puts the text template in herald.text', () => {
    // Prepare
    const template = { subject: '[{{severity}}] {{subject}}', text: 'Requested by {{data.requestedBy}}' };

    // Act
    const message = render(event, { template });

    // Assess
    const body = JSON.parse(message.message);
    expect(body.subject).toBe('[critical] Break-glass access used on app/production');
    expect(body.herald.text).toBe('Requested by alice');
    expect(message.subject).toBe('[critical] Break-glass access used on app/production');
  });

  it('sets a message group id (the source) and a deduplication id (the delivery id) for FIFO topics only', () => {
    // Act
    const fifo = render(event, { settings: { topicArn: FIFO_TOPIC } });
    const standard = render(event);

    // Assess
    expect(fifo).toMatchObject({ messageGroupId: 'dbward', deduplicationId: context.deliveryId });
    expect(standard).not.toHaveProperty('messageGroupId');
    expect(standard).not.toHaveProperty('deduplicationId');
  });

  it('keeps the same deduplication id on every attempt of one delivery', () => {
    const first = render(event, { settings: { topicArn: FIFO_TOPIC } });
    const third = render(event, { settings: { topicArn: FIFO_TOPIC }, context: { ...context, attempt: 3 } });
    expect(third.deduplicationId).toBe(first.deduplicationId);
  });

  it('replaces data with {truncated, bytes} when the publish would pass 256 KiB', () => {
    // Prepare
    const data = { log: 'x'.repeat(300_000) };

    // Act
    const message = render({ ...event, data });

    // Assess
    expect(publishBytes(message)).toBeLessThanOrEqual(MAX_PUBLISH_BYTES);
    const body = JSON.parse(message.message);
    expect(body.data).toEqual({ truncated: true, bytes: Buffer.byteLength(JSON.stringify(data)) });
    expect(body.subject).toBe(event.subject);
    expect(body.attributes).toEqual(event.attributes);
  });

  it('keeps data whole when the publish fits exactly', () => {
    // Prepare: grow data until the body is just under the limit.
    const bare = render({ ...event, data: { log: '' } });
    const room = MAX_PUBLISH_BYTES - publishBytes(bare);
    const data = { log: 'y'.repeat(room) };

    // Act
    const message = render({ ...event, data });

    // Assess
    expect(publishBytes(message)).toBe(MAX_PUBLISH_BYTES);
    expect(JSON.parse(message.message).data).toEqual(data);
  });

  it('cuts herald.text, after data, when a text template quoting data alone passes the limit', () => {
    // Prepare
    const data = { log: '🚨'.repeat(100_000) };

    // Act
    const message = render({ ...event, data }, { template: { text: 'Log: {{data.log}}' } });

    // Assess
    expect(publishBytes(message)).toBeLessThanOrEqual(MAX_PUBLISH_BYTES);
    expect(MAX_PUBLISH_BYTES - publishBytes(message)).toBeLessThan(8);
    const body = JSON.parse(message.message);
    expect(body.data).toMatchObject({ truncated: true });
    expect(body.herald.text).toMatch(/^Log: (🚨)+…$/u);
  });

  it('cuts a templated subject to one line of the envelope limit in the body', () => {
    // Act
    const message = render(event, { template: { subject: '{{{data}}}\n{{data.reason}}'.repeat(20) } });

    // Assess
    const body = JSON.parse(message.message);
    expect(body.subject.length).toBeLessThanOrEqual(256);
    expect(body.subject).not.toMatch(/[\r\n]/);
    expect(message.subject).toMatch(SNS_SUBJECT);
  });
});

describe('snsSubject', () => {
  it('puts the prefix in brackets before the subject', () => {
    expect(snsSubject('Deploy finished', 'prod', 'deploy')).toBe('[prod] Deploy finished');
  });

  it('drops accents, and writes every other non-ASCII character as one question mark', () => {
    expect(snsSubject('Zugriff für Müller — café 🚨 👨‍👩‍👧 日本', undefined, 'x')).toBe(
      'Zugriff fur Muller ? cafe ? ? ??',
    );
  });

  it('turns line breaks, tabs and control characters into one line', () => {
    expect(snsSubject('a\r\nb\tc\u0007d\u2028e', undefined, 'x')).toBe('a b c?d e');
  });

  it('trims so that the subject starts with a letter, digit or punctuation', () => {
    expect(snsSubject('   \u00a0 hello  ', undefined, 'x')).toBe('hello');
  });

  it(`cuts a long subject to ${MAX_SUBJECT_CHARS} characters ending in ...`, () => {
    // Act
    const subject = snsSubject('word '.repeat(40), 'prod', 'x');

    // Assess
    expect(subject).toHaveLength(MAX_SUBJECT_CHARS);
    expect(subject).toMatch(/^\[prod\] word word .* word\.\.\.$/);
  });

  it('falls back to the event type when nothing printable is left', () => {
    expect(snsSubject(' \n ', undefined, 'request_created')).toBe('request_created');
  });
});

describe('renderSns on any event the envelope allows', () => {
  const text = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 256 }),
    fc.string({ unit: 'binary', maxLength: 256 }),
    fc.string({ unit: fc.constantFrom(...'&<>*_~`@#\\"\'\n\r\u2028 é🚨'), maxLength: 256 }),
  );
  const bigData = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc
      .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 150_000 }))
      .map(([chunk, times]) => ({ blob: chunk.repeat(times) })),
  );
  const arbitraryEvent = fc.record({
    subject: text.filter((subject) => subject.length > 0),
    severity: fc.constantFrom<Severity>('info', 'warning', 'error', 'critical'),
    attributes: fc.dictionary(fc.stringMatching(/^[a-zA-Z0-9_.-]{1,64}$/), text, { maxKeys: 32 }),
    data: fc.option(bigData, { nil: undefined }),
  });
  const arbitraryTemplate = fc.option(
    fc.record(
      {
        subject: fc.constantFrom('{{subject}}', '{{{data}}}', '{{attributes.environment}} {{subject}} 🚨'),
        text: fc.constantFrom('{{{data}}}', '{{subject}}\n{{{data}}}\n{{{data}}}', 'plain'),
      },
      { requiredKeys: [] },
    ),
    { nil: undefined },
  );
  const arbitrarySettings = fc.record(
    {
      topicArn: fc.constantFrom(TOPIC, FIFO_TOPIC),
      subjectPrefix: fc.stringMatching(/^[\x20-\x7E]{1,40}$/),
    },
    { requiredKeys: ['topicArn'] },
  );

  const eventFrom = (parts: {
    subject: string;
    severity: Severity;
    attributes: Record<string, string>;
    data: unknown;
  }): HeraldEvent => ({
    ...event,
    subject: parts.subject,
    severity: parts.severity,
    attributes: parts.attributes,
    ...(parts.data === undefined ? { data: undefined } : { data: parts.data as HeraldEvent['data'] }),
  });

  it('stays within 256 KiB, sends a valid subject and attributes, and never splits a surrogate pair', () => {
    fc.assert(
      fc.property(arbitraryEvent, arbitraryTemplate, arbitrarySettings, (parts, template, config) => {
        // Prepare
        const e = eventFrom(parts);

        // Act
        const message = render(e, { settings: config, ...(template === undefined ? {} : { template }) });

        // Assess
        expect(publishBytes(message)).toBeLessThanOrEqual(MAX_PUBLISH_BYTES);
        expect(message.subject).toMatch(SNS_SUBJECT);
        for (const value of Object.values(message.attributes)) expect(value.length).toBeGreaterThan(0);
        const body = JSON.parse(message.message);
        expect(body.subject).not.toMatch(LONE_SURROGATE);
        if (typeof body.herald.text === 'string') expect(body.herald.text).not.toMatch(LONE_SURROGATE);
        expect(message.message).not.toMatch(LONE_SURROGATE);
      }),
      { numRuns: 150 },
    );
  });

  it('carries every event value through JSON unchanged, metacharacters and all, when it fits', () => {
    fc.assert(
      fc.property(arbitraryEvent, (parts) => {
        // Prepare
        const e = eventFrom({ ...parts, data: parts.data === undefined ? undefined : { small: true } });

        // Act
        const body = JSON.parse(render(e).message);

        // Assess
        expect(body).toEqual({ ...JSON.parse(JSON.stringify(e)), herald: expect.any(Object) });
      }),
      { numRuns: 100 },
    );
  });
});

describe('sendSns', () => {
  it('publishes the rendered message and classifies success as delivered', async () => {
    // Prepare
    const sent: unknown[] = [];
    const transports = testTransports(false, {
      sns: async (message) => {
        sent.push(message);
        return { messageId: 'b6f3c2c0-0000-4000-8000-000000000001' };
      },
    });
    const message = render(event, { settings: { topicArn: FIFO_TOPIC } });

    // Act
    const result = await sendSns(message, transports);

    // Assess
    expect(result.outcome).toEqual({ kind: 'delivered', status: 200 });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(sent).toEqual([message]);
    expect(sent[0]).toMatchObject({ messageGroupId: 'dbward', deduplicationId: context.deliveryId });
  });

  it.each([
    [
      'Throttling (unmodelled)',
      'retry',
      new SNSServiceException({
        name: 'Throttling',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
    ],
    [
      'ThrottledException',
      'retry',
      new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }),
    ],
    [
      'KMSThrottlingException',
      'retry',
      new SNSServiceException({
        name: 'KMSThrottlingException',
        $fault: 'client',
        message: 'KMS rate exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
    ],
    [
      'InternalErrorException',
      'retry',
      new InternalErrorException({ message: 'Internal error', $metadata: { httpStatusCode: 500 } }),
    ],
    [
      'an unknown 503',
      'retry',
      new SNSServiceException({
        name: 'ServiceUnavailableNow',
        $fault: 'server',
        message: 'try later',
        $metadata: { httpStatusCode: 503 },
      }),
    ],
    [
      'NotFoundException',
      'gone',
      new NotFoundException({ message: 'Topic does not exist', $metadata: { httpStatusCode: 404 } }),
    ],
    [
      'AuthorizationErrorException',
      'failed',
      new AuthorizationErrorException({
        message: 'User is not authorized to perform: SNS:Publish',
        $metadata: { httpStatusCode: 403 },
      }),
    ],
    [
      'InvalidParameterException',
      'failed',
      new InvalidParameterException({
        message: 'Invalid parameter: MessageGroupId',
        $metadata: { httpStatusCode: 400 },
      }),
    ],
    [
      'KMSDisabledException',
      'failed',
      new KMSDisabledException({ message: 'Key is disabled', $metadata: { httpStatusCode: 400 } }),
    ],
    [
      'an unknown 400',
      'failed',
      new SNSServiceException({
        name: 'SomethingNew',
        $fault: 'client',
        message: 'no',
        $metadata: { httpStatusCode: 400 },
      }),
    ],
  ] as const)('classifies %s as %s', async (_name, kind, error) => {
    // Act
    const result = await sendSns(render(event), throwing(error));

    // Assess
    expect(result.outcome.kind).toBe(kind);
  });

  it('records the AWS error name and message in the reason', async () => {
    // Prepare
    const error = new AuthorizationErrorException({
      message:
        'User: arn:aws:sts::123456789012:assumed-role/deliver is not authorized to perform: SNS:Publish',
      $metadata: { httpStatusCode: 403 },
    });

    // Act
    const result = await sendSns(render(event), throwing(error));

    // Assess
    expect(result.outcome).toEqual({
      kind: 'failed',
      status: 403,
      error:
        'SNS AuthorizationErrorException: User: arn:aws:sts::123456789012:assumed-role/deliver is not authorized to perform: SNS:Publish',
    });
  });

  it('disables the channel (gone) when the topic was deleted', async () => {
    const error = new NotFoundException({
      message: 'Topic does not exist',
      $metadata: { httpStatusCode: 404 },
    });
    const result = await sendSns(render(event), throwing(error));
    expect(result.outcome).toEqual({
      kind: 'gone',
      status: 404,
      error: 'SNS NotFoundException: Topic does not exist',
    });
  });

  it("honours the service's Retry-After on a throttled publish", async () => {
    // Prepare
    const error = new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } });
    Object.defineProperty(error, '$response', {
      value: { statusCode: 429, headers: { 'Retry-After': '7' } },
    });

    // Act
    const result = await sendSns(render(event), throwing(error));

    // Assess
    expect(result.outcome).toEqual({
      kind: 'retry',
      status: 429,
      error: 'SNS ThrottledException: Rate exceeded',
      retryAfterSeconds: 7,
    });
  });

  it('retries a network error (no HTTP status), naming the socket error code', async () => {
    // Prepare: what the SDK throws once its own retries are spent: $metadata without a status.
    const error = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), {
      code: 'ECONNREFUSED',
      $metadata: { attempts: 3, totalRetryDelay: 120 },
    });

    // Act
    const result = await sendSns(render(event), throwing(error));

    // Assess
    expect(result.outcome).toEqual({
      kind: 'retry',
      error: 'network error: SNS ECONNREFUSED: connect ECONNREFUSED 10.0.0.1:443',
    });
  });

  it('retries when the SDK call times out', async () => {
    const result = await sendSns(
      render(event),
      throwing(new RequestTimeoutError('no response within 100 ms')),
    );
    expect(result.outcome).toEqual({
      kind: 'retry',
      error: 'network error: SNS RequestTimeoutError: no response within 100 ms',
    });
  });

  it('never throws, whatever the transport throws', async () => {
    const result = await sendSns(render(event), throwing('a string, not an Error'));
    expect(result.outcome).toEqual({
      kind: 'retry',
      error: 'network error: SNS Error: a string, not an Error',
    });
  });
});

describe('classifyAwsError', () => {
  it('cuts the reason to one line of at most 300 characters', () => {
    // Prepare
    const error = new InvalidParameterException({
      message: `Invalid parameter:\n${'x'.repeat(1000)}\n  Deserialization error: to see the raw response…`,
      $metadata: { httpStatusCode: 400 },
    });

    // Act
    const outcome = classifyAwsError(error, 'SNS');

    // Assess
    expect(outcome.kind).toBe('failed');
    const reason = outcome.kind === 'failed' ? outcome.error : '';
    expect(reason.length).toBeLessThanOrEqual(AWS_ERROR_REASON_CHARS);
    expect(reason).toMatch(/^SNS InvalidParameterException: Invalid parameter: x+…$/);
  });

  it('reads x-amz-retry-after (milliseconds) as a retry hint', () => {
    // Prepare
    const error = new SNSServiceException({
      name: 'Throttling',
      $fault: 'client',
      message: 'Rate exceeded',
      $metadata: { httpStatusCode: 400 },
    });
    Object.defineProperty(error, '$response', { value: { headers: { 'x-amz-retry-after': '2500' } } });

    // Act
    const outcome = classifyAwsError(error, 'SNS');

    // Assess
    expect(outcome).toMatchObject({ kind: 'retry', retryAfterSeconds: 3 });
  });

  it("lets a service's own table decide names the common one does not know", () => {
    // Prepare: for SES a missing configuration set is a broken channel, not a deleted target.
    const ses: AwsErrorTable = { MessageRejected: 'failed', LimitExceededException: 'retry' };
    const notFound = new SNSServiceException({
      name: 'NotFoundException',
      $fault: 'client',
      message: 'Configuration set does not exist',
      $metadata: { httpStatusCode: 404 },
    });

    // Act
    const outcome = classifyAwsError(notFound, 'SES', ses);

    // Assess
    expect(outcome).toEqual({
      kind: 'failed',
      status: 404,
      error: 'SES NotFoundException: Configuration set does not exist',
    });
  });
});

describe('the sns channel type', () => {
  it('parses settings with no prefix by default and no secrets', () => {
    // Act
    const parsed = sns.settings.parse({ topicArn: TOPIC });

    // Assess
    expect(parsed).toEqual({ topicArn: TOPIC });
    expect(sns.secretFields).toEqual({});
    expect(sns.templateParts).toEqual(['subject', 'text']);
    expect(sns.check(parsed)).toEqual([]);
    expect(sns.settings.safeParse(sns.example).success).toBe(true);
  });

  it.each([
    'arn:aws:sns:us-east-1:123456789012:alerts',
    'arn:aws:sns:us-east-1:123456789012:alerts.fifo',
    'arn:aws-us-gov:sns:us-gov-west-1:123456789012:a_b-C9',
    'arn:aws-cn:sns:cn-north-1:123456789012:alerts',
    `arn:aws:sns:eu-west-1:123456789012:${'a'.repeat(256)}`,
    `arn:aws:sns:eu-west-1:123456789012:${'a'.repeat(251)}.fifo`,
  ])('accepts the topic ARN %s', (topicArn) => {
    expect(sns.settings.safeParse({ topicArn }).success).toBe(true);
  });

  it.each([
    'alerts',
    'arn:aws:sqs:us-east-1:123456789012:alerts',
    'arn:aws:sns:us-east-1:12345678901:alerts',
    'arn:aws:sns:us-east-1:123456789012:',
    'arn:aws:sns:us-east-1:123456789012:alerts.v2',
    'arn:aws:sns:us-east-1:123456789012:alerts:subscription-id',
    'arn:aws:sns::123456789012:alerts',
    `arn:aws:sns:eu-west-1:123456789012:${'a'.repeat(257)}`,
    `arn:aws:sns:eu-west-1:123456789012:${'a'.repeat(252)}.fifo`,
  ])('refuses the topic ARN %s with the expected shape in the message', (topicArn) => {
    // Act
    const result = sns.settings.safeParse({ topicArn });

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/^topicArn must be arn:<partition>:sns:<region>/);
  });

  it('refuses a non-ASCII subject prefix and unknown settings', () => {
    expect(sns.settings.safeParse({ topicArn: TOPIC, subjectPrefix: 'prod 🚨' }).success).toBe(false);
    expect(sns.settings.safeParse({ topicArn: TOPIC, timeoutMs: 5000 }).success).toBe(false);
  });

  it('lists the topic ARN as its target so the admin API can check it against the stack', () => {
    expect(sns.targets({ topicArn: TOPIC }, {})).toEqual([
      { kind: 'sns-topic', path: 'config.topicArn', value: TOPIC },
    ]);
  });

  it('summarises the channel as the topic name and region', () => {
    expect(sns.summary({ topicArn: FIFO_TOPIC, subjectPrefix: 'prod' }, {})).toBe(
      'sns ops-alerts.fifo (eu-central-1)',
    );
  });

  it('reads a topic ARN into its parts', () => {
    expect(parseTopicArn(FIFO_TOPIC)).toEqual({
      partition: 'aws',
      region: 'eu-central-1',
      account: '123456789012',
      name: 'ops-alerts.fifo',
      fifo: true,
    });
    expect(parseTopicArn('arn:aws:sns:eu-central-1:123456789012')).toBeUndefined();
  });

  it('renders and sends through the sealed interface from stored settings', async () => {
    // Prepare
    const sent: unknown[] = [];
    const transports = testTransports(false, {
      sns: async (message) => {
        sent.push(message);
        return { messageId: 'm-1' };
      },
    });

    // Act
    const message = sns.render({
      event,
      context,
      settings: { topicArn: TOPIC, subjectPrefix: 'prod' },
      secrets: {},
      template: undefined,
      now: NOW,
    });
    const result = await sns.send(message, transports, { topicArn: TOPIC, subjectPrefix: 'prod' });

    // Assess
    expect(result.outcome.kind).toBe('delivered');
    expect(sent).toEqual([message]);
    expect(sent[0]).toMatchObject({ subject: '[prod] Break-glass access used on app/production' });
  });
});
