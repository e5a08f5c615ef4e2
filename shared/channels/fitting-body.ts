/**
 * The webhook body (the envelope plus `herald`) made to fit a service's message limit: what the `sns`,
 * `sqs` and `eventbridge` channels send.
 */
import { type HeraldEvent, jsonBytes } from '../domain/event.ts';
import type { StoredTemplate } from './record.ts';
import { renderTemplate, type TemplateDelivery } from './template.ts';
import { largestFitting, oneLine, truncate } from './text.ts';
import type { DeliveryContext } from './types.ts';
import { webhookBody } from './webhook/index.ts';

/** A templated subject is cut to the envelope's own subject limit (SPEC §1). */
export const MAX_ENVELOPE_SUBJECT_CHARS = 256;

/**
 * The envelope's subject and the `herald.text` a channel's template makes of the event: the event's
 * own subject, and no text, without one.
 */
export const templatedEnvelope = (
  event: HeraldEvent,
  herald: TemplateDelivery,
  template: StoredTemplate | undefined,
): { subject: string; text: string | undefined } => ({
  subject:
    template?.subject === undefined
      ? event.subject
      : truncate(
          oneLine(renderTemplate(template.subject, event, herald, 'text')),
          MAX_ENVELOPE_SUBJECT_CHARS,
        ),
  text: template?.text === undefined ? undefined : renderTemplate(template.text, event, herald, 'text'),
});

/** A JSON object standing in for `data` that did not fit. */
const truncatedData = (data: unknown) => ({ truncated: true, bytes: jsonBytes(data) });

/**
 * The webhook body, made to fit in `maxBytes`: whole when it fits; else with `data` replaced by
 * `{"truncated": true, "bytes": <size of data as JSON>}`; and when a text template quoting `data`
 * still does not fit, with `herald.text` cut to the longest prefix that does. `encode` rewrites the
 * JSON for the service (escapes that read back the same); the size is measured after it.
 */
export const fittingBody = (
  event: HeraldEvent,
  context: DeliveryContext,
  text: string | undefined,
  maxBytes: number,
  encode: (json: string) => string = (json) => json,
): string => {
  const body = (e: HeraldEvent, t: string | undefined) => encode(webhookBody(e, context, t));
  const fits = (json: string) => Buffer.byteLength(json) <= maxBytes;
  const whole = body(event, text);
  if (fits(whole)) return whole;
  const cut = event.data === undefined ? event : { ...event, data: truncatedData(event.data) };
  const withoutData = body(cut, text);
  if (text === undefined || fits(withoutData)) return withoutData;
  // The longest cut of the text that fits (an empty text always does: the envelope without data is
  // bounded far below the limit).
  return body(
    cut,
    truncate(
      text,
      largestFitting(text.length - 1, (n) => fits(body(cut, truncate(text, n)))),
    ),
  );
};
