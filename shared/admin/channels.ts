import * as z from 'zod';
import type { ConfigRepository, Page } from '../aws/config-repository.ts';
import type { StateRepository } from '../aws/state-repository.ts';
import { ChannelInput, pickSettings } from '../channels/input.ts';
import {
  ChannelRecord,
  isSecretRef,
  readChannelSecrets,
  type SecretRef,
  type SecretStore,
} from '../channels/record.ts';
import { CHANNEL_TYPE_NAMES, CHANNEL_TYPES, channelType } from '../channels/registry.ts';
import type { Sendable } from '../channels/send.ts';
import type { ChannelType, Target, Transports } from '../channels/types.ts';
import { WebhookSecret } from '../channels/webhook/index.ts';
import { attemptDelivery } from '../deliver/deliver.ts';
import { buildDigest, type Digest, digestPeriod } from '../domain/digest.ts';
import { HttpError, ValidationError } from '../domain/errors.ts';
import type { HeraldEvent } from '../domain/event.ts';
import { newEventId } from '../domain/ids.ts';
import { lazySchema } from '../runtime/lazy-schema.ts';
import {
  type AdminRequest,
  assertBodyId,
  checkIfMatch,
  etagOf,
  givenFieldNames,
  notFound,
  parseBody,
  pathId,
  sameJson,
} from './request.ts';
import { type TargetPolicy, validateTargets } from './targets.ts';

/** What recording a test-send needs of the state table. */
export type AttemptRecorder = Pick<
  StateRepository,
  'beginAttempt' | 'recordAttempt' | 'markDelivered' | 'markFailed'
>;

export interface ChannelAdminDeps {
  readonly config: Pick<
    ConfigRepository,
    'page' | 'getChannel' | 'putVersioned' | 'deleteVersioned' | 'bumpGeneration'
  >;
  readonly secrets: SecretStore;
  readonly state: AttemptRecorder;
  readonly secretPrefix: string;
  readonly targets: TargetPolicy;
  readonly transports: Transports;
  /** Sends what a channel's open digests hold now (when its `digest` changes or goes). */
  readonly digests: { flushChannel(channelId: string, now: Date): Promise<void> };
}

/** Where a channel sends, as a sorted list (hosts, topics, identities), to notice a change of target. */
const destinationsOf = (targets: readonly Target[]): string[] =>
  [
    ...new Set(
      targets.map((target) => {
        switch (target.kind) {
          case 'url':
            return URL.canParse(target.url) ? new URL(target.url).host : target.url;
          case 'host':
            return `${target.host}:${target.port}`;
          default:
            return target.value;
        }
      }),
    ),
  ].sort();

/** A secret field as reads show it: never the value. */
type SecretFieldView = { configured: true } | SecretRef;

/** A channel as the admin API returns it (SPEC §3: secret fields show `configured: true`). */
export const toChannelView = (record: ChannelRecord) => {
  const secretFields: Record<string, SecretFieldView> = {};
  for (const [field, ref] of Object.entries(record.secretRefs)) secretFields[field] = ref;
  for (const field of record.inlineSecrets) secretFields[field] = { configured: true };
  return {
    id: record.id,
    type: record.type,
    enabled: record.enabled,
    ...(record.description === undefined ? {} : { description: record.description }),
    ...(record.target === undefined ? {} : { target: record.target }),
    ...(record.events === undefined ? {} : { events: record.events }),
    ...(record.retry === undefined ? {} : { retry: record.retry }),
    ...(record.rateLimit === undefined ? {} : { rateLimit: record.rateLimit }),
    ...(record.digest === undefined ? {} : { digest: record.digest }),
    ...(record.template === undefined ? {} : { template: record.template }),
    ...(record.disabledReason === undefined ? {} : { disabledReason: record.disabledReason }),
    config: { ...record.settings, ...secretFields } as Record<string, unknown>,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    etag: etagOf(record.version),
  };
};
export type ChannelView = ReturnType<typeof toChannelView>;

