import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { newSigningSecret } from '../../shared/channels/webhook/index.ts';
import { type ApiResult, admin, unique } from './support.ts';

interface AuditEntryView {
  readonly id: string;
  readonly at: string;
  readonly principal: { readonly arn: string };
  readonly route: string;
  readonly resourceId: string | null;
  readonly status: number | null;
  readonly fields: string[];
}

interface AuditPage {
  readonly items: AuditEntryView[];
  readonly nextToken?: string;
}

const receiver = new WebhookReceiver();

beforeAll(async () => {
  await receiver.start();
});

afterAll(async () => {
  await receiver.stop();
});

/** Every audit entry since `since`, page by page (`limit` each), and the responses that carried them. */
const readAudit = async (since: string, limit: number) => {
  const entries: AuditEntryView[] = [];
  const pages: ApiResult[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken === undefined ? '' : `&nextToken=${encodeURIComponent(nextToken)}`;
    const page = await admin('GET', `/v1/audit?since=${encodeURIComponent(since)}&limit=${limit}${token}`);
    expect(page.status, page.text).toBe(200);
    pages.push(page);
    const body = page.json as AuditPage;
    entries.push(...body.items);
    nextToken = body.nextToken;
  } while (nextToken !== undefined && pages.length < 200);
  return { entries, pages };
};

describe('admin API: audit log', () => {
  it('records writes and the signing-secret read, newest first, with names and never values', async () => {
    // Prepare
    const start = new Date().toISOString();
    const channelId = unique('audited');
    const policyId = unique('audited-pol');
    const firstPath = `/${unique('audit-first')}`;
    const secondPath = `/${unique('audit-second')}`;
    const signingSecret = newSigningSecret();
    const responses: ApiResult[] = [];
    const call = async (...args: Parameters<typeof admin>) => {
      const response = await admin(...args);
      responses.push(response);
      return response;
    };

    // Act: create and change a channel (one change refused), create and delete a policy, test-send.
    const created = await call('PUT', `/v1/channels/${channelId}`, {
      type: 'webhook',
      config: { url: receiver.url(firstPath), signingSecret },
    });
    const createdEtag = created.headers.get('etag') ?? '';
    // Same host, so the stored signing secret is kept without being given again.
    const changed = {
      type: 'webhook',
      description: 'audited channel',
      config: { url: receiver.url(secondPath) },
    };
    const updated = await call('PUT', `/v1/channels/${channelId}`, changed, { 'if-match': createdEtag });
    const stale = await call('PUT', `/v1/channels/${channelId}`, changed, { 'if-match': createdEtag });
    const policy = await call('PUT', `/v1/policies/${policyId}`, {
      events: ['audit.test'],
      channels: [channelId],
    });
    const deleted = await call('DELETE', `/v1/policies/${policyId}`);
    receiver.expect(secondPath, signingSecret);
    const tested = await call('POST', `/v1/channels/${channelId}/test`);
    const read = await admin('GET', `/v1/channels/${channelId}/signing-secret`);
    const view = await call('GET', `/v1/channels/${channelId}`);
    const audit = await readAudit(start, 100);
    responses.push(...audit.pages);

    // Assess: each step did what it should.
    expect(created.status, created.text).toBe(201);
    expect(updated.status, updated.text).toBe(200);
    expect(stale).toMatchObject({ status: 412, json: { error: 'precondition_failed' } });
    expect(policy.status, policy.text).toBe(201);
    expect(deleted.status).toBe(204);
    expect(tested).toMatchObject({ status: 200, json: { ok: true } });
    expect(read).toMatchObject({ status: 200, json: { signingSecret } });
    expect(read.headers.get('cache-control')).toBe('no-store');
    expect(view.json).toMatchObject({ config: { signingSecret: { configured: true } } });

    // Assess: the audit log, newest first, names routes, resources and fields.
    const ours = audit.entries.filter(
      (entry) => entry.resourceId === channelId || entry.resourceId === policyId,
    );
    expect(
      ours.map(({ route, resourceId, status, fields }) => ({ route, resourceId, status, fields })),
    ).toEqual([
      { route: 'GET /v1/channels/{id}/signing-secret', resourceId: channelId, status: 200, fields: [] },
      { route: 'POST /v1/channels/{id}/test', resourceId: channelId, status: 200, fields: [] },
      { route: 'DELETE /v1/policies/{id}', resourceId: policyId, status: 204, fields: [] },
      { route: 'PUT /v1/policies/{id}', resourceId: policyId, status: 201, fields: ['events', 'channels'] },
      { route: 'PUT /v1/channels/{id}', resourceId: channelId, status: 412, fields: [] },
      {
        route: 'PUT /v1/channels/{id}',
        resourceId: channelId,
        status: 200,
        fields: ['description', 'config.url'],
      },
      {
        route: 'PUT /v1/channels/{id}',
        resourceId: channelId,
        status: 201,
        fields: ['type', 'config.url', 'config.signingSecret'],
      },
    ]);
    for (const entry of ours) {
      expect(entry.principal.arn).toEqual(expect.any(String));
      expect(entry.principal.arn.length).toBeGreaterThan(0);
      expect(entry.at >= start).toBe(true);
      expect(entry.id).toMatch(/^[0-9A-Z]{26}$/);
    }
    const times = audit.entries.map((entry) => entry.at);
    expect(times).toEqual([...times].sort().reverse());

    // Assess: no response byte carries the URL or the signing secret, except the read itself.
    expect(read.text).toContain(signingSecret);
    for (const response of responses) {
      for (const secret of [
        signingSecret,
        signingSecret.slice('whsec_'.length),
        receiver.url(firstPath),
        receiver.url(secondPath),
        firstPath,
        secondPath,
      ]) {
        expect(response.text).not.toContain(secret);
      }
    }
  });

  it('pages the audit log in full pages, and refuses a bad since or a tampered token', async () => {
    // Prepare: a few audited writes of our own.
    const start = new Date().toISOString();
    const prefix = unique('audit-page');
    for (const suffix of ['a', 'b', 'c']) {
      expect((await admin('PUT', `/v1/policies/${prefix}-${suffix}`, { channels: ['nowhere'] })).status).toBe(
        201,
      );
    }

    // Act
    const whole = await readAudit(start, 100);
    const paged = await readAudit(start, 2);
    const future = await admin(
      'GET',
      `/v1/audit?since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`,
    );
    const notATime = await admin('GET', '/v1/audit?since=yesterday');
    const tampered = await admin('GET', '/v1/audit?nextToken=bm90LWEtdG9rZW4');

    // Assess
    expect(
      whole.entries.filter((entry) => entry.resourceId?.startsWith(prefix)).map((e) => e.resourceId),
    ).toEqual([`${prefix}-c`, `${prefix}-b`, `${prefix}-a`]);
    expect(paged.entries.map((entry) => entry.id)).toEqual(whole.entries.map((entry) => entry.id));
    const sizes = paged.pages.map((page) => (page.json as AuditPage).items.length);
    expect(sizes.slice(0, -1).every((size) => size === 2)).toBe(true);
    expect(future).toMatchObject({ status: 200, json: { items: [] } });
    expect(notATime).toMatchObject({ status: 400, json: { details: [{ path: 'since' }] } });
    expect(tampered).toMatchObject({ status: 400, json: { details: [{ path: 'nextToken' }] } });
  });
});
