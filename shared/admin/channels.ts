import type { ConfigRepository, Page } from '../aws/config-repository.ts';
import type { StateRepository } from '../aws/state-repository.ts';
import {
  ChannelInput,
  ChannelRecord,
  type InlineSecrets,
  isSecretRef,
  newSigningSecret,
  rotateSigningSecrets,
  SECRET_FIELDS,
  type SecretField,
  type SecretRef,
  type SecretStore,
} from '../channel.ts';
import { InvalidChannelSecretError, sendToChannel } from '../channels/send.ts';
import type { HeraldEvent } from '../event.ts';
import type { SafeRequestOptions } from '../http/safe-request.ts';
import { newEventId } from '../ids.ts';
import {
  type AdminRequest,
  assertBodyId,
  checkIfMatch,
  etagOf,
  notFound,
  parseBody,
  pathId,
  sameJson,
} from './request.ts';
import { validateTargetUrl } from './targets.ts';

/** What recording a test-send needs of the state table. */
export type AttemptRecorder = Pick<
  StateRepository,
  'beginAttempt' | 'recordAttempt' | 'markDelivered' | 'markDead'
>;

export interface ChannelAdminDeps {
  readonly config: ConfigRepository;
  readonly secrets: SecretStore;
  readonly state: AttemptRecorder;
  readonly secretPrefix: string;
  readonly http: SafeRequestOptions;
}

/** A secret field as reads show it: never the value. */
type SecretFieldView = { configured: true } | SecretRef;

/** A channel as the admin API returns it (SPEC §3: secret fields show `configured: true`). */
export const toChannelView = (record: ChannelRecord) => {
  const secretFields: Partial<Record<SecretField, SecretFieldView>> = {};
  for (const field of SECRET_FIELDS) {
    const ref = record.secretRefs[field];
    if (ref !== undefined) secretFields[field] = ref;
    else if (record.inlineSecrets.includes(field)) secretFields[field] = { configured: true };
  }
  return {
    id: record.id,
    type: record.type,
    enabled: record.enabled,
    ...(record.description === undefined ? {} : { description: record.description }),
    ...(record.events === undefined ? {} : { events: record.events }),
    ...(record.retry === undefined ? {} : { retry: record.retry }),
    ...(record.disabledReason === undefined ? {} : { disabledReason: record.disabledReason }),
    config: { ...record.settings, ...secretFields },
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    etag: etagOf(record.version),
  };
};
export type ChannelView = ReturnType<typeof toChannelView>;

