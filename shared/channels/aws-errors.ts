/**
 * What an AWS SDK v3 client threw, as a delivery outcome (SPEC §5). Written for SNS `Publish`; SQS
 * `SendMessage`, EventBridge `PutEvents` and STS `AssumeRole` use it with their own tables, and the SES
 * sender can too (`classifyAwsError(error, 'SES', SES_ERRORS)`).
 *
 * SDK v3 service errors carry the service's error name in `name` (the modelled exception, such as
 * `NotFoundException`, or the raw code, such as `Throttling`, when the model does not list it) and the
 * HTTP status in `$metadata.httpStatusCode`. Errors that never got an HTTP answer (DNS, connection reset,
 * timeouts) have no status: the retry middleware may still add `$metadata` with only `attempts`.
 */
import { type AttemptOutcome, parseRetryAfter } from '../domain/outcome.ts';
import { truncate } from './text.ts';

/** The outcome an AWS error name stands for. */
export type AwsErrorKind = 'retry' | 'failed' | 'gone';

/** Error names (exactly as the SDK reports them in `error.name`) and what each one means for a delivery. */
export type AwsErrorTable = Readonly<Record<string, AwsErrorKind>>;

/** How long the reason recorded for an AWS error may be. */
export const AWS_ERROR_REASON_CHARS = 300;

/**
 * Error names any AWS service may answer with. Throttling, server faults and credentials that expire
 * are worth retrying; refused access, invalid requests and unusable KMS keys are not, until someone
 * changes the channel, the key or the stack's permissions.
 */
export const AWS_ERRORS: AwsErrorTable = {
  // Throttling (the SDK's own list, plus KMS throttling a publish to an encrypted topic).
  Throttling: 'retry',
  ThrottlingException: 'retry',
  Throttled: 'retry',
  ThrottledException: 'retry',
  TooManyRequestsException: 'retry',
  RequestLimitExceeded: 'retry',
  RequestThrottled: 'retry',
  RequestThrottledException: 'retry',
  SlowDown: 'retry',
  KMSThrottlingException: 'retry',
  // The service failed or was away.
  InternalError: 'retry',
  InternalErrorException: 'retry',
  InternalFailure: 'retry',
  ServiceUnavailable: 'retry',
  ServiceUnavailableException: 'retry',
  RequestTimeout: 'retry',
  RequestTimeoutException: 'retry',
  TimeoutError: 'retry',
  // The function's credentials expired or its clock drifted: the next attempt gets fresh ones.
  ExpiredToken: 'retry',
  ExpiredTokenException: 'retry',
  RequestExpired: 'retry',
  RequestTimeTooSkewed: 'retry',
  // Not allowed: the stack's role may not publish, or the topic's policy refuses it.
  AuthorizationError: 'failed',
  AuthorizationErrorException: 'failed',
  AccessDenied: 'failed',
  AccessDeniedException: 'failed',
  InvalidClientTokenId: 'failed',
  UnrecognizedClientException: 'failed',
  InvalidSecurity: 'failed',
  InvalidSecurityException: 'failed',
  // The request itself is wrong: sending it again cannot help.
  InvalidParameter: 'failed',
  InvalidParameterException: 'failed',
  InvalidParameterValue: 'failed',
  InvalidParameterValueException: 'failed',
  InvalidParameterCombination: 'failed',
  ValidationError: 'failed',
  ValidationException: 'failed',
  // The topic's KMS key cannot be used.
  KMSDisabledException: 'failed',
  KMSAccessDeniedException: 'failed',
  KMSNotFoundException: 'failed',
  KMSInvalidStateException: 'failed',
  KMSOptInRequired: 'failed',
};

/** SNS `Publish`: a topic that no longer exists disables the channel, like a webhook's 410. */
export const SNS_ERRORS: AwsErrorTable = {
  NotFound: 'gone',
  NotFoundException: 'gone',
};

/**
 * SQS `SendMessage` (its JSON-protocol names, and the legacy query code the SDK may report): a queue
 * that no longer exists disables the channel; a queue whose KMS key cannot be used fails, unless KMS
 * only throttled; a message SQS refuses (characters outside its set, an attribute it rejects) fails.
 */
export const SQS_ERRORS: AwsErrorTable = {
  QueueDoesNotExist: 'gone',
  'AWS.SimpleQueueService.NonExistentQueue': 'gone',
  KmsThrottled: 'retry',
  OverLimit: 'retry',
  KmsAccessDenied: 'failed',
  KmsDisabled: 'failed',
  KmsInvalidKeyUsage: 'failed',
  KmsInvalidState: 'failed',
  KmsNotFound: 'failed',
  KmsOptInRequired: 'failed',
  InvalidMessageContents: 'failed',
  InvalidAddress: 'failed',
  UnsupportedOperation: 'failed',
};

/**
 * EventBridge `PutEvents`, for the call and for a failed entry (`ErrorCode`): a bus that does not exist
 * disables the channel; a source or detail-type the bus's policy refuses, a detail it cannot read and
 * an invalid argument fail. Entry codes not listed anywhere (`InternalFailure`, `ThrottlingException`,
 * new ones) are retried: a partly failed `PutEvents` is worth another attempt.
 */
export const EVENTBRIDGE_ERRORS: AwsErrorTable = {
  ResourceNotFoundException: 'gone',
  InternalException: 'retry',
  NotAuthorizedForSourceException: 'failed',
  NotAuthorizedForDetailTypeException: 'failed',
  MalformedDetail: 'failed',
  InvalidArgument: 'failed',
  InvalidAccountIdException: 'failed',
  InvalidEventPatternException: 'failed',
  OperationDisabledException: 'failed',
};

