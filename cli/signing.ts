/** SigV4 for `execute-api`, as the IAM-authorized HTTP API routes require. */
import type { SignatureV4 } from '@smithy/signature-v4';

export interface RequestToSign {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Signs a request; returns the headers to send (without `host`, which fetch sets to the signed value). */
export const sigV4Headers = async (
  signer: SignatureV4,
  request: RequestToSign,
): Promise<Record<string, string>> => {
  const { url } = request;
  const signed = await signer.sign({
    method: request.method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { host: url.host, ...request.headers },
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  const { host: _host, ...headers } = signed.headers;
  return headers;
};
