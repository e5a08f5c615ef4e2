/**
 * The `email` channel's config (SPEC §3): public settings, secret fields, and the checks across them.
 * Every address, display name and the subject prefix is refused at save time when it holds a control
 * character, so nothing a user configures can add a header line.
 */
import * as z from 'zod';
import { lazySchema } from '../../runtime/lazy-schema.ts';
import { TimeoutMs } from '../record.ts';

/** Most recipients (to, cc and bcc together) in one message: SES's per-message limit. */
export const MAX_RECIPIENTS = 50;
/** Longest address: a forward path is at most 256 octets with its angle brackets (RFC 5321 §4.5.3.1.3). */
const MAX_ADDRESS_CHARS = 254;
const MAX_DISPLAY_NAME_CHARS = 128;
const MAX_PREFIX_CHARS = 64;
/** The submission ports Herald uses when `port` is left out (RFC 8314 §3.3, RFC 6409 §3.1). */
export const DEFAULT_SMTP_PORTS = { starttls: 587, implicit: 465 } as const;

/**
 * An addr-spec as mail services accept it: ASCII dot-atoms (zod's default e-mail pattern), with the
 * top-level domain in letters or an IDNA `xn--` label. No quoted local parts, comments or control
 * characters.
 */
const ADDRESS_PATTERN =
  /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+(?:[A-Za-z]{2,}|xn--[A-Za-z0-9-]+)$/;

/** Characters `from`, a username or the prefix may not hold: controls, lone surrogates, line and bidi controls. */
const UNSAFE_TEXT = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/u;

/** An e-mail address (addr-spec), e.g. `ops@example.com`. */
export const EmailAddress = lazySchema(() =>
  z.email({ pattern: ADDRESS_PATTERN, message: 'not a valid e-mail address' }).max(MAX_ADDRESS_CHARS),
);

/** A mailbox split into its display name (possibly empty) and address. */
export interface Mailbox {
  readonly name: string;
  readonly address: string;
}

const NAME_ADDR = /^(.*?)\s*<([^<>]*)>$/s;

/**
 * Reads `a@b`, `Name <a@b>` or `"Name" <a@b>`. Returns undefined when it is none of those; the parts
 * are not checked here (see {@link mailboxProblem}).
 */
export const parseMailbox = (text: string): Mailbox | undefined => {
  const trimmed = text.trim();
  const match = NAME_ADDR.exec(trimmed);
  if (match === null)
    return trimmed.includes('<') || trimmed.includes('>') ? undefined : { name: '', address: trimmed };
  const [, rawName = '', address = ''] = match;
  const quoted = /^"(.*)"$/s.exec(rawName);
  return { name: quoted === null ? rawName : (quoted[1] ?? ''), address };
};

