/**
 * What a channel type is: its config (public settings and secret fields), a pure renderer and a sender
 * over injected transports. Each type lives in its own folder and is listed once in `registry.ts`.
 */
import type * as z from 'zod';
import type { Digest } from '../domain/digest.ts';
import type { HeraldEvent } from '../domain/event.ts';
import type { AttemptOutcome } from '../domain/outcome.ts';
import type { SafeRequest, SafeResponse } from '../http/safe-request.ts';
import type { StoredTemplate } from './record.ts';

/** Where a delivery stands: carried in webhook bodies (`herald`) and usable in templates. */
export interface DeliveryContext {
  readonly deliveryId: string;
  readonly attempt: number;
  readonly channelId: string;
  readonly policyIds: readonly string[];
}

/** One attempt's classified outcome and how long it took. */
export interface AttemptResult {
  readonly outcome: AttemptOutcome;
  readonly latencyMs: number;
  /**
   * The id the service gave what was sent, when it answered one (SNS and SQS `MessageId`, EventBridge
   * `EventId`): test-sends report it.
   */
  readonly messageId?: string;
}

/** A role in another account (or this one) that a channel sends as, instead of the function's own. */
export interface AssumedRole {
  readonly roleArn: string;
  /** Passed to `AssumeRole` as `ExternalId`, when the role's trust policy asks for one. */
  readonly externalId?: string;
}

/** An e-mail as the e-mail channel renders it, whichever transport sends it. */
export interface RenderedEmail {
  readonly from: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly bcc: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Extra headers (priority). */
  readonly headers: Readonly<Record<string, string>>;
}

/** The SMTP server to send through, with its credentials. */
export interface SmtpServer {
  readonly host: string;
  readonly port: number;
  readonly tls: 'starttls' | 'implicit';
  readonly username?: string;
  readonly password?: string;
  readonly timeoutMs: number;
}

/**
 * How senders reach the world. The handlers create these once at module scope; unit tests pass fakes.
 * Every transport throws on failure; the type's sender classifies what it threw.
 */
export interface Transports {
  /** An HTTP request through the SSRF-safe client (timeout, no redirects, public addresses only). */
  readonly http: (request: SafeRequest) => Promise<SafeResponse>;
  readonly sns: (message: {
    readonly topicArn: string;
    readonly message: string;
    readonly subject?: string;
    readonly attributes: Readonly<Record<string, string>>;
    /** FIFO topics: the message group, and the deduplication id (the delivery id). */
    readonly messageGroupId?: string;
    readonly deduplicationId?: string;
  }) => Promise<{ readonly messageId: string }>;
  /** SQS `SendMessage`, with the function's role or, given `role`, with that role's credentials. */
  readonly sqs: (message: {
    readonly queueUrl: string;
    /** The queue's region, when its URL names one (the client's own region otherwise). */
    readonly region?: string;
    readonly body: string;
    readonly attributes: Readonly<Record<string, string>>;
    /** FIFO queues: the message group, and the deduplication id (the delivery id). */
    readonly messageGroupId?: string;
    readonly deduplicationId?: string;
    readonly role?: AssumedRole;
  }) => Promise<{ readonly messageId: string }>;
  /**
   * EventBridge `PutEvents` of one entry, with the function's role or `role`. A failed entry is an
   * answer, not a throw: `errorCode` and `errorMessage` say why.
   */
  readonly eventbridge: (entry: {
    readonly eventBusArn: string;
    /** The bus's region, from its ARN: the client's. */
    readonly region: string;
    readonly source: string;
    readonly detailType: string;
    /** The webhook body: the envelope plus `herald` (JSON). */
    readonly detail: string;
    /** The event's time. */
    readonly time: Date;
    /** The role to put as; absent: the function's own. */
    readonly role?: AssumedRole;
  }) => Promise<
    { readonly eventId: string } | { readonly errorCode: string; readonly errorMessage: string | undefined }
  >;
  readonly ses: (
    email: RenderedEmail & { readonly configurationSet?: string },
  ) => Promise<{ readonly messageId: string }>;
  readonly smtp: (server: SmtpServer, email: RenderedEmail) => Promise<{ readonly messageId: string }>;
}

