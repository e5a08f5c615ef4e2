/** Small builders of what the matcher reads, shared by the matcher and policy-index tests. */
import type { HeraldEvent } from '#shared/domain/event.ts';
import type { RoutableChannel, RoutablePolicy } from '#shared/domain/matcher.ts';

export const event = (overrides: Partial<HeraldEvent> = {}): HeraldEvent => ({
  id: 'evt-1',
  type: 'request.approved',
  source: 'dbward',
  time: '2026-11-23T09:00:00Z',
  subject: 'subject',
  severity: 'warning',
  attributes: { tenant: 'acme', environment: 'production', database: 'app' },
  ...overrides,
});

export const policy = (overrides: Partial<RoutablePolicy> = {}): RoutablePolicy => ({
  id: 'p',
  enabled: true,
  events: ['*'],
  match: {},
  minSeverity: 'info',
  channels: ['ops'],
  ...overrides,
});

export const channel = (id: string, overrides: Partial<RoutableChannel> = {}): RoutableChannel => ({
  id,
  enabled: true,
  ...overrides,
});
