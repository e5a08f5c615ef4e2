import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AccountSuspendedException,
  BadRequestException,
  InternalServiceErrorException,
  LimitExceededException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  NotFoundException,
  SESv2ServiceException,
  SendingPausedException,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import fc from 'fast-check';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type EmailMessage,
  type EmailSettings,
  EmailSettings as EmailSettingsSchema,
  email,
  emailBytes,
  MAX_MESSAGE_BYTES,
  MAX_REASON_CHARS,
  MAX_SUBJECT_CHARS,
  renderEmail,
  type SmtpEmailMessage,
  sendEmail,
  smtpPort,
} from '#shared/channels/email/index.ts';
import { ChannelInput } from '#shared/channels/input.ts';
import { createTransports } from '#shared/channels/transports/index.ts';
import type { DeliveryContext, RenderedEmail, SmtpServer, Transports } from '#shared/channels/types.ts';
import { type HeraldEvent, SEVERITIES } from '#shared/domain/event.ts';
import { TargetNotAllowedError } from '#shared/http/safe-request.ts';
import { testTransports } from '../support.ts';

const NOW = new Date('2026-11-23T09:00:05Z');
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Printable ASCII: what SES takes in a header value, and never a CR or LF. */
const HEADER_VALUE = /^[\x20-\x7E]*$/;

const event: HeraldEvent = {
  id: '01JGOLDEN00000000000000000',
  type: 'request_created',
  source: 'dbward',
  time: '2026-11-23T09:00:00Z',
  subject: 'Break-glass access used on app/production',
  severity: 'critical',
  attributes: {
    database: 'app',
    environment: 'production',
    requester: 'alice <alice@example.com>',
    url: 'https://dbward.example.com/requests/42',
  },
  data: {
    requestedBy: 'alice',
    reason: 'Incident <INC-7> "db down" & rollback',
    tables: ['orders', 'payments'],
  },
};
const context: DeliveryContext = {
  deliveryId: 'msg_abc',
  attempt: 1,
  channelId: 'ops-email',
  policyIds: ['prod-ops'],
};
const CREDENTIALS = { username: 'herald-mailer', password: 'S3cret-smtp-Pa55' } as const;

const smtpSettings = (overrides: Record<string, unknown> = {}): EmailSettings =>
  EmailSettingsSchema.parse({
    transport: 'smtp',
    host: 'smtp.example.com',
    from: 'Herald <alerts@example.com>',
    to: ['oncall@example.com'],
    cc: ['platform@example.com'],
    subjectPrefix: 'prod',
    timeoutMs: 5000,
    ...overrides,
  });
const sesSettings = (overrides: Record<string, unknown> = {}): EmailSettings =>
  EmailSettingsSchema.parse({
    transport: 'ses',
    from: 'Herald Alerts <alerts@example.com>',
    to: ['oncall@example.com'],
    configurationSet: 'herald-alerts',
    ...overrides,
  });

const render = (
  e: HeraldEvent,
  settings: EmailSettings = smtpSettings(),
  options: {
    template?: { subject?: string; text?: string };
    secrets?: { username?: string; password?: string };
    context?: DeliveryContext;
  } = {},
): EmailMessage =>
  renderEmail({
    event: e,
    context: options.context ?? context,
    settings,
    secrets: options.secrets ?? {},
    template: options.template,
    now: NOW,
  });

const smtpMessage = (message: EmailMessage): SmtpEmailMessage => {
  if (message.transport !== 'smtp') throw new Error('expected an smtp message');
  return message;
};

/** All of a message's header values, the subject and addresses: what must stay on one line. */
const headerLines = (rendered: RenderedEmail): string[] => [
  rendered.subject,
  rendered.from,
  ...rendered.to,
  ...rendered.cc,
  ...rendered.bcc,
  ...Object.values(rendered.headers),
];

describe('renderEmail golden files', () => {
  it.each(SEVERITIES)('renders a %s event as the golden file shows', async (severity) => {
    // Act
    const message = render({ ...event, severity });

    // Assess
    await expect(`${JSON.stringify(message, null, 2)}\n`).toMatchFileSnapshot(
      `../../fixtures/channels/email/${severity}.json`,
    );
  });

  it('renders the critical HTML body and text body as the golden files show', async () => {
    // Act
    const message = render(event);

    // Assess
    await expect(message.email.html).toMatchFileSnapshot('../../fixtures/channels/email/critical.html');
    await expect(message.email.text).toMatchFileSnapshot('../../fixtures/channels/email/critical.txt');
  });
});

