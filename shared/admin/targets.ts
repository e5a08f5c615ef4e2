import { lookup } from 'node:dns/promises';
import { ValidationError } from '../errors.ts';
import { bareHost, isPrivateAddress } from '../http/address-guard.ts';
import { assertTargetAllowed, TargetNotAllowedError } from '../http/safe-request.ts';

/**
 * Checks a channel's target URL at registration (SPEC §5): `https://` to a public address unless
 * private targets are allowed. A name that resolves only to private addresses is refused; a name that
 * does not resolve yet is accepted (the connect-time check still guards every delivery).
 */
export const validateTargetUrl = async (
  url: string,
  path: string,
  allowPrivateTargets: boolean,
): Promise<void> => {
  const refuse = (message: string) =>
    new ValidationError('invalid_request', 'the channel target is not allowed', [{ path, message }]);
  const parsed = new URL(url);
  try {
    assertTargetAllowed(parsed, { allowPrivateTargets });
  } catch (error) {
    if (error instanceof TargetNotAllowedError) throw refuse(error.message);
    throw error;
  }
  if (allowPrivateTargets) return;
  let addresses: { address: string }[];
  try {
    addresses = await lookup(bareHost(parsed.hostname), { all: true });
  } catch {
    return;
  }
  if (addresses.length > 0 && addresses.every((entry) => isPrivateAddress(entry.address))) {
    throw refuse(`${parsed.hostname} resolves only to non-public addresses`);
  }
};
