/**
 * Herald's package entry point, `herald/construct`: the construct to add to a CDK app of your own, its
 * props, and the stack the bundled app deploys. `npm run build:construct` builds it into
 * `dist/construct/` (JavaScript and declarations); the functions stay TypeScript under `functions/`,
 * bundled by CDK (esbuild) when the app synthesizes.
 */
export { Admin, type AdminProps } from './constructs/admin.ts';
export { Delivery, type DeliveryProps } from './constructs/delivery.ts';
export {
  type ChannelDestinations,
  HeraldFunction,
  type HeraldFunctionName,
  type HeraldFunctionProps,
  type PerFunction,
  type SecretRefs,
} from './constructs/herald-function.ts';
export { type ForwardRule, Ingest, type IngestProps } from './constructs/ingest.ts';
export { type HeraldFunctions, Observability, type ObservabilityProps } from './constructs/observability.ts';
export { type FeedOptions, QueueWithDlq, type QueueWithDlqProps } from './constructs/queues.ts';
export { Routing, type RoutingProps } from './constructs/routing.ts';
export type { ProvisionedCapacity } from './constructs/storage.ts';
export { Storage, type StorageProps } from './constructs/storage.ts';
export { Herald, type HeraldProps, type LogLevel } from './herald.ts';
export { HeraldStack, type HeraldStackProps } from './herald-stack.ts';