export type PutResult<V> =
  | {
      readonly kind: 'written';
      readonly created: boolean;
      readonly view: V;
      /** Names of the fields the write changed (for a create, those given): for the audit log. */
      readonly changes: string[];
    }
  | {
      readonly kind: 'planned';
      readonly action: 'create' | 'update' | 'unchanged';
      readonly changes: string[];
      /** The ETag the plan was made against (null for a create): send it as `If-Match` to apply it. */
      readonly etag: string | null;
    };

/** The secret field a signing channel type signs its requests with. */
const SIGNING_SECRET_FIELD = 'signingSecret';

/** The channel types with a signing secret (`webhook`). */
const SIGNING_TYPES: readonly string[] = CHANNEL_TYPE_NAMES.filter((name) =>
  Object.hasOwn(CHANNEL_TYPES[name]?.secretFields ?? {}, SIGNING_SECRET_FIELD),
);

/** A signing secret as stored: the current one, and those replaced that still sign for a while. */
const SigningSecrets = lazySchema(() =>
  WebhookSecret.pick({ signingSecret: true, previousSigningSecrets: true }),
);

/** `GET /v1/channels/{id}/signing-secret`. */
export interface SigningSecretView {
  readonly signingSecret: string;
  /** Replaced secrets still signing until `until` (only while one rotates). */
  readonly previous?: readonly { readonly signingSecret: string; readonly until: string }[];
}

/** `POST /v1/channels/{id}/test`'s optional body: `{"digest": true}` sends a sample digest. */
export const ChannelTestRequest = lazySchema(() => z.strictObject({ digest: z.boolean().optional() }));

/**
 * A digest of three test notifications, for a test-send that previews how the channel renders its
 * digests: the channel's current period (an hour ending now when it has no `digest`).
 */
const sampleDigest = (channel: ChannelRecord, event: HeraldEvent, now: Date): Digest => {
  const period =
    channel.digest === undefined
      ? { start: new Date(now.getTime() - 3_600_000), end: now }
      : digestPeriod(channel.digest, now);
  const entries = (['info', 'warning', 'info'] as const).map((severity, index) => ({
    eventId: `${event.id}_${index + 1}`,
    type: event.type,
    source: event.source,
    subject: `Test notification ${index + 1} of 3 to channel ${channel.id}`,
    severity,
    time: new Date(now.getTime() - (3 - index) * 60_000).toISOString(),
    deliveryId: `msg_test_${index + 1}`,
  }));
  return buildDigest(
    {
      digestId: `dgst_test_${newEventId()}`,
      channelId: channel.id,
      periodStart: period.start.toISOString(),
      periodEnd: period.end.toISOString(),
      timezone: channel.digest?.timezone ?? 'UTC',
    },
    entries,
  );
};

/** Admin operations on channels: CRUD with ETags, secrets kept apart, and test-sends. */
export class ChannelAdmin {
  constructor(private readonly deps: ChannelAdminDeps) {}

  async list(limit: number, nextToken: string | undefined): Promise<Page<ChannelView>> {
    const page = await this.deps.config.page('channel', ChannelRecord, limit, nextToken);
    return { ...page, items: page.items.map(toChannelView) };
  }

  async get(id: string): Promise<ChannelRecord> {
    const record = await this.deps.config.getChannel(id);
    if (record === undefined) throw notFound('channel', id);
    return record;
  }

