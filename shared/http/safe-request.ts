import type { LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { bareHost, isPrivateAddress } from './address-guard.ts';
import { type DnsAnswer, type LookupAll, systemLookup } from './dns.ts';

/** The request was refused before it left: scheme or address not allowed. */
export class TargetNotAllowedError extends Error {
  override readonly name = 'TargetNotAllowedError';
}

/** No response within the timeout. */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
}

export interface SafeRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
}

export interface SafeResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The first bytes of the body (512 at most; all that is read), for error messages. */
  readonly bodySnippet: string;
}

export interface SafeRequestOptions {
  /** Lift the public-HTTPS-only rule (local development). */
  readonly allowPrivateTargets: boolean;
  /** Where target names are resolved. @default the system resolver */
  readonly lookup?: LookupAll;
}

/** How much of a response body is read: enough for a provider's error word or JSON error, no more. */
const SNIPPET_BYTES = 512;

/**
 * Why a name's DNS answers are refused, or undefined when every one is public. A name with one public
 * and one private answer is refused, not narrowed to its public answer: such a name is misconfigured or
 * pointed inward on purpose (DNS rebinding), and the next lookup may answer differently.
 */
const answersRefusal = (
  hostname: string,
  answers: readonly DnsAnswer[],
): TargetNotAllowedError | undefined => {
  if (answers.length === 0) return new TargetNotAllowedError(`${hostname} has no addresses`);
  if (answers.some((answer) => isPrivateAddress(answer.address))) {
    return new TargetNotAllowedError(`${hostname} resolves to a non-public address`);
  }
  return undefined;
};

/**
 * The DNS lookup of every guarded connection, so the answers checked are the ones connected to; refuses
 * a name if any of its answers is not public.
 */
export const guardedLookupWith =
  (lookupAll: LookupAll): LookupFunction =>
  (hostname, options, callback) => {
    lookupAll(hostname).then(
      (answers) => {
        const refused = answersRefusal(hostname, answers);
        if (refused) return callback(refused, '', 0);
        if ((options as { all?: boolean }).all) {
          return (callback as unknown as (err: null, list: LookupAddress[]) => void)(null, answers);
        }
        const [first] = answers;
        return first ? callback(null, first.address, first.family) : callback(new Error('no address'), '', 0);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };

/** {@link guardedLookupWith} the system resolver. */
export const guardedLookup: LookupFunction = guardedLookupWith(systemLookup);

/** `localhost` and its subdomains, also spelled with a trailing dot (`localhost.`). */
const isLocalhostName = (host: string): boolean => {
  const name = host.toLowerCase().replace(/\.+$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
};

/**
 * Resolves a host for a non-HTTP connection (SMTP) under the same rule: an IP literal (any spelling)
 * must be public; a name must resolve only to public addresses, and its first answer is used; else
 * {@link TargetNotAllowedError}. With private targets allowed, any address.
 */
export const resolveTargetHost = async (host: string, options: SafeRequestOptions): Promise<string> => {
  const bare = bareHost(host);
  const strict = !options.allowPrivateTargets;
  if (strict && (isLocalhostName(bare) || isPrivateAddress(bare))) {
    throw new TargetNotAllowedError(`${bare} is not a public address`);
  }
  if (isIP(bare) !== 0) return bare;
  const answers = await (options.lookup ?? systemLookup)(bare);
  const refused = strict ? answersRefusal(bare, answers) : undefined;
  if (refused) throw refused;
  const [first] = answers;
  if (first === undefined) throw new TargetNotAllowedError(`${bare} has no addresses`);
  return first.address;
};

/**
 * Checks a target URL against the scheme and address rules; throws {@link TargetNotAllowedError}. The
 * URL parser has already turned `2130706433`, `0177.0.0.1`, `0x7f.1` and `127.1` into `127.0.0.1`, and
 * refuses IPv6 zone ids; userinfo is not part of the host checked.
 */
export const assertTargetAllowed = (url: URL, options: SafeRequestOptions): void => {
  if (options.allowPrivateTargets) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new TargetNotAllowedError(`unsupported scheme ${url.protocol}`);
    }
    return;
  }
  if (url.protocol !== 'https:') throw new TargetNotAllowedError('only https:// targets are allowed');
  const host = bareHost(url.hostname);
  if (isLocalhostName(host) || isPrivateAddress(host)) {
    throw new TargetNotAllowedError(`${host} is not a public address`);
  }
};

/**
 * Sends one HTTP request without following redirects and (unless private targets are allowed) only to
 * public addresses over HTTPS, checked again at connect time. One timeout covers the whole attempt:
 * with no answer by then it fails with {@link RequestTimeoutError}; once the status is in, it resolves
 * with the status and what of the body has come (512 bytes at most), then stops reading and closes
 * the socket, so a receiver that streams without end cannot hold the caller past the timeout.
 */
export const safeRequest = async (
  request: SafeRequest,
  options: SafeRequestOptions,
): Promise<SafeResponse> => {
  const url = new URL(request.url);
  assertTargetAllowed(url, options);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const body = Buffer.from(request.body, 'utf8');
  const requestOptions: RequestOptions = {
    method: request.method,
    headers: { ...request.headers, 'content-length': String(body.length) },
    ...(options.allowPrivateTargets ? {} : { lookup: guardedLookupWith(options.lookup ?? systemLookup) }),
  };

  return new Promise<SafeResponse>((resolve, reject) => {
    /** Set once the status is in: ends the attempt with what of the body has come. */
    let stopReading: (() => void) | undefined;
    const req = send(url, requestOptions, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => {
        clearTimeout(timer);
        if (!res.complete) res.destroy(); // stop reading: the rest of the body is never wanted
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bodySnippet: Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8'),
        });
      };
      stopReading = finish;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= SNIPPET_BYTES) finish();
      });
      res.on('end', finish);
      res.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    const timer = setTimeout(() => {
      if (stopReading) stopReading();
      else req.destroy(new RequestTimeoutError(`no response within ${request.timeoutMs} ms`));
    }, request.timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
};