describe('renderEmail', () => {
  it('puts the prefix in brackets before the subject, and no brackets without a prefix', () => {
    expect(render(event).email.subject).toBe('[prod] Break-glass access used on app/production');
    expect(render(event, smtpSettings({ subjectPrefix: undefined })).email.subject).toBe(
      'Break-glass access used on app/production',
    );
  });

  it('sets X-Priority and Importance from the severity, with the default and a configured map', () => {
    // Prepare
    const custom = smtpSettings({ priority: { info: 'low', critical: 'normal' } });

    // Act
    const headersBy = (settings: EmailSettings) =>
      SEVERITIES.map((severity) => render({ ...event, severity }, settings).email.headers);

    // Assess
    expect(headersBy(smtpSettings()).map((h) => [h['X-Priority'], h.Importance])).toEqual([
      ['3 (Normal)', 'normal'],
      ['3 (Normal)', 'normal'],
      ['1 (Highest)', 'high'],
      ['1 (Highest)', 'high'],
    ]);
    expect(headersBy(custom).map((h) => [h['X-Priority'], h.Importance])).toEqual([
      ['5 (Lowest)', 'low'],
      ['3 (Normal)', 'normal'],
      ['1 (Highest)', 'high'],
      ['3 (Normal)', 'normal'],
    ]);
  });

  it('names the event type and delivery id in X-Herald headers', () => {
    const { headers } = render(event).email;
    expect(headers['X-Herald-Event-Type']).toBe('request_created');
    expect(headers['X-Herald-Delivery-Id']).toBe('msg_abc');
    expect(headers['Auto-Submitted']).toBe('auto-generated');
  });

  it('uses the subject and text templates, one line for the subject, escaped in the HTML', () => {
    // Prepare
    const template = {
      subject: '{{attributes.environment}}: {{subject}}\n(by {{data.requestedBy}})',
      text: 'Requested by {{data.requestedBy}} <script>alert(1)</script>\nSee {{attributes.url}}',
    };

    // Act
    const message = render(event, smtpSettings(), { template });

    // Assess
    expect(message.email.subject).toBe(
      '[prod] production: Break-glass access used on app/production (by alice)',
    );
    expect(message.email.text).toContain('Requested by alice <script>alert(1)</script>\nSee https://');
    expect(message.email.html).toContain('Requested by alice &lt;script&gt;alert(1)&lt;/script&gt;<br>');
    expect(message.email.html).not.toContain('<script>');
  });

  it('falls back to the event subject when the subject template renders empty', () => {
    const message = render(event, smtpSettings(), { template: { subject: '{{attributes.missing}}' } });
    expect(message.email.subject).toBe('[prod] Break-glass access used on app/production');
  });

  it('escapes a link that tries to break out of its href', () => {
    // Prepare
    const sneaky = { ...event, attributes: { url: 'https://x.example/?q="><img src=x onerror=alert(1)>' } };

    // Act
    const { html, text } = render(sneaky).email;

    // Assess
    expect(html).toContain('href="https://x.example/?q=&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
    expect(html).not.toContain('<img');
    expect(text).toContain('Link:     https://x.example/?q="><img src=x onerror=alert(1)>');
  });

  it('shows no link, attributes or data sections when the event has none', () => {
    // Act
    const { text, html } = render({ ...event, attributes: {}, data: undefined }).email;

    // Assess
    expect(text).not.toMatch(/^(Link|Attributes|Data)/m);
    expect(html).not.toContain('>Attributes<');
    expect(html).not.toContain('<pre');
  });

  it('cuts big data so the message stays within 256 KB and says where', () => {
    // Prepare
    const big = {
      ...event,
      data: { rows: Array.from({ length: 4000 }, (_, i) => ({ i, note: '<"&\'>'.repeat(10) })) },
    };

    // Act
    const { email: rendered } = render(big);

    // Assess
    expect(emailBytes(rendered)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(emailBytes(rendered)).toBeGreaterThan(MAX_MESSAGE_BYTES - 2048);
    expect(rendered.text).toMatch(/\n\(data cut at \d+ KB\)\n/);
    expect(rendered.html).toMatch(/>\(data cut at \d+ KB\)<\/p>/);
  });

  it('quotes the display name for SMTP and encodes a non-ASCII one for SES', () => {
    // Act
    const smtp = render(event, smtpSettings({ from: 'Hérald Alerts <alerts@example.com>' })).email.from;
    const ses = render(event, sesSettings({ from: '"Hérald Alerts" <alerts@example.com>' })).email.from;
    const plain = render(event, sesSettings({ from: 'alerts@example.com' })).email.from;

    // Assess
    expect(smtp).toBe('"Hérald Alerts" <alerts@example.com>');
    expect(ses).toBe(`=?UTF-8?B?${Buffer.from('Hérald Alerts').toString('base64')}?= <alerts@example.com>`);
    expect(plain).toBe('alerts@example.com');
  });

  it('carries the server, credentials and their redaction forms for SMTP, the configuration set for SES', () => {
    // Act
    const smtp = smtpMessage(render(event, smtpSettings({ tls: 'implicit' }), { secrets: CREDENTIALS }));
    const ses = render(event, sesSettings());

    // Assess
    expect(smtp.server).toEqual({
      host: 'smtp.example.com',
      port: 465,
      tls: 'implicit',
      ...CREDENTIALS,
      timeoutMs: 5000,
    });
    expect(smtp.redact).toEqual(
      expect.arrayContaining([
        CREDENTIALS.username,
        CREDENTIALS.password,
        Buffer.from(CREDENTIALS.password).toString('base64'),
        Buffer.from(`\u0000${CREDENTIALS.username}\u0000${CREDENTIALS.password}`).toString('base64'),
      ]),
    );
    expect(ses).toMatchObject({ transport: 'ses', configurationSet: 'herald-alerts' });
    expect(ses).not.toHaveProperty('server');
  });

  it('refuses to render settings the save-time check refuses (an smtp channel without a host)', () => {
    const settings = EmailSettingsSchema.parse({
      transport: 'smtp',
      from: 'a@example.com',
      to: ['b@example.com'],
    });
    expect(() => render(event, settings)).toThrow(/host/);
  });
});

/** Odd text: any code point (lone surrogates too), markup and mail metacharacters, line breaks. */
const oddText = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc
      .array(
        fc.constantFrom(
          '&',
          '<',
          '>',
          '"',
          "'",
          '*',
          '_',
          '~',
          '`',
          '@',
          '#',
          '\r\n',
          '\n',
          '\r',
          '\u2028',
          '\t',
          '\u0000',
          '😀',
          'é',
        ),
        {
          maxLength,
        },
      )
      .map((parts) => parts.join('').slice(0, maxLength)),
  );

const oddEvent = fc.record({
  type: oddText(128),
  source: fc.stringMatching(/^[a-z0-9][a-z0-9._:-]{0,127}$/),
  subject: oddText(256),
  severity: fc.constantFrom(...SEVERITIES),
  attributes: fc.dictionary(fc.stringMatching(/^[a-zA-Z0-9_.-]{1,64}$/), oddText(256), { maxKeys: 32 }),
  data: fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
});

const eventOf = (parts: {
  type: string;
  source: string;
  subject: string;
  severity: HeraldEvent['severity'];
  attributes: Record<string, string>;
  data?: unknown;
}): HeraldEvent => ({
  id: '01JPROPERTY000000000000000',
  time: '2026-11-23T09:00:00Z',
  ...parts,
  data: parts.data as HeraldEvent['data'],
});

describe('renderEmail properties', () => {
  it('never puts a line break or control character in the subject or a header value', () => {
    fc.assert(
      fc.property(oddEvent, oddText(128), fc.boolean(), (parts, deliveryId, templated) => {
        // Act
        const { email: rendered } = render(eventOf(parts), smtpSettings(), {
          context: { ...context, deliveryId },
          ...(templated ? { template: { subject: '{{subject}}\r\n{{type}}\n{{{data}}}' } } : {}),
        });

        // Assess
        expect(rendered.subject.length).toBeLessThanOrEqual(MAX_SUBJECT_CHARS);
        for (const line of headerLines(rendered)) {
          expect(line).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
          expect(line).not.toMatch(LONE_SURROGATE);
        }
        for (const value of Object.values(rendered.headers)) expect(value).toMatch(HEADER_VALUE);
      }),
      { numRuns: 300 },
    );
  });

  it('escapes every markup character of event data in the HTML', () => {
    /** Replaces one metacharacter in every user-supplied string of an event. */
    const without = (parts: Parameters<typeof eventOf>[0], char: string) => {
      const clean = (text: string) => text.split(char).join('_');
      const cleanJson = (value: unknown): unknown =>
        typeof value === 'string'
          ? clean(value)
          : Array.isArray(value)
            ? value.map(cleanJson)
            : typeof value === 'object' && value !== null
              ? Object.fromEntries(
                  Object.entries(value).map(([key, inner]) => [clean(key), cleanJson(inner)]),
                )
              : value;
      return {
        ...parts,
        type: clean(parts.type),
        subject: clean(parts.subject),
        attributes: Object.fromEntries(
          Object.entries(parts.attributes).map(([key, value]) => [key, clean(value)]),
        ),
        data: cleanJson(parts.data),
      };
    };
    const count = (text: string, char: string) => text.split(char).length - 1;

    fc.assert(
      fc.property(oddEvent, fc.boolean(), (parts, templated) => {
        const template = templated ? { subject: '{{type}}', text: '{{subject}} {{{data}}}' } : undefined;
        for (const char of ['<', '>', '"', "'"]) {
          // Act
          const html = render(eventOf(parts), smtpSettings(), { ...(template ? { template } : {}) }).email
            .html;
          const markupOnly = render(eventOf(without(parts, char)), smtpSettings(), {
            ...(template ? { template } : {}),
          }).email.html;

          // Assess: the event's own metacharacters add none to the HTML (they became entities).
          expect(count(html, char)).toBe(count(markupOnly, char));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('stays within 256 KB with well-formed text for the largest events', () => {
    const bigData = fc
      .tuple(oddText(64), fc.integer({ min: 1, max: 6000 }))
      .map(([text, times]) => ({ lines: Array.from({ length: times }, (_, i) => `${i} ${text}`) }));

    fc.assert(
      fc.property(oddEvent, bigData, (parts, data) => {
        // Act
        const { email: rendered } = render(eventOf({ ...parts, data }), smtpSettings(), {
          template: { text: '{{{data}}}' },
        });

        // Assess
        expect(emailBytes(rendered)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
        for (const part of [rendered.subject, rendered.text, rendered.html]) {
          expect(part).not.toMatch(LONE_SURROGATE);
        }
        expect(rendered.text).not.toMatch(/[\r\u2028\u2029]|(?![\t\n])\p{Cc}/u);
      }),
      { numRuns: 40 },
    );
  });
});

describe('email settings', () => {
  it('defaults priorities, recipients, TLS and the port from the TLS mode', () => {
    // Act
    const settings = EmailSettingsSchema.parse({
      transport: 'smtp',
      host: 'smtp.example.com',
      from: 'a@example.com',
      to: ['b@example.com'],
    });

    // Assess
    expect(settings).toEqual({
      transport: 'smtp',
      host: 'smtp.example.com',
      from: 'a@example.com',
      to: ['b@example.com'],
      cc: [],
      bcc: [],
      priority: { info: 'normal', warning: 'normal', error: 'high', critical: 'high' },
      timeoutMs: 10_000,
    });
    expect(smtpPort(settings)).toBe(587);
    expect(smtpPort({ tls: 'implicit' })).toBe(465);
    expect(smtpPort({ tls: 'implicit', port: 2465 })).toBe(2465);
  });

  it.each([
    ['from', { from: 'Herald <alerts@example.com>\r\nBcc: victim@example.com' }],
    ['from', { from: 'Herald\r\nBcc: x@example.com <alerts@example.com>' }],
    ['from', { from: 'Herald\u0000 <alerts@example.com>' }],
    ['from', { from: 'He"rald <alerts@example.com>' }],
    ['from', { from: 'alerts@example.com\n' }],
    ['from', { from: 'not an address' }],
    ['to', { to: ['oncall@example.com\r\nBcc: victim@example.com'] }],
    ['to', { to: ['oncall@example.com '] }],
    ['cc', { cc: ['a@b'] }],
    ['bcc', { bcc: ['"quoted"@example.com'] }],
    ['subjectPrefix', { subjectPrefix: 'prod\r\nBcc: victim@example.com' }],
    ['subjectPrefix', { subjectPrefix: 'prod\u2028' }],
    ['host', { host: 'smtp.example.com\r\n' }],
    ['port', { port: 0 }],
    ['configurationSet', { configurationSet: 'has space' }],
  ])('refuses %s %j at save time', (field, overrides) => {
    // Act
    const result = email.settings.safeParse({
      transport: 'smtp',
      host: 'smtp.example.com',
      from: 'alerts@example.com',
      to: ['oncall@example.com'],
      ...overrides,
    });

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path[0])).toContain(field);
  });

  it('accepts an address with a display name, quoted or not, and an IDN domain in punycode', () => {
    for (const from of [
      'Herald <alerts@example.com>',
      '"Herald, Ops" <alerts@example.com>',
      'ops@xn--bcher-kva.xn--p1ai',
    ]) {
      expect(email.settings.safeParse({ transport: 'ses', from, to: ['a@example.com'] }).success).toBe(true);
    }
  });

  it.each([
    [{ transport: 'smtp' }, [['host', 'an smtp channel needs a host']]],
    [
      { transport: 'smtp', host: 'smtp.example.com', configurationSet: 'set' },
      [['configurationSet', 'configurationSet is for the ses transport only']],
    ],
    [
      { transport: 'ses', host: 'smtp.example.com', port: 587, tls: 'starttls' },
      [
        ['host', 'host is for the smtp transport only'],
        ['port', 'port is for the smtp transport only'],
        ['tls', 'tls is for the smtp transport only'],
      ],
    ],
    [{ transport: 'ses', to: [] }, [['to', 'give at least one recipient in to, cc or bcc']]],
    [
      {
        transport: 'ses',
        to: Array.from({ length: 30 }, (_, i) => `to${i}@example.com`),
        bcc: Array.from({ length: 21 }, (_, i) => `bcc${i}@example.com`),
      },
      [['to', 'at most 50 recipients in to, cc and bcc together (51 given)']],
    ],
  ])('checks across fields: %j', (overrides, expected) => {
    // Act
    const problems = email.check({ from: 'alerts@example.com', to: ['oncall@example.com'], ...overrides });

    // Assess
    expect(problems.map(({ path, message }) => [path, message])).toEqual(expected);
  });

  it('accepts bcc-only recipients and a valid ses channel', () => {
    expect(email.check({ transport: 'ses', from: 'a@example.com', bcc: ['b@example.com'] })).toEqual([]);
  });

  it('takes username and password as optional secret fields, and a password only with a username', () => {
    expect(Object.keys(email.secretFields)).toEqual(['username', 'password']);
    expect(email.secretFields.username?.safeParse(undefined).success).toBe(true);
    expect(() =>
      email.render({
        event,
        context,
        settings: {
          transport: 'smtp',
          host: 'smtp.example.com',
          from: 'a@example.com',
          to: ['b@example.com'],
        },
        secrets: { password: 'lonely' },
        template: undefined,
        now: NOW,
      }),
    ).toThrow(/username/);
  });
});

describe('email targets and summary', () => {
  it('lists the SMTP host with its derived port, and the SES sender identity', () => {
    expect(email.targets(smtpSettings({ tls: 'implicit' }), {})).toEqual([
      { kind: 'host', path: 'config.host', host: 'smtp.example.com', port: 465 },
    ]);
    expect(email.targets(sesSettings(), {})).toEqual([
      { kind: 'ses-identity', path: 'config.from', value: 'Herald Alerts <alerts@example.com>' },
    ]);
  });

  it('summarizes the server and the first recipients, never a credential', () => {
    // Prepare
    const many = smtpSettings({ port: 2525, bcc: ['a@example.com', 'b@example.com'] });

    // Act
    const smtp = email.summary(many, CREDENTIALS);
    const ses = email.summary(sesSettings(), {});
    const v6 = email.summary(smtpSettings({ host: '2001:db8::25', cc: [] }), CREDENTIALS);

    // Assess
    expect(smtp).toBe('smtp smtp.example.com:2525 → oncall@example.com, platform@example.com (+2)');
    expect(ses).toBe('ses → oncall@example.com');
    expect(v6).toBe('smtp [2001:db8::25]:587 → oncall@example.com');
    for (const secret of Object.values(CREDENTIALS)) expect(`${smtp}${v6}`).not.toContain(secret);
  });
});

/** An error shaped as nodemailer throws it. */
const smtpError = (
  message: string,
  fields: { code: string; responseCode?: number; response?: string; command?: string },
) =>
  Object.assign(
    new Error(fields.response === undefined ? message : `${message}: ${fields.response}`),
    fields,
  );

const sendSmtpWith = async (error: unknown, secrets = CREDENTIALS) => {
  const message = render(event, smtpSettings(), { secrets });
  return sendEmail(
    message,
    testTransports(false, {
      smtp: async () => {
        throw error;
      },
    }),
  );
};

describe('sendEmail over SMTP (stubbed transport)', () => {
  it('hands the server and e-mail to the transport and records 250 as delivered', async () => {
    // Prepare
    const sent: [SmtpServer, RenderedEmail][] = [];
    const message = smtpMessage(render(event, smtpSettings(), { secrets: CREDENTIALS }));

    // Act
    const result = await sendEmail(
      message,
      testTransports(false, {
        smtp: async (server, rendered) => {
          sent.push([server, rendered]);
          return { messageId: '<1@example.com>' };
        },
      }),
    );

    // Assess
    expect(result.outcome).toEqual({ kind: 'delivered', status: 250 });
    expect(sent).toEqual([[message.server, message.email]]);
  });

  it('retries a refused login with the reply, and scrubs the credentials in every form', async () => {
    // Prepare
    const plain = Buffer.from(`\u0000${CREDENTIALS.username}\u0000${CREDENTIALS.password}`).toString(
      'base64',
    );
    const error = smtpError('Invalid login', {
      code: 'EAUTH',
      responseCode: 535,
      response: `535 5.7.8 Authentication failed for ${CREDENTIALS.username} (AUTH PLAIN ${plain}, ${Buffer.from(CREDENTIALS.password).toString('base64')}, ${CREDENTIALS.password})`,
      command: 'AUTH PLAIN',
    });

    // Act
    const { outcome } = await sendSmtpWith(error);

    // Assess
    expect(outcome).toMatchObject({ kind: 'retry', status: 535 });
    const reason = 'error' in outcome ? outcome.error : '';
    expect(reason).toMatch(
      /^SMTP authentication failed \(535 5\.7\.8 Authentication failed for \[redacted\]/,
    );
    for (const secret of [
      CREDENTIALS.username,
      CREDENTIALS.password,
      plain,
      Buffer.from(CREDENTIALS.password).toString('base64'),
    ]) {
      expect(reason).not.toContain(secret);
    }
  });

  it.each(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROTOCOL'])(
    'retries a connection failure (%s)',
    async (code) => {
      const { outcome } = await sendSmtpWith(smtpError('Connection closed unexpectedly', { code }));
      expect(outcome).toEqual({
        kind: 'retry',
        error: `SMTP connection failed (${code}): Connection closed unexpectedly`,
      });
    },
  );

  it('retries a server that closes with 421', async () => {
    const error = smtpError('Server closed the connection', {
      code: 'ECONNECTION',
      responseCode: 421,
      response: '421 4.3.2 Service shutting down',
    });
    expect((await sendSmtpWith(error)).outcome).toMatchObject({ kind: 'retry', status: 421 });
  });

  it.each([
    [
      'EENVELOPE',
      550,
      '550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown',
      'RCPT TO',
      'failed',
    ],
    ['EENVELOPE', 553, '553 5.7.1 Sender address rejected: not owned by user', 'MAIL FROM', 'failed'],
    ['EMESSAGE', 552, '552 5.3.4 Message size exceeds fixed limit', 'DATA', 'failed'],
    ['EMESSAGE', 554, '554 5.7.1 Message rejected as spam', 'DATA', 'failed'],
    ['EENVELOPE', 450, '450 4.2.1 Mailbox busy, try again later', 'RCPT TO', 'retry'],
    ['EENVELOPE', 451, '451 4.7.1 Greylisted, please retry', 'RCPT TO', 'retry'],
    ['EMESSAGE', 452, '452 4.3.1 Insufficient system storage', 'DATA', 'retry'],
  ] as const)('classifies %s %i as %s (never gone)', async (code, responseCode, response, command, kind) => {
    // Act
    const { outcome } = await sendSmtpWith(
      smtpError('Message failed', { code, responseCode, response, command }),
    );

    // Assess
    expect(outcome.kind).toBe(kind);
    expect(outcome).toMatchObject({ status: responseCode });
    expect('error' in outcome ? outcome.error : '').toBe(
      `SMTP server ${kind === 'failed' ? 'refused' : 'deferred'} the message at ${command}: ${response}`,
    );
  });

  it('fails a message nodemailer cannot send at all (no reply code)', async () => {
    const error = smtpError('Message size larger than allowed 10240000', {
      code: 'EMESSAGE',
      command: 'MAIL FROM',
    });
    expect((await sendSmtpWith(error)).outcome).toEqual({
      kind: 'failed',
      error: 'SMTP message not accepted (EMESSAGE): Message size larger than allowed 10240000',
    });
  });

  it('fails a refused target without retrying', async () => {
    const { outcome } = await sendSmtpWith(new TargetNotAllowedError('10.0.0.5 is not a public address'));
    expect(outcome).toEqual({ kind: 'failed', error: 'target refused: 10.0.0.5 is not a public address' });
  });

  it('retries a DNS failure before nodemailer (resolveTargetHost)', async () => {
    const error = Object.assign(new Error('getaddrinfo ENOTFOUND smtp.example.com'), { code: 'ENOTFOUND' });
    expect((await sendSmtpWith(error)).outcome).toEqual({
      kind: 'retry',
      error: 'SMTP network error (ENOTFOUND): getaddrinfo ENOTFOUND smtp.example.com',
    });
  });

  it('keeps reasons on one line and within 300 characters', async () => {
    const response = `554 5.7.1 ${'Rejected\r\n554-'.repeat(100)}`;
    const { outcome } = await sendSmtpWith(
      smtpError('Message failed', { code: 'EMESSAGE', responseCode: 554, response }),
    );
    const reason = 'error' in outcome ? outcome.error : '';
    expect(reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(reason).not.toMatch(/[\r\n]/);
  });
});

/** An AWS SDK v3 service error as the SES client throws it. */
const sesError = <E>(
  ErrorClass: new (options: { message: string; $metadata: { httpStatusCode: number } }) => E,
  status: number,
  message: string,
): E => new ErrorClass({ message, $metadata: { httpStatusCode: status } });

/** An error SES answers without a modelled class (throttling, access denied). */
const unmodelled = (name: string, status: number, message: string) =>
  new SESv2ServiceException({ name, $fault: 'client', message, $metadata: { httpStatusCode: status } });

const sendSesWith = async (error: unknown) =>
  sendEmail(
    render(event, sesSettings()),
    testTransports(false, {
      ses: async () => {
        throw error;
      },
    }),
  );

describe('sendEmail over SES (stubbed transport)', () => {
  it('sends with the configuration set and records delivered', async () => {
    // Prepare
    const sent: Parameters<Transports['ses']>[0][] = [];
    const message = render(event, sesSettings());

    // Act
    const result = await sendEmail(
      message,
      testTransports(false, {
        ses: async (rendered) => {
          sent.push(rendered);
          return { messageId: '0100018c-example' };
        },
      }),
    );

    // Assess
    expect(result.outcome).toEqual({ kind: 'delivered', status: 200 });
    expect(sent).toEqual([{ ...message.email, configurationSet: 'herald-alerts' }]);
  });

  it.each([
    ['TooManyRequestsException', sesError(TooManyRequestsException, 429, 'Too many requests')],
    ['LimitExceededException', sesError(LimitExceededException, 400, 'Daily message quota exceeded')],
    ['InternalServiceErrorException', sesError(InternalServiceErrorException, 500, 'Internal failure')],
    ['ThrottlingException', unmodelled('ThrottlingException', 400, 'Maximum sending rate exceeded.')],
  ])('retries %s', async (name, error) => {
    const { outcome } = await sendSesWith(error);
    expect(outcome).toMatchObject({
      kind: 'retry',
      error: expect.stringMatching(new RegExp(`^SES ${name}: `)),
    });
  });

  it.each([
    [sesError(MessageRejected, 400, 'Email address is not verified.'), 400],
    [sesError(MailFromDomainNotVerifiedException, 400, 'MAIL FROM domain not verified'), 400],
    [sesError(AccountSuspendedException, 400, 'Account suspended'), 400],
    [sesError(SendingPausedException, 400, 'Sending paused for this account'), 400],
    [sesError(BadRequestException, 400, 'Invalid address'), 400],
    [sesError(NotFoundException, 404, 'Configuration set herald-alerts does not exist.'), 404],
    [unmodelled('AccessDeniedException', 403, 'not authorized to perform: ses:SendEmail'), 403],
  ])('fails %s permanently with its name and message', async (error, status) => {
    const { outcome } = await sendSesWith(error);
    expect(outcome).toEqual({ kind: 'failed', status, error: `SES ${error.name}: ${error.message}` });
  });

  it('retries a request that got no HTTP answer (network error, with retry metadata only)', async () => {
    // Prepare
    const error = Object.assign(new Error('socket hang up'), {
      name: 'Error',
      code: 'ECONNRESET',
      $metadata: { attempts: 3 },
    });

    // Act
    const { outcome } = await sendSesWith(error);

    // Assess
    expect(outcome).toEqual({ kind: 'retry', error: 'SES request failed (Error): socket hang up' });
  });
});

/** The test CA from test/fixtures/tls: a self-signed certificate for 127.0.0.1 and localhost. */
const TLS_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'tls');
const TEST_CERT = readFileSync(join(TLS_DIR, 'smtp-test.crt'), 'utf8');
const TEST_KEY = readFileSync(join(TLS_DIR, 'smtp-test.key'), 'utf8');

/** A local submission server: STARTTLS, AUTH, and hooks a test sets. */
const startSmtp = async (options: Partial<SMTPServerOptions> = {}) => {
  const received: ParsedMail[] = [];
  const logins: string[] = [];
  const server = new SMTPServer({
    secure: false,
    key: TEST_KEY,
    cert: TEST_CERT,
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: false,
    logger: false,
    onAuth: (auth, _session, callback) => {
      logins.push(auth.username ?? '');
      if (auth.username === CREDENTIALS.username && auth.password === CREDENTIALS.password) {
        callback(null, { user: auth.username });
        return;
      }
      callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
    },
    onData: (stream, _session, callback) => {
      simpleParser(stream)
        .then((parsed) => {
          received.push(parsed);
          callback();
        })
        .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    server,
    port,
    received,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

const realTransports = () =>
  createTransports({
    allowPrivateTargets: true,
    smtpTrustedCa: TEST_CERT,
  });

describe('sendEmail through nodemailer to a local SMTP server', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  const localMessage = (port: number, secrets: { username?: string; password?: string } = CREDENTIALS) =>
    render(event, smtpSettings({ host: '127.0.0.1', port, timeoutMs: 3000 }), { secrets });

  it('delivers over STARTTLS with AUTH; the receiver sees the subject, headers and both bodies', async () => {
    // Prepare
    const smtp = await startSmtp();
    close = smtp.close;
    const message = localMessage(smtp.port);

    // Act
    const result = await sendEmail(message, realTransports());

    // Assess
    expect(result.outcome).toEqual({ kind: 'delivered', status: 250 });
    const [mail] = smtp.received;
    expect(mail?.subject).toBe('[prod] Break-glass access used on app/production');
    expect(mail?.from?.value).toEqual([{ name: 'Herald', address: 'alerts@example.com' }]);
    // mailparser reads X-Priority and Importance into one `priority`.
    expect(mail?.headers.get('priority')).toBe('high');
    expect(mail?.headers.get('x-herald-delivery-id')).toBe('msg_abc');
    expect(mail?.text?.replace(/\r\n/g, '\n')).toBe(message.email.text);
    expect(mail?.html).toBe(message.email.html);
  });

  it('retries a refused login with the 535 reply and no credential in the reason', async () => {
    // Prepare
    const smtp = await startSmtp();
    close = smtp.close;

    // Act
    const { outcome } = await sendEmail(
      localMessage(smtp.port, { username: CREDENTIALS.username, password: 'Wrong-Pa55word' }),
      realTransports(),
    );

    // Assess
    expect(outcome).toMatchObject({ kind: 'retry', status: 535 });
    const reason = 'error' in outcome ? outcome.error : '';
    expect(reason).toMatch(/^SMTP authentication failed \(535 /);
    expect(reason).not.toContain('Wrong-Pa55word');
    expect(reason).not.toContain(CREDENTIALS.username);
  });

  it('fails a recipient the server rejects with 550, and retries one it defers with 451', async () => {
    // Prepare
    const smtp = await startSmtp({
      onRcptTo: (address, _session, callback) => {
        const code = address.address.startsWith('oncall') ? 550 : 451;
        callback(
          Object.assign(new Error(code === 550 ? 'No such user' : 'Try again later'), { responseCode: code }),
        );
      },
    });
    close = smtp.close;
    const only = (to: string) =>
      render(event, smtpSettings({ host: '127.0.0.1', port: smtp.port, timeoutMs: 3000, to: [to], cc: [] }), {
        secrets: CREDENTIALS,
      });

    // Act
    const rejected = await sendEmail(only('oncall@example.com'), realTransports());
    const deferred = await sendEmail(only('later@example.com'), realTransports());

    // Assess
    expect(rejected.outcome).toMatchObject({ kind: 'failed', status: 550 });
    expect(deferred.outcome).toMatchObject({ kind: 'retry', status: 451 });
  });

  it('never sends credentials to a server that does not offer STARTTLS, and retries', async () => {
    // Prepare
    const smtp = await startSmtp({
      hideSTARTTLS: true,
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
    });
    close = smtp.close;

    // Act
    const { outcome } = await sendEmail(localMessage(smtp.port), realTransports());

    // Assess
    expect(outcome).toMatchObject({
      kind: 'retry',
      error: expect.stringMatching(/^SMTP connection failed at STARTTLS \(ETLS\): 500 /),
    });
    expect(smtp.logins).toEqual([]);
    expect(smtp.received).toEqual([]);
  });

  it('refuses a private SMTP host unless private targets are allowed', async () => {
    // Prepare
    const strict = createTransports({
      allowPrivateTargets: false,
    });

    // Act
    const { outcome } = await sendEmail(localMessage(2525), strict);

    // Assess
    expect(outcome).toEqual({ kind: 'failed', error: 'target refused: 127.0.0.1 is not a public address' });
  });
});

describe('email channel input', () => {
  it('refuses SMTP credentials on an SES channel, naming the field', () => {
    // Act
    const result = ChannelInput.safeParse({
      type: 'email',
      config: { transport: 'ses', from: 'alerts@example.com', to: ['a@example.com'], password: 'x' },
    });

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['config', 'password'],
        message: expect.stringContaining('smtp transport only'),
      }),
    ]);
  });
});