/** Why a `from` value is not a safe mailbox, or undefined when it is. */
const mailboxProblem = (text: string): string | undefined => {
  if (UNSAFE_TEXT.test(text)) return 'from cannot contain control or line-break characters';
  const mailbox = parseMailbox(text);
  if (mailbox === undefined) return 'from must be an address or Name <address>';
  if (!EmailAddress.safeParse(mailbox.address).success) return 'from has no valid e-mail address';
  if (/["\\<>]/.test(mailbox.name)) return 'the display name cannot contain " \\ < or >';
  if (mailbox.name.length > MAX_DISPLAY_NAME_CHARS) {
    return `the display name is at most ${MAX_DISPLAY_NAME_CHARS} characters`;
  }
  return undefined;
};

/** The sender: an address, optionally with a display name (`Herald <alerts@example.com>`). */
export const FromMailbox = lazySchema(() =>
  z
    .string()
    .min(3)
    .max(MAX_ADDRESS_CHARS + MAX_DISPLAY_NAME_CHARS + 8)
    .superRefine((text, ctx) => {
      const problem = mailboxProblem(text);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
);

const Recipients = lazySchema(() => z.array(EmailAddress).max(MAX_RECIPIENTS).default([]));

export const Priority = lazySchema(() => z.enum(['high', 'normal', 'low']));
export type Priority = z.infer<typeof Priority>;

/** The priority each severity gets unless the channel says otherwise. */
export const DEFAULT_PRIORITIES = {
  info: 'normal',
  warning: 'normal',
  error: 'high',
  critical: 'high',
} as const satisfies Record<string, Priority>;

/** A hostname or an IP address (IPv6 bare or in brackets). */
const Host = lazySchema(() =>
  z.union([z.hostname().max(253), z.ipv6(), z.string().regex(/^\[[0-9A-Fa-f:.]+\]$/)], {
    error: 'host must be a hostname or an IP address',
  }),
);

/** Public settings of an e-mail channel, kept in the config table. Cross-field rules are in {@link checkEmailSettings}. */
export const EmailSettings = lazySchema(() =>
  z.strictObject({
    transport: z.enum(['smtp', 'ses']),
    /** SMTP server (smtp only). */
    host: Host.optional(),
    /** @default 587 with `starttls`, 465 with `implicit` (see {@link smtpPort}) */
    port: z.number().int().min(1).max(65_535).optional(),
    /** `starttls`: STARTTLS is required, never skipped; `implicit`: TLS from the first byte. @default starttls */
    tls: z.enum(['starttls', 'implicit']).optional(),
    /** SES configuration set (ses only). */
    configurationSet: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'configurationSet must be 1-64 letters, digits, _ or -')
      .optional(),
    from: FromMailbox,
    to: Recipients,
    cc: Recipients,
    bcc: Recipients,
    /** Put in brackets before every subject: `[prefix] subject`. */
    subjectPrefix: z
      .string()
      .min(1)
      .max(MAX_PREFIX_CHARS)
      .refine(
        (prefix) => !UNSAFE_TEXT.test(prefix),
        'subjectPrefix cannot contain control or line-break characters',
      )
      .optional(),
    /** The priority (`X-Priority`, `Importance`) by severity. */
    priority: z
      .strictObject({
        info: Priority.default(DEFAULT_PRIORITIES.info),
        warning: Priority.default(DEFAULT_PRIORITIES.warning),
        error: Priority.default(DEFAULT_PRIORITIES.error),
        critical: Priority.default(DEFAULT_PRIORITIES.critical),
      })
      .prefault({}),
    timeoutMs: TimeoutMs,
  }),
);
export type EmailSettings = z.infer<typeof EmailSettings>;

/** SMTP user name: printable, one line. */
const Username = lazySchema(() =>
  z
    .string()
    .min(1)
    .max(256)
    .refine((name) => !UNSAFE_TEXT.test(name), 'username cannot contain control characters'),
);
const Password = lazySchema(() => z.string().min(1).max(1024));

/** Secret fields as users write them (each may also be a `{secretRef, key}` reference). */
export const EMAIL_SECRET_FIELDS = {
  username: lazySchema(() => Username.optional()),
  password: lazySchema(() => Password.optional()),
} as const;

/** The resolved secrets, checked before every send. */
export const EmailSecrets = lazySchema(() =>
  z
    .object({ username: Username.optional(), password: Password.optional() })
    .refine((secrets) => secrets.password === undefined || secrets.username !== undefined, {
      path: ['username'],
      message: 'a password needs a username',
    }),
);
export type EmailSecrets = z.infer<typeof EmailSecrets>;

/** The TLS mode of an SMTP channel. */
export const smtpTls = (settings: Pick<EmailSettings, 'tls'>): 'starttls' | 'implicit' =>
  settings.tls ?? 'starttls';

/** The SMTP port: the configured one, or the submission port for the TLS mode. */
export const smtpPort = (settings: Pick<EmailSettings, 'port' | 'tls'>): number =>
  settings.port ?? DEFAULT_SMTP_PORTS[smtpTls(settings)];

/** Every recipient, in order: to, cc, bcc. */
export const recipientsOf = (settings: Pick<EmailSettings, 'to' | 'cc' | 'bcc'>): string[] => [
  ...settings.to,
  ...settings.cc,
  ...settings.bcc,
];

/** The rules across settings the schema cannot state: transport-specific fields and the recipients. */
export const checkEmailSettings = (
  settings: EmailSettings,
  secretFields: ReadonlySet<string> = new Set(),
): { path: string; message: string }[] => {
  const problems: { path: string; message: string }[] = [];
  if (settings.transport === 'smtp' && secretFields.has('password') && !secretFields.has('username')) {
    problems.push({ path: 'username', message: 'a password needs a username: give both' });
  }
  if (settings.transport === 'ses') {
    for (const field of ['username', 'password'] as const) {
      if (secretFields.has(field)) {
        problems.push({
          path: field,
          message: `${field} is for the smtp transport only (SES signs with the role)`,
        });
      }
    }
  }
  if (settings.transport === 'smtp') {
    if (settings.host === undefined) problems.push({ path: 'host', message: 'an smtp channel needs a host' });
    if (settings.configurationSet !== undefined) {
      problems.push({ path: 'configurationSet', message: 'configurationSet is for the ses transport only' });
    }
  } else {
    for (const field of ['host', 'port', 'tls'] as const) {
      if (settings[field] !== undefined) {
        problems.push({ path: field, message: `${field} is for the smtp transport only` });
      }
    }
  }
  const recipients = recipientsOf(settings).length;
  if (recipients === 0)
    problems.push({ path: 'to', message: 'give at least one recipient in to, cc or bcc' });
  if (recipients > MAX_RECIPIENTS) {
    problems.push({
      path: 'to',
      message: `at most ${MAX_RECIPIENTS} recipients in to, cc and bcc together (${recipients} given)`,
    });
  }
  return problems;
};
