/**
 * The partitions of Herald's tables, alone in a module with no imports: the repositories build their
 * keys from these, and the infrastructure scopes each function's grants to the partitions it uses
 * (`dynamodb:LeadingKeys`), so the two cannot drift apart.
 */

/** Config table partitions (`kind`). */
export const CONFIG_KINDS = {
  channel: 'channel',
  policy: 'policy',
  apiKey: 'apikey',
  apiKeyHash: 'apikeyhash',
  silence: 'silence',
  meta: 'meta',
  /** Routers' shared snapshots of the whole config (see `config-snapshots.ts`). */
  snapshot: 'snapshot',
} as const;

/** State table partition key prefixes (`pk` = prefix + id; the audit log is one partition). */
export const STATE_PREFIXES = {
  event: 'event#',
  delivery: 'delivery#',
  dedup: 'dedup#',
  rate: 'rate#',
  redrive: 'redrive#',
} as const;

/** The audit log's one partition in the state table. */
export const AUDIT_PARTITION = 'audit';
