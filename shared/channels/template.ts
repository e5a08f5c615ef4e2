/**
 * Channel templates (SPEC §3 `template`): logic-less mustache over the event envelope, checked when a
 * channel is saved so that sending never meets a template error.
 *
 * - `subject` and `text` render as plain text; each channel type escapes the result for where it lands.
 * - `body` (webhook only) renders JSON: `{{name}}` inserts the value escaped for use inside a JSON
 *   string, `{{{name}}}` inserts it as a JSON value (`"text"`, `42`, `{"a":1}`, `null` when absent).
 */
import Mustache from 'mustache';
import * as z from 'zod';
import type { HeraldEvent } from '../domain/event.ts';
import { lazySchema } from '../runtime/lazy-schema.ts';
import { truncate } from './text.ts';

/** The names a template may use: the envelope, and the delivery fields webhook bodies carry. */
const ENVELOPE_FIELDS = new Set(['id', 'type', 'source', 'time', 'subject', 'severity']);
const HERALD_FIELDS = new Set(['deliveryId', 'attempt', 'channel', 'policy']);

/**
 * Names that would reach inherited members instead of event data (mustache looks names up with `in`
 * and calls functions it finds): refused, so a template can never throw or call into the runtime.
 */
const INHERITED = new Set(
  [
    '__proto__',
    'prototype',
    ...Object.getOwnPropertyNames(Object.prototype),
    ...Object.getOwnPropertyNames(Array.prototype),
  ].filter((name) => name !== 'length'),
);

/** Why a name is not allowed, or undefined when it is. */
const nameProblem = (name: string): string | undefined => {
  if (name === '.') return undefined;
  const [root = '', ...rest] = name.split('.');
  const inherited = rest.find((segment) => INHERITED.has(segment));
  if (inherited !== undefined) return `{{${name}}}: ${inherited} is not a field Herald can read`;
  if (ENVELOPE_FIELDS.has(root)) return rest.length === 0 ? undefined : `${root} has no fields`;
  if (root === 'attributes') return rest.length <= 1 ? undefined : 'attributes are flat: attributes.<name>';
  if (root === 'data') return undefined;
  if (root === 'herald') {
    const [field] = rest;
    return rest.length === 0 || (rest.length === 1 && field !== undefined && HERALD_FIELDS.has(field))
      ? undefined
      : `herald has ${[...HERALD_FIELDS].join(', ')}`;
  }
  return `{{${name}}} is not a field of the event envelope`;
};

type Spans = ReturnType<typeof Mustache.parse>;

/**
 * Problems with a template: names outside the envelope (at the top level; names inside a section are
 * read relative to it) and partials, which Herald does not have.
 */
const templateProblems = (spans: Spans, nested: boolean): string[] => {
  const problems: string[] = [];
  for (const span of spans) {
    const [kind, name] = span;
    if (kind === '>') problems.push(`partials ({{> ${name}}}) are not supported`);
    if ((kind === 'name' || kind === '&' || kind === '#' || kind === '^') && !nested) {
      const problem = nameProblem(name);
      if (problem !== undefined) problems.push(problem);
    }
    const children = span[4];
    if ((kind === '#' || kind === '^') && Array.isArray(children)) {
      problems.push(...templateProblems(children, true));
    }
  }
  return problems;
};

/** Parses a template; returns the problems found (compile errors included). */
export const checkTemplate = (template: string): string[] => {
  try {
    return templateProblems(Mustache.parse(template), false);
  } catch (error) {
    return [`does not compile: ${error instanceof Error ? error.message : String(error)}`];
  }
};

/** A sample event for checking that a body template renders valid JSON. */
const SAMPLE_EVENT: HeraldEvent = {
  id: '01JSAMPLE0000000000000000',
  type: 'sample.event',
  source: 'sample',
  time: '2026-01-01T00:00:00.000Z',
  subject: 'A "sample" event\\ with\nodd characters',
  severity: 'warning',
  attributes: { environment: 'production' },
  data: { text: 'quote " backslash \\', number: 1, list: [1, 2] },
};
const SAMPLE_HERALD = { deliveryId: 'msg_sample', attempt: 1, channel: 'sample', policy: 'sample' };

