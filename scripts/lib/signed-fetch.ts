/**
 * `fetch` signed with SigV4 for `execute-api`, as IAM-authorized HTTP API routes require (or for
 * another service's REST API, `service`).
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import { sigV4Headers } from '../../cli/signing.ts';

export interface SignedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** The service signed for. @default 'execute-api' */
  readonly service?: string;
}

export const signedFetch = async (request: SignedRequest, region = process.env.AWS_REGION ?? 'us-east-1') => {
  const url = new URL(request.url);
  const signer = new SignatureV4({
    service: request.service ?? 'execute-api',
    region,
    credentials: fromNodeProviderChain(),
    sha256: Sha256,
  });
  const headers = await sigV4Headers(signer, {
    method: request.method,
    url,
    headers: request.headers ?? {},
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  return fetch(url, {
    method: request.method,
    headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  });
};