/** What the renderer gets besides the event: the channel's own parts, checked by its schemas. */
export interface RenderInput<Settings, Secrets> {
  readonly event: HeraldEvent;
  readonly context: DeliveryContext;
  readonly settings: Settings;
  readonly secrets: Secrets;
  readonly template: StoredTemplate | undefined;
  readonly now: Date;
}

/**
 * The digest renderers, in a file of their own (`digests.ts`, shipped as `digests.js`): what
 * `loadDigestRendering` (`digest-loading.ts`) gives when a digest is sent.
 */
export type DigestRendering = typeof import('./digests.ts');

/** What the renderer of a digest gets: the digest instead of an event (templates do not apply). */
export interface DigestRenderInput<Settings, Secrets> {
  readonly digest: Digest;
  readonly context: DeliveryContext;
  readonly settings: Settings;
  readonly secrets: Secrets;
  readonly now: Date;
}

/** Something a channel sends to, checked when the channel is saved and (URLs, hosts) at connect time. */
export type Target =
  | { readonly kind: 'url'; readonly path: string; readonly url: string }
  | { readonly kind: 'host'; readonly path: string; readonly host: string; readonly port: number }
  /**
   * An AWS resource the stack must allow (`sns`: topic ARN; `ses`: the sender identity; `sqs`: the
   * queue URL; `eventbridge`: the bus ARN; either's `roleArn`).
   */
  | {
      readonly kind: 'sns-topic' | 'ses-identity' | 'sqs-queue' | 'event-bus' | 'iam-role';
      readonly path: string;
      readonly value: string;
    };

/**
 * A channel type. `Settings` are kept in the config table and returned by reads; `Secrets` are kept in
 * Secrets Manager (or referenced) and never returned.
 */
export interface ChannelTypeSpec<S extends z.ZodObject, Secrets, Message> {
  readonly type: string;
  /** Public settings, with defaults applied (stored as parsed). A strict object without refinements. */
  readonly settings: S;
  /** Each secret field's schema for an inline value; optional ones may be left out. */
  readonly secretFields: Readonly<Record<string, z.ZodType>>;
  /** The resolved secrets, checked before every send (derived values such as rotation included). */
  readonly secrets: z.ZodType<Secrets>;
  /**
   * Secret fields that go to the target (credentials, tokens): when a PUT changes where the channel
   * sends, a stored value is not kept for them; they must be given again. @default every secret field
   */
  readonly targetBoundSecrets?: readonly string[];
  /** Which template parts the type renders. */
  readonly templateParts: readonly ('subject' | 'text' | 'body')[];
  /** A valid `config` with inline secrets, for the contract tests and the docs. */
  readonly example: Readonly<Record<string, unknown>>;
  /**
   * Checks across settings that the schemas cannot make alone, a path per problem. Gets the secret
   * fields the input gives (inline or referenced), not their values.
   */
  readonly check?: (
    settings: z.output<S>,
    secretFields: ReadonlySet<string>,
  ) => { path: string; message: string }[];
  /** What the channel sends to, for the save-time checks. Secret values may be absent (references). */
  readonly targets: (settings: z.output<S>, secrets: Partial<Record<string, unknown>>) => Target[];
  /** A short, secret-free description of the target: a host, a topic, recipients. */
  readonly summary: (settings: z.output<S>, secrets: Partial<Record<string, unknown>>) => string;
  /**
   * Fills in secret values the user left out or derives companions (a generated signing secret, the
   * previous one kept while it rotates). Gets the inline values to store (given or kept), the stored
   * ones, and the fields that reference a user's secret instead.
   */
  readonly prepareSecrets?: (
    next: Record<string, unknown>,
    stored: Readonly<Record<string, unknown>>,
    now: Date,
    referenced: ReadonlySet<string>,
  ) => Record<string, unknown>;
  /** Builds what goes out for one attempt. Pure: no I/O, no clock but `now`. */
  readonly render: (input: RenderInput<z.output<S>, Secrets>) => Message;
  /**
   * Builds one message listing a digest's events, within the type's size limits (newest first, the
   * rest counted as "and N more"). Pure. Gets the digest renderers loaded from their own file
   * (`digests`): the type's digest code lives there, out of the functions' cold start. Absent: the type
   * takes no `digest` (refused when saved).
   */
  readonly renderDigest?: (
    input: DigestRenderInput<z.output<S>, Secrets>,
    digests: DigestRendering,
  ) => Message;
  /** Sends one rendered message and classifies what came back; never throws. */
  readonly send: (message: Message, transports: Transports, settings: z.output<S>) => Promise<AttemptResult>;
}

