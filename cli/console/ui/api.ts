/** Calls to the console server's `/api/*` (same origin; the session cookie goes along). */

export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

/** An error answer of the console server (the admin API's, passed through, or its own). */
export class ConsoleApiError extends Error {
  override readonly name = 'ConsoleApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[],
  ) {
    super(message);
  }
}

interface ErrorBody {
  readonly error?: unknown;
  readonly message?: unknown;
  readonly details?: unknown;
}

const detailsOf = (value: unknown): ErrorDetail[] =>
  Array.isArray(value)
    ? value.flatMap((item: unknown) =>
        typeof item === 'object' && item !== null && 'message' in item
          ? [{ path: 'path' in item ? String(item.path) : '', message: String(item.message) }]
          : [],
      )
    : [];

/** GETs or POSTs JSON; resolves to the answer, typed by the caller (the server checked it with zod). */
export const api = async <T>(path: string, body?: unknown): Promise<T> => {
  const response = await fetch(`/api${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    credentials: 'same-origin',
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const error: ErrorBody = typeof json === 'object' && json !== null ? json : {};
    throw new ConsoleApiError(
      response.status,
      typeof error.error === 'string' ? error.error : `http_${response.status}`,
      typeof error.message === 'string' ? error.message : text.trim() || response.statusText,
      detailsOf(error.details),
    );
  }
  return json as T;
};

/** `?a=1&b=2` from the defined values. */
export const query = (values: Readonly<Record<string, string | undefined>>): string => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values))
    if (value !== undefined && value !== '') params.set(key, value);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
};
