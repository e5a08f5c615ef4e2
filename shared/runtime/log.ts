/** Structured fields of a log line: ids, counts, reasons. Never whole events or secrets. */
export type LogAttributes = Record<string, unknown>;

/** The narrow logging surface domain code needs (Powertools' Logger satisfies it). */
export interface Log {
  info(message: string, attributes: LogAttributes): void;
  warn(message: string, attributes: LogAttributes): void;
}
