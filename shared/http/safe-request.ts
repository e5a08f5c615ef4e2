import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { lookup as dnsLookupAll } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { bareHost, isPrivateAddress } from './address-guard.ts';

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
  /** The first bytes of the body, for error messages. */
  readonly bodySnippet: string;
}

export interface SafeRequestOptions {
  /** Lift the public-HTTPS-only rule (local development). */
  readonly allowPrivateTargets: boolean;
}

const SNIPPET_BYTES = 512;

/** A DNS lookup that refuses private answers, so a name cannot be re-pointed inward at connect time. */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true } as LookupAllOptions, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const allowed = addresses.filter((entry) => !isPrivateAddress(entry.address));
    if (allowed.length === 0) {
      return callback(new TargetNotAllowedError(`${hostname} resolves only to non-public addresses`), '', 0);
    }
    if ((options as { all?: boolean }).all) {
      return (callback as unknown as (err: null, list: LookupAddress[]) => void)(null, allowed);
    }
    const [first] = allowed;
    return first ? callback(null, first.address, first.family) : callback(new Error('no address'), '', 0);
  });
};

/**
 * Resolves a host for a non-HTTP connection (SMTP) under the same rule: the first public address, or
 * {@link TargetNotAllowedError}. With private targets allowed, any address.
 */
export const resolveTargetHost = async (host: string, options: SafeRequestOptions): Promise<string> => {
  const bare = bareHost(host);
  if (isIP(bare) !== 0) {
    if (!options.allowPrivateTargets && isPrivateAddress(bare)) {
      throw new TargetNotAllowedError(`${bare} is not a public address`);
    }
    return bare;
  }
  const addresses = await dnsLookupAll(bare, { all: true });
  const allowed = options.allowPrivateTargets
    ? addresses
    : addresses.filter((entry) => !isPrivateAddress(entry.address));
  const [first] = allowed;
  if (first === undefined) throw new TargetNotAllowedError(`${bare} resolves only to non-public addresses`);
  return first.address;
};

/** Checks a target URL against the scheme and address rules; throws {@link TargetNotAllowedError}. */
export const assertTargetAllowed = (url: URL, options: SafeRequestOptions): void => {
  if (options.allowPrivateTargets) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new TargetNotAllowedError(`unsupported scheme ${url.protocol}`);
    }
    return;
  }
  if (url.protocol !== 'https:') throw new TargetNotAllowedError('only https:// targets are allowed');
  const host = bareHost(url.hostname);
  if (host === 'localhost' || host.endsWith('.localhost')) {
    throw new TargetNotAllowedError(`${host} is not a public address`);
  }
  if (isIP(host) !== 0 && isPrivateAddress(host))
    throw new TargetNotAllowedError(`${host} is not a public address`);
};

/**
 * Sends one HTTP request with a hard timeout, without following redirects, and (unless private targets
 * are allowed) only to public addresses over HTTPS, checked again at connect time.
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
    ...(options.allowPrivateTargets ? {} : { lookup: guardedLookup }),
  };

  return new Promise<SafeResponse>((resolve, reject) => {
    const req = send(url, requestOptions, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < SNIPPET_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bodySnippet: Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8'),
        });
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    const timer = setTimeout(() => {
      req.destroy(new RequestTimeoutError(`no response within ${request.timeoutMs} ms`));
    }, request.timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
};