  /**
   * Creates or replaces a channel. Secret fields left out keep their stored value (the type may
   * generate one, as a webhook's `signingSecret`); with `dryRun` nothing is written and the plan is
   * returned.
   */
  async put(request: AdminRequest, dryRun: boolean, now: Date): Promise<PutResult<ChannelView>> {
    const id = pathId(request);
    const input = parseBody(request, ChannelInput);
    assertBodyId(id, input.id);
    const type = channelType(input.type) as ChannelType;
    const config = input.config as Record<string, unknown>;
    const settings = type.settings.parse(pickSettings(type, config));
    const given = Object.fromEntries(
      Object.keys(type.secretFields).flatMap((field) =>
        config[field] === undefined ? [] : [[field, config[field]]],
      ),
    );
    const inlineGiven = Object.fromEntries(Object.entries(given).filter(([, value]) => !isSecretRef(value)));
    // Referenced values are read now: a target in a referenced secret is checked like an inline one.
    const referenced = await this.resolveRefs(given);
    const targets = type.targets(settings, { ...inlineGiven, ...referenced });
    await validateTargets(targets, this.deps.targets);
    const destinations = destinationsOf(targets);

    const current = await this.deps.config.getChannel(id);
    checkIfMatch(request, current?.version, 'channel', id);
    // A channel that changes type starts from no stored secrets.
    const kept = current?.type === input.type ? current : undefined;
    const stored: Record<string, unknown> =
      kept?.secretArn !== undefined && kept.inlineSecrets.length > 0
        ? ((await this.deps.secrets.read(kept.secretArn)) as Record<string, unknown>)
        : {};

    // A stored secret never follows the channel to a new destination unasked: it must be given again.
    const moved = kept?.destinations !== undefined && !sameJson(kept.destinations, destinations);
    const mustRepeat = moved
      ? type.targetBoundSecrets.filter(
          (field) =>
            given[field] === undefined &&
            (kept?.secretRefs[field] !== undefined || kept?.inlineSecrets.includes(field)),
        )
      : [];
    if (mustRepeat.length > 0) {
      throw new ValidationError(
        'invalid_request',
        'the channel sends somewhere new: give its secrets again',
        mustRepeat.map((field) => ({
          path: `config.${field}`,
          message: `the target changed, so the stored ${field} is not kept: give it again`,
        })),
      );
    }

    const inline: Record<string, unknown> = {};
    const refs: Record<string, SecretRef> = {};
    for (const field of Object.keys(type.secretFields)) {
      const value = given[field];
      const keptRef = kept?.secretRefs[field];
      if (isSecretRef(value)) refs[field] = value;
      else if (value !== undefined) inline[field] = value;
      else if (keptRef !== undefined) refs[field] = keptRef;
      else if (kept?.inlineSecrets.includes(field)) inline[field] = stored[field];
    }
    const secretValue = type.prepareSecrets(inline, stored, now, new Set(Object.keys(refs)));
    const inlineFields = Object.keys(type.secretFields).filter((field) => secretValue[field] !== undefined);

    const next = {
      type: input.type,
      enabled: input.enabled,
      description: input.description,
      events: input.events,
      retry: input.retry,
      rateLimit: input.rateLimit,
      digest: input.digest,
      template: input.template,
    };
    // What changes, by name only (dry-run plans and the audit log); a create names the fields given.
    const changes =
      current === undefined
        ? givenFieldNames(request, ['config'])
        : [
            ...(
              [
                'type',
                'enabled',
                'description',
                'events',
                'retry',
                'rateLimit',
                'digest',
                'template',
              ] as const
            ).filter((key) => !sameJson(next[key], current[key])),
            ...[...new Set([...Object.keys(settings), ...Object.keys(current.settings)])]
              .filter((key) => !sameJson(settings[key], current.settings[key]))
              .map((key) => `config.${key}`),
            ...Object.keys(type.secretFields)
              .filter(
                (field) =>
                  !sameJson(refs[field], kept?.secretRefs[field]) ||
                  !sameJson(
                    secretValue[field],
                    kept?.inlineSecrets.includes(field) ? stored[field] : undefined,
                  ),
              )
              .map((field) => `config.${field}`),
          ];
    if (dryRun) {
      if (current === undefined) return { kind: 'planned', action: 'create', changes: [], etag: null };
      return {
        kind: 'planned',
        action: changes.length > 0 ? 'update' : 'unchanged',
        changes,
        etag: etagOf(current.version),
      };
    }

    // The record is written first, conditionally: a refused write (412) changes no secret. The secret
    // follows; a delivery that reads the record in between and cannot read the secret yet is an attempt
    // that is retried.
    const secretName = `${this.deps.secretPrefix}${id}`;
    // With no inline field left, Herald's secret for the channel goes (after the record is written).
    const secretArn = inlineFields.length > 0 ? (current?.secretArn ?? secretName) : undefined;
    const record: ChannelRecord = {
      id,
      type: input.type,
      enabled: next.enabled,
      settings,
      target: type.summary(settings, secretValue),
      destinations,
      inlineSecrets: inlineFields,
      secretRefs: refs,
      createdAt: current?.createdAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
      version: (current?.version ?? 0) + 1,
      ...(secretArn === undefined ? {} : { secretArn }),
      ...(next.description === undefined ? {} : { description: next.description }),
      ...(next.events === undefined ? {} : { events: next.events }),
      ...(next.retry === undefined ? {} : { retry: next.retry }),
      ...(next.rateLimit === undefined ? {} : { rateLimit: next.rateLimit }),
      ...(next.digest === undefined ? {} : { digest: next.digest }),
      ...(next.template === undefined ? {} : { template: next.template }),
    };
    await this.deps.config.putVersioned('channel', record, current?.version);
    if (inlineFields.length > 0) await this.deps.secrets.write(secretName, secretValue, id);
    else if (current?.secretArn !== undefined) await this.deps.secrets.remove(current.secretArn);
    // Last: functions that see the new generation drop their caches and read record and secret anew.
    await this.deps.config.bumpGeneration({ kind: 'channel', id });
    // A changed or removed digest sends what its open periods hold now, under the settings they had.
    if (current?.digest !== undefined && !sameJson(current.digest, next.digest)) {
      await this.deps.digests.flushChannel(id, now);
    }
    return { kind: 'written', created: current === undefined, view: toChannelView(record), changes };
  }

