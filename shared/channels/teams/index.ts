/**
 * `teams`: an Adaptive Card posted to a Microsoft Teams channel through a Workflows ("Send webhook
 * alerts to a channel", Power Automate) webhook or a legacy Office 365 incoming webhook (SPEC §3).
 * The card has no mentions (no `msteams.entities`), so nothing in an event can ping anyone.
 *
 * Limits: Teams refuses messages over 28 KB ("Limits and specifications for Teams"; the incoming
 * webhook docs repeat it); Teams renders Adaptive Cards up to schema 1.5, Herald writes 1.4.
 */
import * as z from 'zod';
import type { AttemptOutcome } from '../../domain/outcome.ts';
import type { SafeResponse } from '../../http/safe-request.ts';
import { lazySchema } from '../../runtime/lazy-schema.ts';
import { HttpsUrl, jsonPost, secretUrlTarget, sendHttp, urlHost } from '../http.ts';
import { TimeoutMs } from '../record.ts';
import { renderTemplate } from '../template.ts';
import { truncate } from '../text.ts';
import { defineChannelType, type RenderInput } from '../types.ts';
import { heraldFields } from '../webhook/index.ts';
import { cardContent, type TeamsPayload, teamsPayload } from './card.ts';

export {
  ADAPTIVE_CARD_CONTENT_TYPE,
  ADAPTIVE_CARD_SCHEMA,
  type AdaptiveCard,
  type CardElement,
  escapeMarkdown,
  MAX_PAYLOAD_BYTES,
  type TeamsPayload,
} from './card.ts';

const WebhookUrl = lazySchema(() => HttpsUrl('webhookUrl'));

/** Public settings of a Teams channel, kept in the config table. */
export const TeamsSettings = lazySchema(() =>
  z.strictObject({
    timeoutMs: TimeoutMs,
  }),
);
export type TeamsSettings = z.infer<typeof TeamsSettings>;

/** The resolved secret: the Workflows or incoming webhook URL (its `sig` query is the credential). */
export const TeamsSecrets = lazySchema(() => z.object({ webhookUrl: WebhookUrl }));
export type TeamsSecrets = z.infer<typeof TeamsSecrets>;

/** What one attempt posts: the card message and where to. */
export interface TeamsMessage {
  readonly url: string;
  readonly payload: TeamsPayload;
}

/** Builds the card for one attempt, with the channel's subject and text templates when it has them. */
export const renderTeams = ({
  event,
  context,
  secrets,
  template,
}: RenderInput<TeamsSettings, TeamsSecrets>): TeamsMessage => {
  const herald = heraldFields(context);
  const subject =
    template?.subject === undefined ? undefined : renderTemplate(template.subject, event, herald, 'text');
  const text =
    template?.text === undefined ? undefined : renderTemplate(template.text, event, herald, 'text');
  return { url: secrets.webhookUrl, payload: teamsPayload(cardContent(event, subject, text)) };
};

/**
 * A legacy incoming webhook answers 200 and puts Teams' own failure in the body ("Webhook message
 * delivery failed with error: Microsoft Teams endpoint returned HTTP error 413 with ContextId …").
 */
const EMBEDDED_ERROR =
  /^\s*(?:Webhook message delivery failed|Microsoft Teams endpoint returned HTTP error)/i;
const EMBEDDED_STATUS = /returned HTTP error (\d{3})/i;
/** How much of Teams' answer a reason quotes (as `bodyDetail` does). */
const DETAIL_CHARS = 200;

/**
 * Teams' words for a reason: URLs cut to their host first (so a `sig` echoed back never reaches a
 * reason), without the ContextId trailer of legacy webhook errors, on one line, cut to length.
 */
const teamsDetail = (response: SafeResponse): string =>
  truncate(
    response.bodySnippet
      .replace(/https?:\/\/([^\s/?#"'<>]+)[^\s"'<>]*/gi, '$1/…')
      .replace(/\s+with ContextId\b[\s\S]*$/i, '')
      .replace(/\s+/g, ' ')
      .trim(),
    DETAIL_CHARS,
  );

const withDetail = (outcome: AttemptOutcome, response: SafeResponse): AttemptOutcome => {
  const detail = teamsDetail(response);
  if (outcome.kind === 'delivered' || detail === '') return outcome;
  return { ...outcome, error: `${outcome.error}: ${detail}` };
};

/**
 * Refines the generic classification with what Teams says: an error inside a 2xx body (retried when
 * it names 429 or 5xx, failed otherwise), a deleted workflow or webhook (404, 410) as gone, and
 * Teams' words in every other failure.
 */
export const classifyTeams = (outcome: AttemptOutcome, response: SafeResponse): AttemptOutcome => {
  if (outcome.kind === 'delivered') {
    if (!EMBEDDED_ERROR.test(response.bodySnippet)) return outcome;
    const embedded = Number(EMBEDDED_STATUS.exec(response.bodySnippet)?.[1] ?? 0);
    const error = `Teams answered ${response.status} but reported a failure`;
    return embedded === 429 || embedded >= 500
      ? withDetail({ kind: 'retry', status: response.status, error }, response)
      : withDetail({ kind: 'failed', status: response.status, error }, response);
  }
  if (response.status === 404 || response.status === 410) {
    // A deleted workflow or webhook disables the channel as a 410 does (SPEC §5).
    return withDetail(
      {
        kind: 'gone',
        status: response.status,
        error: `Teams answered ${response.status}: the workflow or webhook no longer exists`,
      },
      response,
    );
  }
  return withDetail(outcome, response);
};

/** The webhook's host (`prod-12.westus.logic.azure.com`, `contoso.webhook.office.com`): never the path. */

export const teams = defineChannelType({
  type: 'teams',
  settings: TeamsSettings,
  secretFields: { webhookUrl: WebhookUrl },
  secrets: TeamsSecrets,
  templateParts: ['subject', 'text'],
  example: {
    webhookUrl:
      'https://prod-12.westus.logic.azure.com:443/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=example-signature-0123456789',
    timeoutMs: 10_000,
  },
  targets: (_settings, secrets) => secretUrlTarget('webhookUrl', secrets),
  summary: (_settings, secrets) => urlHost(secrets.webhookUrl, 'webhookUrl in a referenced secret'),
  render: renderTeams,
  renderDigest: (input, digests) => digests.renderTeamsDigest(input),
  send: (message, transports, settings) =>
    sendHttp(jsonPost(message.url, message.payload, settings.timeoutMs), transports, classifyTeams),
});
