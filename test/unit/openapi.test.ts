import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as z from 'zod';
import type { ApiKeyAdmin } from '#shared/admin/api-keys.ts';
import type { ChannelAdmin, ChannelView, SigningSecretView } from '#shared/admin/channels.ts';
import type { DeadLetterAdmin } from '#shared/admin/dead-letters.ts';
import type { PolicyView } from '#shared/admin/policies.ts';
import { ADMIN_ROUTE_KEYS } from '#shared/admin/routes.ts';
import type { SilenceView } from '#shared/admin/silences.ts';
import { CHANNEL_TYPE_NAMES } from '#shared/channels/registry.ts';
import {
  buildOpenApiDocument,
  INGEST_ROUTE_KEYS,
  OPENAPI_FILE,
  renderOpenApiDocument,
  type VIEW_SCHEMAS,
} from '../../scripts/openapi.ts';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every operation in the document, with its route key (`POST /v1/events`). */
const operations = (document: Json): { routeKey: string; path: string; operation: Json }[] =>
  Object.entries(document.paths as Record<string, Json>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]) => ({
        routeKey: `${method.toUpperCase()} ${path}`,
        path,
        operation: operation as Json,
      })),
  );

/** Every `$ref` value anywhere in a JSON value. */
const refsIn = (value: unknown): string[] => {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([key, entry]) =>
    key === '$ref' && typeof entry === 'string' ? [entry] : refsIn(entry),
  );
};

/** What a local JSON pointer (`#/components/schemas/Error`) names, or undefined. */
const resolve = (document: Json, ref: string): unknown => {
  if (!ref.startsWith('#/')) return undefined;
  let current: unknown = document;
  for (const raw of ref.slice(2).split('/')) {
    const segment = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isObject(current) || !Object.hasOwn(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
};

/** A parameter as declared, following a `$ref` to the components. */
const parameterOf = (document: Json, parameter: unknown): Json => {
  const ref = isObject(parameter) ? parameter.$ref : undefined;
  return (typeof ref === 'string' ? resolve(document, ref) : parameter) as Json;
};

describe('the OpenAPI document', () => {
  const document = buildOpenApiDocument();

  it('lists exactly the admin routes and the two ingest routes', () => {
    // Prepare
    const deployed = [...ADMIN_ROUTE_KEYS, ...INGEST_ROUTE_KEYS].sort();

    // Act
    const documented = operations(document)
      .map(({ routeKey }) => routeKey)
      .sort();

    // Assess
    expect(documented).toEqual(deployed);
  });

  it('is the document checked in, so a changed schema or route needs the file regenerated', () => {
    // Prepare
    const onDisk = readFileSync(new URL(`../../${OPENAPI_FILE}`, import.meta.url), 'utf8');

    // Act
    const fresh = renderOpenApiDocument();

    // Assess
    expect(
      onDisk === fresh,
      `${OPENAPI_FILE} is out of date: run \`npx tsx scripts/openapi.ts\` and commit the result`,
    ).toBe(true);
  });

  it('comes out the same every time it is built', () => {
    expect(renderOpenApiDocument()).toBe(renderOpenApiDocument());
  });

  it('declares OpenAPI 3.1 with an info object', () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(document.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
  });

  it('gives every operation an id, a described response, and a parameter per path template', () => {
    const ids = new Set<string>();
    for (const { routeKey, path, operation } of operations(document)) {
      expect(typeof operation.operationId, routeKey).toBe('string');
      expect(ids.has(String(operation.operationId)), `duplicate operationId ${routeKey}`).toBe(false);
      ids.add(String(operation.operationId));

      const responses = operation.responses as Json | undefined;
      expect(Object.keys(responses ?? {}).length, `${routeKey} has no responses`).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(responses ?? {})) {
        expect(status, routeKey).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
        const resolved = parameterOf(document, response);
        expect(typeof resolved?.description, `${routeKey} ${status} has no description`).toBe('string');
      }

      const declared = ((operation.parameters as unknown[] | undefined) ?? [])
        .map((parameter) => parameterOf(document, parameter))
        .filter((parameter) => parameter.in === 'path');
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      expect(declared.map((parameter) => parameter.name).sort(), routeKey).toEqual(templated.sort());
      for (const parameter of declared) expect(parameter.required, routeKey).toBe(true);
    }
  });

  it('resolves every $ref inside the document', () => {
    const unresolved = refsIn(document).filter((ref) => resolve(document, ref) === undefined);

    expect(unresolved).toEqual([]);
  });

  it('names only security schemes it defines', () => {
    const schemes = Object.keys((document.components as Json).securitySchemes as Json);
    const requirements = [
      ...(document.security as Json[]),
      ...operations(document).flatMap(({ operation }) => (operation.security as Json[] | undefined) ?? []),
    ];

    const named = requirements.flatMap((requirement) => Object.keys(requirement));

    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(schemes).toContain(name);
  });

  it('describes a channel body for every channel type', () => {
    const schemas = (document.components as Json).schemas as Json;
    const channelInput = schemas.ChannelInput as { discriminator: { mapping: Json } };

    expect(Object.keys(channelInput.discriminator.mapping).sort()).toEqual([...CHANNEL_TYPE_NAMES].sort());
  });
});

describe('the response schemas that mirror views', () => {
  type Out<K extends keyof typeof VIEW_SCHEMAS> = z.output<(typeof VIEW_SCHEMAS)[K]>;
  type TestResult = Awaited<ReturnType<ChannelAdmin['test']>>;
  type RedriveView = Awaited<ReturnType<DeadLetterAdmin['redriveStatus']>>;
  type ApiKeyView = Awaited<ReturnType<ApiKeyAdmin['list']>>['items'][number];

  it('describe values of the views, with the same fields', () => {
    expectTypeOf<Out<'ChannelView'>>().toExtend<ChannelView>();
    expectTypeOf<keyof Out<'ChannelView'>>().toEqualTypeOf<keyof ChannelView>();
    expectTypeOf<Out<'PolicyView'>>().toExtend<PolicyView>();
    expectTypeOf<keyof Out<'PolicyView'>>().toEqualTypeOf<keyof PolicyView>();
    expectTypeOf<Out<'SilenceView'>>().toExtend<SilenceView>();
    expectTypeOf<keyof Out<'SilenceView'>>().toEqualTypeOf<keyof SilenceView>();
    expectTypeOf<Out<'SigningSecretView'>>().toExtend<SigningSecretView>();
    expectTypeOf<keyof Out<'SigningSecretView'>>().toEqualTypeOf<keyof SigningSecretView>();
    expectTypeOf<Out<'ChannelTestResult'>>().toExtend<TestResult>();
    expectTypeOf<keyof Out<'ChannelTestResult'>>().toEqualTypeOf<keyof TestResult>();
    expectTypeOf<Out<'RedriveView'>>().toExtend<RedriveView>();
    expectTypeOf<keyof Out<'RedriveView'>>().toEqualTypeOf<keyof RedriveView>();
    expectTypeOf<Out<'ApiKeyView'>>().toExtend<ApiKeyView>();
    expectTypeOf<keyof Out<'ApiKeyView'>>().toEqualTypeOf<keyof ApiKeyView>();
  });
});
