/**
 * The admin API's routes (SPEC §6), alone in a module with no imports: the infrastructure registers
 * them at `cdk synth` without loading the admin code (and the AWS SDK clients it pulls in).
 */
export const ADMIN_ROUTE_KEYS = [
  'GET /v1/channels',
  'GET /v1/channels/{id}',
  'PUT /v1/channels/{id}',
  'DELETE /v1/channels/{id}',
  'POST /v1/channels/{id}/test',
  'GET /v1/channels/{id}/signing-secret',
  'GET /v1/policies',
  'GET /v1/policies/{id}',
  'PUT /v1/policies/{id}',
  'DELETE /v1/policies/{id}',
  'GET /v1/events/{id}',
  'GET /v1/deliveries',
  'GET /v1/dead-letters',
  'POST /v1/dead-letters/redrive',
  'GET /v1/dead-letters/redrives/{id}',
  'POST /v1/api-keys',
  'GET /v1/api-keys',
  'DELETE /v1/api-keys/{id}',
  'GET /v1/silences',
  'GET /v1/silences/{id}',
  'PUT /v1/silences/{id}',
  'DELETE /v1/silences/{id}',
  'GET /v1/audit',
] as const;
export type AdminRouteKey = (typeof ADMIN_ROUTE_KEYS)[number];
