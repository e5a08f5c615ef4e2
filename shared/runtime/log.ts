/** Structured fields of a log line: ids, counts, reasons. Never whole events or secrets. */
export type LogAttributes = Record<string, unknown>;

/** The narrow logging surface domain code needs (Powertools' Logger satisfies it). */
export interface Log {
  /** What routine success says (each delivery, each routed event): off unless the log level is DEBUG. */
  debug(message: string, attributes: LogAttributes): void;
  info(message: string, attributes: LogAttributes): void;
  warn(message: string, attributes: LogAttributes): void;
}

/**
 * `log` with `correlationId` on every line: the event id in the router, the delivery id in the deliver
 * function, so that all the lines about one event or delivery are found with one filter. The records
 * of a batch are handled concurrently, so each gets its own wrapper (a key appended to the shared
 * logger would be the last record's on every line).
 */
export const correlated = (log: Log, correlationId: string): Log => ({
  debug: (message, attributes) => log.debug(message, { correlationId, ...attributes }),
  info: (message, attributes) => log.info(message, { correlationId, ...attributes }),
  warn: (message, attributes) => log.warn(message, { correlationId, ...attributes }),
});