/** A template of at most `max` characters, refused (with its problems) when it does not check. */
export const TemplateText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((template, ctx) => {
      for (const message of checkTemplate(template)) ctx.addIssue({ code: 'custom', message });
    });

/** A channel's `template` (SPEC §3). Whether `body` is allowed is the channel type's call. */
export const ChannelTemplate = lazySchema(() =>
  z
    .strictObject({
      subject: TemplateText(1024).optional(),
      text: TemplateText(8192).optional(),
      body: TemplateText(65_536)
        .superRefine((template, ctx) => {
          if (checkTemplate(template).length > 0) return;
          const rendered = renderTemplate(template, SAMPLE_EVENT, SAMPLE_HERALD, 'json');
          try {
            JSON.parse(rendered);
          } catch (error) {
            ctx.addIssue({
              code: 'custom',
              message: `does not render valid JSON for a sample event: ${error instanceof Error ? error.message : String(error)}`,
            });
          }
        })
        .optional(),
    })
    .refine((template) => Object.keys(template).length > 0, 'give at least one of subject, text, body'),
);
export type ChannelTemplate = z.infer<typeof ChannelTemplate>;

/** The delivery fields a template can name under `herald`. */
export interface TemplateDelivery {
  readonly deliveryId: string;
  readonly attempt: number;
  readonly channel: string;
  readonly policy: string | null;
}

const asText = (value: unknown): string =>
  typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);

/** The most a template may insert in one rendering: a body of 1,000 `{{data}}` cannot fill the memory. */
export const MAX_RENDERED_CHARS = 1024 * 1024;

/** A body template rendered more than {@link MAX_RENDERED_CHARS}: the channel's template must change. */
export class TemplateTooLargeError extends Error {
  override readonly name = 'TemplateTooLargeError';
}

/** Renders values as text, or (JSON mode) escaped inside strings and as JSON values in `{{{ }}}`. */
class HeraldWriter extends Mustache.Writer {
  /** What is left of this rendering's budget (renders are synchronous, so one writer per mode does). */
  budget = MAX_RENDERED_CHARS;

  constructor(private readonly mode: 'text' | 'json') {
    super();
  }

  /** Text stops growing at the budget (renderers cut it far shorter anyway); a JSON body must not be cut. */
  private spend(text: string): string {
    const left = this.budget;
    this.budget -= text.length;
    if (this.budget >= 0) return text;
    if (this.mode === 'text') return truncate(text, Math.max(left, 0));
    throw new TemplateTooLargeError(`the body template renders more than ${MAX_RENDERED_CHARS} characters`);
  }

  override escapedValue(token: string[], context: Mustache.Context): string {
    const value: unknown = context.lookup(token[1] ?? '');
    if (value === undefined || value === null) return '';
    return this.spend(this.mode === 'text' ? asText(value) : JSON.stringify(asText(value)).slice(1, -1));
  }

  override unescapedValue(token: string[], context: Mustache.Context): string {
    const value: unknown = context.lookup(token[1] ?? '');
    if (this.mode === 'text') return value === undefined || value === null ? '' : this.spend(asText(value));
    return value === undefined ? 'null' : this.spend(JSON.stringify(value));
  }
}

const writers = { text: new HeraldWriter('text'), json: new HeraldWriter('json') };

/**
 * Renders a checked template over the event and its delivery fields. Pure. Text stops at
 * {@link MAX_RENDERED_CHARS} of inserted values; a JSON body that would pass it throws
 * {@link TemplateTooLargeError}.
 */
export const renderTemplate = (
  template: string,
  event: HeraldEvent,
  herald: TemplateDelivery,
  mode: 'text' | 'json',
): string => {
  const writer = writers[mode];
  writer.budget = MAX_RENDERED_CHARS;
  return writer.render(template, { ...event, herald });
};