  /**
   * A signing channel's signing secret, for its receiver to verify with (Svix-style): the one secret
   * read that returns a value, so the admin API audits it (`audit.ts`). `previous` lists replaced
   * secrets that still sign during their grace period. 404 for an unknown channel, 400 for a type that
   * signs nothing; a referenced secret that cannot be read, or a stored value that is not a signing
   * secret, is a 409 naming the reference (never the value).
   */
  async signingSecret(id: string, now: Date): Promise<SigningSecretView> {
    const record = await this.get(id);
    if (!SIGNING_TYPES.includes(record.type)) {
      throw new HttpError(
        400,
        'no_signing_secret',
        `channel ${id} is a ${record.type} channel, which has no signing secret (only ${SIGNING_TYPES.join(', ')} channels do)`,
      );
    }
    const ref = record.secretRefs[SIGNING_SECRET_FIELD];
    const unreadable = (cause?: unknown) =>
      new HttpError(
        409,
        'signing_secret_unreadable',
        ref === undefined
          ? `channel ${id} has no readable signing secret: put the channel again to generate one`
          : `channel ${id}'s signing secret cannot be read from ${ref.secretRef} (key ${ref.key})`,
        undefined,
        { cause },
      );
    // Only the signing secret's own sources are read: a broken reference elsewhere does not matter here.
    let values: Record<string, unknown>;
    try {
      values = await readChannelSecrets(
        {
          secretArn: record.secretArn,
          inlineSecrets: record.inlineSecrets.filter((field) => field === SIGNING_SECRET_FIELD),
          secretRefs: ref === undefined ? {} : { [SIGNING_SECRET_FIELD]: ref },
        },
        this.deps.secrets.read,
      );
    } catch (cause) {
      // Herald's own secret failing to read is a fault here (500); the user's reference, theirs to fix.
      if (ref === undefined) throw cause;
      throw unreadable(cause);
    }
    // Parsed without keeping zod's issues: they could quote the value.
    const parsed = SigningSecrets.safeParse(values);
    if (!parsed.success) throw unreadable();
    const previous = (ref === undefined ? parsed.data.previousSigningSecrets : [])
      .filter((entry) => Date.parse(entry.until) > now.getTime())
      .map((entry) => ({ signingSecret: entry.secret, until: entry.until }));
    return {
      signingSecret: parsed.data.signingSecret,
      ...(previous.length === 0 ? {} : { previous }),
    };
  }