/** A channel type with its own types sealed in: what the registry holds. */
export interface ChannelType {
  readonly type: string;
  readonly settings: z.ZodObject;
  readonly secretFields: Readonly<Record<string, z.ZodType>>;
  readonly targetBoundSecrets: readonly string[];
  readonly templateParts: readonly ('subject' | 'text' | 'body')[];
  readonly example: Readonly<Record<string, unknown>>;
  /** `secretFields`: the secret fields the input gives (default none). */
  check(
    settings: Record<string, unknown>,
    secretFields?: ReadonlySet<string>,
  ): { path: string; message: string }[];
  targets(settings: Record<string, unknown>, secrets: Partial<Record<string, unknown>>): Target[];
  summary(settings: Record<string, unknown>, secrets: Partial<Record<string, unknown>>): string;
  prepareSecrets(
    next: Record<string, unknown>,
    stored: Readonly<Record<string, unknown>>,
    now: Date,
    referenced: ReadonlySet<string>,
  ): Record<string, unknown>;
  /** Parses stored settings and secrets, renders. Throws a ZodError when they are not valid. */
  render(input: RenderInput<Record<string, unknown>, Record<string, unknown>>): unknown;
  /** Whether the type renders digests (a channel of it may have `digest`). */
  readonly digests: boolean;
  /** {@link render} for a digest, with the digest renderers loaded; throws when the type takes none. */
  renderDigest(
    input: DigestRenderInput<Record<string, unknown>, Record<string, unknown>>,
    digests: DigestRendering,
  ): unknown;
  /** Sends what {@link render} made. */
  send(message: unknown, transports: Transports, settings: Record<string, unknown>): Promise<AttemptResult>;
}

/** Seals a type's spec behind the registry's interface (the only place its generics are bound). */
export const defineChannelType = <S extends z.ZodObject, Secrets, Message>(
  spec: ChannelTypeSpec<S, Secrets, Message>,
): ChannelType => {
  // The sealed message is what this type's own render produced, so the cast back is sound.
  const sealedSend = (message: unknown, transports: Transports, settings: Record<string, unknown>) =>
    spec.send(message as Message, transports, spec.settings.parse(settings));
  return {
    type: spec.type,
    settings: spec.settings,
    secretFields: spec.secretFields,
    targetBoundSecrets: spec.targetBoundSecrets ?? Object.keys(spec.secretFields),
    templateParts: spec.templateParts,
    example: spec.example,
    check: (settings, secretFields = new Set()) =>
      spec.check?.(spec.settings.parse(settings), secretFields) ?? [],
    targets: (settings, secrets) => spec.targets(spec.settings.parse(settings), secrets),
    summary: (settings, secrets) => spec.summary(spec.settings.parse(settings), secrets),
    prepareSecrets: (next, stored, now, referenced) =>
      spec.prepareSecrets?.(next, stored, now, referenced) ?? next,
    render: (input) =>
      spec.render({
        ...input,
        settings: spec.settings.parse(input.settings),
        secrets: spec.secrets.parse(input.secrets),
      }),
    digests: spec.renderDigest !== undefined,
    renderDigest: (input, digests) => {
      if (spec.renderDigest === undefined) throw new Error(`the ${spec.type} channel type takes no digest`);
      return spec.renderDigest(
        {
          ...input,
          settings: spec.settings.parse(input.settings),
          secrets: spec.secrets.parse(input.secrets),
        },
        digests,
      );
    },
    send: sealedSend,
  };
};
