/**
 * Crash points for the chaos suite. A test stack sets `HERALD_FAULT_INJECTION=true` on its functions (the
 * `faultInjection` prop; never set by default, so never in a production template). An event whose
 * attribute `herald-fault` names a point then kills the function there, the first time it passes (the
 * process exits, as a timeout or an out-of-memory would): what follows must be SQS redelivery, the
 * producer's retry and Herald's own idempotency, never a lost or doubled notification.
 */
import { ENV } from './env-names.ts';

export const FAULT_ENV = ENV.faultInjection;
export const FAULT_ATTRIBUTE = 'herald-fault';

export type FaultPoint =
  /** Ingest: the event's id is claimed, it is not queued yet. */
  | 'ingest-after-claim'
  /** Router: the first of the event's delivery jobs is queued, the others are not. */
  | 'router-mid-fan-out'
  /**
   * Deliver: the receiver has the notification, the delivery is not recorded delivered yet (on the
   * delivery's first attempt only).
   */
  | 'deliver-after-send';

export interface Faults {
  /** Whether this event asks to crash at `point` on this pass. */
  armed(point: FaultPoint, event: { readonly attributes: Readonly<Record<string, string>> }): boolean;
  crash(): never;
}

/** Faults that never fire: what every production function gets. */
export const NO_FAULTS: Faults = {
  armed: () => false,
  crash: () => {
    throw new Error('fault injection is off');
  },
};

/**
 * Faults for one pass over an event (`first`: the first receive of its message, or the request that
 * claimed it), when injection is `enabled`.
 */
export const faults = (
  enabled: boolean,
  first: boolean,
  exit: () => never = () => process.exit(1),
): Faults =>
  enabled
    ? { armed: (point, event) => first && event.attributes[FAULT_ATTRIBUTE] === point, crash: exit }
    : NO_FAULTS;