  /**
   * Reads the values of the secret fields given as references, for the save-time target checks. A
   * reference into Herald's own channel secrets is refused (a channel cannot borrow another's secret);
   * one that cannot be read is a 400 naming the field.
   */
  private async resolveRefs(given: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
    const values: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(given)) {
      if (!isSecretRef(value)) continue;
      const refuse = (message: string) =>
        new ValidationError('invalid_request', 'a secret reference is not usable', [
          { path: `config.${field}`, message },
        ]);
      const prefix = this.deps.secretPrefix;
      if (value.secretRef.startsWith(prefix) || value.secretRef.includes(`:secret:${prefix}`)) {
        throw refuse(`${value.secretRef} is one of Herald's own channel secrets: reference a secret you own`);
      }
      let secret: unknown;
      try {
        secret = await this.deps.secrets.read(value.secretRef);
      } catch (error) {
        const reason = error instanceof Error ? error.name : 'error';
        throw refuse(`${value.secretRef} cannot be read (${reason})`);
      }
      const entry =
        typeof secret === 'object' && secret !== null
          ? (secret as Record<string, unknown>)[value.key]
          : undefined;
      if (entry === undefined) throw refuse(`${value.secretRef} has no key ${value.key}`);
      values[field] = entry;
    }
    return values;
  }

  async delete(request: AdminRequest): Promise<void> {
    const id = pathId(request);
    const current = await this.get(id);
    checkIfMatch(request, current.version, 'channel', id);
    await this.deps.config.deleteVersioned('channel', id, current.version);
    if (current.secretArn !== undefined) await this.deps.secrets.remove(current.secretArn);
    await this.deps.config.bumpGeneration({ kind: 'channel', id });
  }

  /**
   * Sends a `herald.test` event through the same channel code the deliver function uses, records the
   * attempt, and reports what happened (with `messageId` when the service answered one: SNS and SQS
   * `MessageId`, EventBridge `EventId`). With `digest`, sends a sample digest of three test events
   * instead, rendered as the channel's digests are (a preview; 400 for a type that takes none). Never
   * throws for a failed send.
   */
  async test(id: string, now: Date, options: { readonly digest?: boolean } = {}) {
    const channel = await this.get(id);
    const event: HeraldEvent = {
      id: `test_${newEventId()}`,
      type: 'herald.test',
      source: 'herald',
      time: now.toISOString(),
      subject: `Test notification to channel ${id}`,
      severity: 'info',
      attributes: {},
      data: { test: true },
    };
    if (options.digest === true && channelType(channel.type)?.digests !== true) {
      throw new ValidationError('invalid_request', 'this channel type takes no digest', [
        { path: 'digest', message: `the ${channel.type} channel type takes no digest` },
      ]);
    }
    const what: Sendable =
      options.digest === true ? { digest: sampleDigest(channel, event, now) } : { event };
    const deliveryId = 'digest' in what ? what.digest.digestId : `msg_test_${newEventId()}`;
    const start = await this.deps.state.beginAttempt(
      deliveryId,
      { eventId: event.id, channelId: id, eventType: event.type },
      now,
    );
    const { attempt, seq } = start.kind === 'started' ? start : { attempt: 1, seq: 1 };
    const { result, record } = await attemptDelivery(
      channel,
      what,
      { deliveryId, attempt, channelId: id, policyIds: [] },
      seq,
      {
        recordAttempt: (record, at) => this.deps.state.recordAttempt(record, at),
        readSecret: this.deps.secrets.read,
        transports: this.deps.transports,
      },
      () => new Date(),
    );
    const { outcome, latencyMs } = result;
    const error = outcome.kind === 'delivered' ? null : outcome.error;
    // A failed test-send is `failed`, not dead: it is no dead letter, and no redrive sends it again.
    const ref = { deliveryId, channelId: id, eventType: event.type };
    // A test-send's id is new: its attempt began without a write, and this one creates its record.
    const unrecorded =
      start.kind === 'started' && start.fresh ? { eventId: event.id, startedAt: now } : undefined;
    if (error === null) await this.deps.state.markDelivered(ref, new Date(), record, unrecorded);
    else await this.deps.state.markFailed(ref, `test-send failed: ${error}`, new Date(), unrecorded);
    return {
      ok: error === null,
      status: outcome.status ?? null,
      latencyMs,
      error,
      // The id the service gave the message (SNS, SQS, EventBridge), when it answered one.
      ...(result.messageId === undefined ? {} : { messageId: result.messageId }),
    };
  }
}