/**
 * STS `AssumeRole` of a channel's `roleArn`: a role that does not trust Herald (or its `externalId`) is
 * `AccessDenied` (failed, in {@link AWS_ERRORS}); STS switched off in the region, or a session policy
 * it refuses, fail too.
 */
export const STS_ERRORS: AwsErrorTable = {
  RegionDisabledException: 'failed',
  MalformedPolicyDocument: 'failed',
  MalformedPolicyDocumentException: 'failed',
  PackedPolicyTooLarge: 'failed',
  PackedPolicyTooLargeException: 'failed',
};

/**
 * Assuming a channel's `roleArn` failed: the STS error is the `cause`. Senders classify the cause with
 * {@link STS_ERRORS}, so the reason says that the role, not the queue or bus, refused.
 */
export class AssumeRoleError extends Error {
  override readonly name = 'AssumeRoleError';

  constructor(
    readonly roleArn: string,
    options: ErrorOptions,
  ) {
    super(`could not assume ${roleArn}`, options);
  }
}

/** Classifies what a send through a channel's own role or the function's role threw. */
export const classifySendError = (error: unknown, service: string, names: AwsErrorTable): AttemptOutcome =>
  error instanceof AssumeRoleError
    ? classifyAwsError(error.cause, `STS AssumeRole (${error.roleArn})`, STS_ERRORS)
    : classifyAwsError(error, service, names);

/**
 * Classifies an error code a service answered inside a successful call (a failed `PutEvents` entry's
 * `ErrorCode`): looked up in `names`, then in {@link AWS_ERRORS}; a code in neither is retried. The
 * reason reads `<service> <code>: <message>`.
 */
export const classifyErrorCode = (
  code: string,
  message: string | undefined,
  service: string,
  names: AwsErrorTable = {},
): AttemptOutcome => {
  const kind: AwsErrorKind =
    (Object.hasOwn(names, code) ? names[code] : undefined) ??
    (Object.hasOwn(AWS_ERRORS, code) ? AWS_ERRORS[code] : undefined) ??
    'retry';
  const error = truncate(
    `${service} ${code}: ${message ?? 'no message'}`.replace(/\s+/g, ' ').trim(),
    AWS_ERROR_REASON_CHARS,
  );
  return { kind, error };
};

/** The parts of an SDK error this module reads. */
interface AwsErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly $retryable?: unknown;
  readonly $response?: { readonly headers?: Readonly<Record<string, unknown>> };
}

const RETRYABLE_STATUSES = new Set([408, 425, 429]);

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

/**
 * The service's retry hint, when its answer had one: `Retry-After` (seconds or a date) or
 * `x-amz-retry-after` (milliseconds). The SDK keeps the raw answer in the hidden `$response`.
 */
const retryAfterOf = (error: AwsErrorShape, now: Date): number | undefined => {
  const headers = error.$response?.headers;
  if (headers === undefined || headers === null || typeof headers !== 'object') return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') continue;
    const header = name.toLowerCase();
    if (header === 'retry-after') return parseRetryAfter(value, now);
    if (header === 'x-amz-retry-after' && /^\d+$/.test(value.trim())) {
      return parseRetryAfter(String(Math.ceil(Number(value) / 1000)), now);
    }
  }
  return undefined;
};

/**
 * Classifies an error an AWS SDK v3 call threw. The name is looked up in `names`, then in
 * {@link AWS_ERRORS}; a name in neither is judged by its status (429, 408, 425 and 5xx retry, other
 * statuses fail) and, without a status, as a network error (retry). The reason reads
 * `<service> <name>: <message>` on one line, at most {@link AWS_ERROR_REASON_CHARS} characters.
 */
export const classifyAwsError = (
  error: unknown,
  service: string,
  names: AwsErrorTable = {},
  now: Date = new Date(),
): AttemptOutcome => {
  const shape: AwsErrorShape = typeof error === 'object' && error !== null ? error : {};
  const name = text(shape.name) ?? 'Error';
  const code = text(shape.code);
  // Node's socket errors are plain `Error`s whose `code` says what happened (ECONNRESET).
  const shown = name === 'Error' && code !== undefined ? code : name;
  const message = text(shape.message) ?? (typeof error === 'string' ? error : 'no message');
  const statusValue = shape.$metadata?.httpStatusCode;
  const status = typeof statusValue === 'number' ? statusValue : undefined;
  const what = (prefix: string) =>
    truncate(`${prefix}${service} ${shown}: ${message}`.replace(/\s+/g, ' ').trim(), AWS_ERROR_REASON_CHARS);
  const statusPart = status === undefined ? {} : { status };

  const kind: AwsErrorKind | undefined = Object.hasOwn(names, name)
    ? names[name]
    : Object.hasOwn(AWS_ERRORS, name)
      ? AWS_ERRORS[name]
      : undefined;
  if (kind === 'gone') return { kind: 'gone', ...statusPart, error: what('') };
  if (kind === 'failed') return { kind: 'failed', ...statusPart, error: what('') };

  if (kind === undefined && status === undefined) {
    // No HTTP answer: DNS, connection refused or reset, a socket timeout.
    return { kind: 'retry', error: what('network error: ') };
  }
  const retryable =
    kind === 'retry' ||
    shape.$retryable !== undefined ||
    (status !== undefined && (status >= 500 || RETRYABLE_STATUSES.has(status)));
  if (!retryable) return { kind: 'failed', ...statusPart, error: what('') };
  const retryAfterSeconds = retryAfterOf(shape, now);
  return {
    kind: 'retry',
    ...statusPart,
    error: what(''),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  };
};
