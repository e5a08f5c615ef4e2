import * as z from 'zod';
import { type AttemptOutcome, classifyError, classifyResponse } from '../domain/outcome.ts';
import { HERALD_VERSION } from '../domain/version.ts';
import type { SafeRequest, SafeResponse } from '../http/safe-request.ts';
import { truncate } from './text.ts';
import type { AttemptResult, Target, Transports } from './types.ts';

export const USER_AGENT = `Herald/${HERALD_VERSION}`;

/**
 * A target URL field. `http://` passes the schema so local stacks can reach local receivers; the
 * save-time and connect-time checks refuse it (and private addresses) unless private targets are allowed.
 */
export const HttpsUrl = (field: string) =>
  z.url({ protocol: /^https?$/, message: `${field} must be an https:// URL` }).max(2048);

/**
 * The host of a target URL for a channel's summary (never its path or query, which may hold the
 * secret); `referenced` when the URL is in a referenced secret the summary cannot see.
 */
export const urlHost = (url: unknown, referenced: string): string => {
  if (typeof url !== 'string') return referenced;
  try {
    return new URL(url).host;
  } catch {
    return '?';
  }
};

/** The save-time check of a target URL kept in a secret field, when its value is at hand. */
export const secretUrlTarget = (field: string, secrets: Partial<Record<string, unknown>>): Target[] => {
  const url = secrets[field];
  return typeof url === 'string' ? [{ kind: 'url', path: `config.${field}`, url }] : [];
};

/** How long provider text quoted in a reason may be. */
const DETAIL_CHARS = 200;

/** The first characters of a response body, on one line, for a reason. */
export const bodyDetail = (response: SafeResponse): string =>
  truncate(response.bodySnippet.replace(/\s+/g, ' ').trim(), DETAIL_CHARS);

/**
 * Refines the generic classification with what a provider says in its body (Slack's `no_service`,
 * Discord's `retry_after`). Gets the generic outcome and returns the one to record.
 */
export type RefineOutcome = (outcome: AttemptOutcome, response: SafeResponse) => AttemptOutcome;

/** Adds the provider's words to a failed or retried outcome's reason. */
export const withBodyDetail: RefineOutcome = (outcome, response) => {
  const detail = bodyDetail(response);
  if (outcome.kind === 'delivered' || detail === '') return outcome;
  return { ...outcome, error: `${outcome.error}: ${detail}` };
};

/** Sends one HTTP request through the transport and classifies the answer (SPEC §5); never throws. */
export const sendHttp = async (
  request: SafeRequest,
  transports: Pick<Transports, 'http'>,
  refine: RefineOutcome = (outcome) => outcome,
): Promise<AttemptResult> => {
  const started = performance.now();
  try {
    const response = await transports.http(request);
    const outcome = refine(classifyResponse(response.status, response.headers, new Date()), response);
    return { outcome, latencyMs: elapsed(started) };
  } catch (error) {
    return { outcome: classifyError(error), latencyMs: elapsed(started) };
  }
};

/** What a send reports besides its outcome: the id the service gave the message. */
export interface Sent {
  readonly outcome: AttemptOutcome;
  readonly messageId?: string;
}

/**
 * Runs a send that throws on failure, timing it and classifying what it threw. The send returns its
 * outcome, or the outcome with the id the service answered ({@link Sent}).
 */
export const timed = async (
  send: () => Promise<AttemptOutcome | Sent>,
  classify: (error: unknown) => AttemptOutcome,
): Promise<AttemptResult> => {
  const started = performance.now();
  try {
    const sent = await send();
    if ('kind' in sent) return { outcome: sent, latencyMs: elapsed(started) };
    const { outcome, messageId } = sent;
    return {
      outcome,
      latencyMs: elapsed(started),
      ...(messageId === undefined || messageId === '' ? {} : { messageId }),
    };
  } catch (error) {
    return { outcome: classify(error), latencyMs: elapsed(started) };
  }
};

const elapsed = (started: number): number => Math.round(performance.now() - started);

/** A JSON POST with Herald's user agent, as chat and incident providers take it. */
export const jsonPost = (url: string, payload: unknown, timeoutMs: number): SafeRequest => ({
  url,
  method: 'POST',
  timeoutMs,
  body: JSON.stringify(payload),
  headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT },
});
