import type { FieldIssue } from '../domain/errors.ts';
import { HttpError } from '../domain/errors.ts';
import { matchesAttribute } from '../domain/matcher.ts';

import { KeyScope } from './key-scope.ts';

/** What a scope check needs of an event. */
interface Scoped {
  readonly source: string;
  readonly attributes?: Readonly<Record<string, string>> | undefined;
}

/** The attributes of each event that fall outside the scope, as field issues (with the event's index). */
export const scopeViolations = (events: readonly Scoped[], scope: KeyScope): FieldIssue[] =>
  events.flatMap((event, index) =>
    Object.entries(scope).flatMap(([attribute, patterns]) => {
      const value = attribute === 'source' ? event.source : event.attributes?.[attribute];
      if (matchesAttribute(patterns, value)) return [];
      const allowed = (typeof patterns === 'string' ? [patterns] : patterns).join(', ');
      return [
        {
          index,
          path: attribute === 'source' ? 'source' : `attributes.${attribute}`,
          message:
            value === undefined
              ? `required by this API key's scope (${attribute}: ${allowed})`
              : `outside this API key's scope (${attribute}: ${allowed})`,
        },
      ];
    }),
  );

/** Refuses the whole request with 403 when any event falls outside the key's scope. */
export const assertInScope = (events: readonly Scoped[], scope: KeyScope | undefined): void => {
  if (scope === undefined) return;
  const issues = scopeViolations(events, scope);
  if (issues.length > 0) {
    throw new HttpError(
      403,
      'outside_key_scope',
      `${issues.length} event attribute(s) outside this API key's scope; nothing was queued`,
      issues,
    );
  }
};

/** Reads the scope the authorizer passed on (JSON text; empty for an unscoped key). */
export const readScopeContext = (text: unknown): KeyScope | undefined => {
  if (typeof text !== 'string' || text === '') return undefined;
  return KeyScope.parse(JSON.parse(text));
};