export type PutResult<V> =
  | { readonly kind: 'written'; readonly created: boolean; readonly view: V }
  | {
      readonly kind: 'planned';
      readonly action: 'create' | 'update' | 'unchanged';
      readonly changes: string[];
      /** The ETag the plan was made against (null for a create): send it as `If-Match` to apply it. */
      readonly etag: string | null;
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
   * Creates or replaces a channel. Secret fields left out keep their stored value (a new channel gets
   * a generated `signingSecret`); with `dryRun` nothing is written and the plan is returned.
   */
  async put(request: AdminRequest, dryRun: boolean, now: Date): Promise<PutResult<ChannelView>> {
    const id = pathId(request);
    const input = parseBody(request, ChannelInput);
    assertBodyId(id, input.id);
    if (typeof input.config.url === 'string') {
      await validateTargetUrl(input.config.url, 'config.url', this.deps.http.allowPrivateTargets);
    }
    const current = await this.deps.config.getChannel(id);
    checkIfMatch(request, current?.version, 'channel', id);

    const currentInline: InlineSecrets =
      current?.secretArn !== undefined && current.inlineSecrets.length > 0
        ? ((await this.deps.secrets.read(current.secretArn)) as InlineSecrets)
        : {};
    const inline: InlineSecrets = {};
    const refs: Partial<Record<SecretField, SecretRef>> = {};
    for (const field of SECRET_FIELDS) {
      const given = input.config[field];
      if (isSecretRef(given)) refs[field] = given;
      else if (given !== undefined) inline[field] = given;
      else if (current?.secretRefs[field] !== undefined) refs[field] = current.secretRefs[field];
      else if (current?.inlineSecrets.includes(field)) inline[field] = currentInline[field];
      else if (field === 'signingSecret') inline[field] = newSigningSecret();
    }

    const next = {
      enabled: input.enabled,
      description: input.description,
      events: input.events,
      retry: input.retry,
      settings: { method: input.config.method, timeoutMs: input.config.timeoutMs },
    };
    if (dryRun) {
      if (current === undefined) return { kind: 'planned', action: 'create', changes: [], etag: null };
      const changes = [
        ...(['enabled', 'description', 'events', 'retry'] as const).filter(
          (key) => !sameJson(next[key], current[key]),
        ),
        ...(['method', 'timeoutMs'] as const)
          .filter((key) => next.settings[key] !== current.settings[key])
          .map((key) => `config.${key}`),
        ...SECRET_FIELDS.filter(
          (field) =>
            !sameJson(refs[field], current.secretRefs[field]) ||
            !sameJson(
              inline[field],
              current.inlineSecrets.includes(field) ? currentInline[field] : undefined,
            ),
        ).map((field) => `config.${field}`),
      ];
      return {
        kind: 'planned',
        action: changes.length > 0 ? 'update' : 'unchanged',
        changes,
        etag: etagOf(current.version),
      };
    }

    const inlineFields = SECRET_FIELDS.filter((field) => inline[field] !== undefined);
    // The record is written first, conditionally: a refused write (412) changes no secret. The secret
    // follows; a delivery that reads the record in between and cannot read the secret yet is an attempt
    // that is retried.
    const secretArn =
      inlineFields.length > 0 ? (current?.secretArn ?? `${this.deps.secretPrefix}${id}`) : current?.secretArn;
    const record: ChannelRecord = {
      id,
      type: input.type,
      enabled: next.enabled,
      settings: next.settings,
      inlineSecrets: inlineFields,
      secretRefs: refs,
      createdAt: current?.createdAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
      version: (current?.version ?? 0) + 1,
      ...(secretArn === undefined ? {} : { secretArn }),
      ...(next.description === undefined ? {} : { description: next.description }),
      ...(next.events === undefined ? {} : { events: next.events }),
      ...(next.retry === undefined ? {} : { retry: next.retry }),
    };
    await this.deps.config.putVersioned('channel', record, current?.version);
    if (inlineFields.length > 0) {
      const previousSigningSecrets = rotateSigningSecrets(
        current?.inlineSecrets.includes('signingSecret') ? currentInline.signingSecret : undefined,
        inline.signingSecret,
        (currentInline as Record<string, unknown>).previousSigningSecrets,
        now,
      );
      await this.deps.secrets.write(`${this.deps.secretPrefix}${id}`, { ...inline, previousSigningSecrets });
    }
    return { kind: 'written', created: current === undefined, view: toChannelView(record) };
  }

  async delete(request: AdminRequest): Promise<void> {
    const id = pathId(request);
    const current = await this.get(id);
    checkIfMatch(request, current.version, 'channel', id);
    await this.deps.config.deleteVersioned('channel', id, current.version);
    if (current.secretArn !== undefined) await this.deps.secrets.remove(current.secretArn);
  }

  /**
   * Sends a `herald.test` event through the same channel code the deliver function uses, records the
   * attempt, and reports what happened. Never throws for a failed send.
   */
  async test(id: string, now: Date) {
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
    const deliveryId = `msg_test_${newEventId()}`;
    const start = await this.deps.state.beginAttempt(deliveryId, { eventId: event.id, channelId: id }, now);
    const { attempt, seq } = start.kind === 'started' ? start : { attempt: 1, seq: 1 };
    let status: number | null = null;
    let latencyMs = 0;
    let error: string | null = null;
    let outcome = 'failed';
    try {
      const result = await sendToChannel(
        channel,
        event,
        { deliveryId, attempt, channelId: id, policyIds: [] },
        { readSecret: this.deps.secrets.read, http: this.deps.http, now },
      );
      latencyMs = result.latencyMs;
      status = result.outcome.status ?? null;
      error = 'error' in result.outcome ? result.outcome.error : null;
      outcome = result.outcome.kind;
    } catch (cause) {
      // Secrets missing, unreadable or invalid: reported, not thrown.
      error =
        cause instanceof InvalidChannelSecretError
          ? cause.message
          : `could not prepare the delivery: ${String(cause instanceof Error ? cause.message : cause)}`;
    }
    await this.deps.state.recordAttempt(
      {
        deliveryId,
        attempt,
        seq,
        at: now.toISOString(),
        outcome,
        latencyMs,
        ...(status === null ? {} : { httpStatus: status }),
        ...(error === null ? {} : { error }),
      },
      new Date(),
    );
    if (error === null) await this.deps.state.markDelivered(deliveryId, new Date());
    else await this.deps.state.markDead(deliveryId, `test-send failed: ${error}`, new Date());
    return { ok: error === null, status, latencyMs, error };
  }
}
