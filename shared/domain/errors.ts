/** A field-level problem found while validating input. */
export interface FieldIssue {
  /** Position of the item in a batch, when the input was a batch. */
  readonly index?: number;
  /** Dotted path of the offending field (`attributes.environment`); empty for the whole item. */
  readonly path: string;
  readonly message: string;
}

/** An error that maps to an HTTP status and a stable machine-readable code. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: readonly FieldIssue[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Input failed schema validation. */
export class ValidationError extends HttpError {
  constructor(code: string, message: string, details: readonly FieldIssue[]) {
    super(400, code, message, details);
  }
}

/** A required environment variable is missing or malformed (raised at cold start). */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}
