import { isIP } from 'node:net';
import { parseQueueUrl, queueArn } from '../channels/sqs/index.ts';
import type { Target } from '../channels/types.ts';
import { ValidationError } from '../domain/errors.ts';
import { globMatches } from '../domain/glob.ts';
import { bareHost, isPrivateAddress } from '../http/address-guard.ts';
import { systemLookup } from '../http/dns.ts';
import { assertTargetAllowed, type SafeRequestOptions, TargetNotAllowedError } from '../http/safe-request.ts';

/** What the stack lets channels send to (SPEC §5 and the stack's AWS allow-lists). */
export interface TargetPolicy extends SafeRequestOptions {
  /** SNS topic ARNs (or ARN globs) the deliver function may publish to. */
  readonly snsTopicArns: readonly string[];
  /** SES identities (addresses or domains) the deliver function may send from. */
  readonly sesIdentities: readonly string[];
  /** SQS queue ARNs (or ARN globs) the deliver function may send to. */
  readonly sqsQueueArns: readonly string[];
  /** EventBridge bus ARNs (or ARN globs) the deliver function may put events on. */
  readonly eventBusArns: readonly string[];
  /** IAM role ARNs (or ARN globs) channels may send as (`roleArn`). */
  readonly assumableRoleArns: readonly string[];
  /** The buses Herald ingests from: an `eventbridge` channel putting there would loop. */
  readonly ingestBusArns: readonly string[];
  /** The stack's region: an emulator's queue URL names none, so its ARN takes this one. */
  readonly region: string;
}

/** SMTP submission ports a public mail server may be reached on. */
export const SMTP_PORTS = [25, 465, 587, 2525] as const;

const refuse = (path: string, message: string) =>
  new ValidationError('invalid_request', 'the channel target is not allowed', [{ path, message }]);

/**
 * A host with any non-public address among its answers is refused (as at connect time: such a name is
 * misconfigured or pointed inward on purpose, and the next lookup may answer differently); one that
 * does not resolve yet passes.
 */
const assertPublicHost = async (host: string, path: string, options: SafeRequestOptions): Promise<void> => {
  let addresses: { address: string }[];
  try {
    addresses = await (options.lookup ?? systemLookup)(bareHost(host));
  } catch {
    return;
  }
  if (addresses.some((entry) => isPrivateAddress(entry.address))) {
    throw refuse(path, `${host} resolves to a non-public address`);
  }
};

/**
 * Checks a channel's target URL at registration (SPEC §5): `https://` to a public address unless
 * private targets are allowed. A name with a non-public address among its answers is refused; a name
 * that does not resolve yet is accepted (the connect-time check still guards every delivery).
 */
export const validateTargetUrl = async (
  url: string,
  path: string,
  options: SafeRequestOptions,
): Promise<void> => {
  const parsed = new URL(url);
  try {
    assertTargetAllowed(parsed, options);
  } catch (error) {
    if (error instanceof TargetNotAllowedError) throw refuse(path, error.message);
    throw error;
  }
  if (!options.allowPrivateTargets) await assertPublicHost(parsed.hostname, path, options);
};

/** Checks a mail server: a public host on a submission port, unless private targets are allowed. */
export const validateTargetHost = async (
  host: string,
  port: number,
  path: string,
  options: SafeRequestOptions,
): Promise<void> => {
  if (options.allowPrivateTargets) return;
  const bare = bareHost(host).toLowerCase().replace(/\.+$/, '');
  if (bare === 'localhost' || bare.endsWith('.localhost') || (isIP(bare) !== 0 && isPrivateAddress(bare))) {
    throw refuse(path, `${host} is not a public address`);
  }
  if (!(SMTP_PORTS as readonly number[]).includes(port)) {
    throw refuse(path.replace(/host$/, 'port'), `port must be one of ${SMTP_PORTS.join(', ')}`);
  }
  await assertPublicHost(bare, path, options);
};

/** The identity an address sends as: the address itself or its domain, whichever the stack names. */
const identityAllowed = (from: string, identities: readonly string[]): boolean => {
  const address = (/<([^<>]+)>\s*$/.exec(from)?.[1] ?? from).trim().toLowerCase();
  const domain = address.slice(address.lastIndexOf('@') + 1);
  return identities.some((identity) => {
    const wanted = identity.toLowerCase();
    return wanted === address || wanted === domain;
  });
};

/** Refuses `value` at `path` unless one of the stack's `patterns` (its prop `prop`) matches `arn`. */
const assertAllowed = (
  target: { readonly path: string; readonly value: string },
  arn: string,
  patterns: readonly string[],
  prop: string,
  what: string,
): void => {
  if (patterns.some((pattern) => globMatches(pattern, arn))) return;
  throw refuse(
    target.path,
    patterns.length === 0
      ? `this stack allows no ${what}: list them in the ${prop} prop`
      : `${arn} is not among the ${what} this stack allows (${prop})`,
  );
};

/**
 * An SQS queue URL, checked as its ARN against `sqsQueueArns`. Only SQS endpoints are taken unless
 * private targets are allowed (an emulator's `http://localhost:4566/<account>/<name>`, local stacks).
 */
const validateQueue = (target: { readonly path: string; readonly value: string }, policy: TargetPolicy) => {
  const queue = parseQueueUrl(target.value);
  if (queue === undefined || (!queue.aws && !policy.allowPrivateTargets)) {
    throw refuse(
      target.path,
      'must be an SQS queue URL, https://sqs.<region>.amazonaws.com/<account>/<queue name>',
    );
  }
  assertAllowed(target, queueArn(queue, policy.region), policy.sqsQueueArns, 'sqsQueueArns', 'SQS queues');
};

/** Checks every target of a channel against the stack's rules; throws a 400 naming the field. */
export const validateTargets = async (targets: readonly Target[], policy: TargetPolicy): Promise<void> => {
  for (const target of targets) {
    switch (target.kind) {
      case 'url':
        await validateTargetUrl(target.url, target.path, policy);
        break;
      case 'host':
        await validateTargetHost(target.host, target.port, target.path, policy);
        break;
      case 'sns-topic':
        if (!policy.snsTopicArns.some((pattern) => globMatches(pattern, target.value))) {
          throw refuse(
            target.path,
            policy.snsTopicArns.length === 0
              ? 'this stack allows no SNS topics: list them in the snsTopicArns prop'
              : `${target.value} is not among the topics this stack may publish to (snsTopicArns)`,
          );
        }
        break;
      case 'sqs-queue':
        validateQueue(target, policy);
        break;
      case 'event-bus':
        if (policy.ingestBusArns.includes(target.value)) {
          throw refuse(
            target.path,
            'this is a bus Herald ingests from: events put on it would come back to Herald (a loop)',
          );
        }
        assertAllowed(target, target.value, policy.eventBusArns, 'eventBusArns', 'EventBridge buses');
        break;
      case 'iam-role':
        assertAllowed(target, target.value, policy.assumableRoleArns, 'assumableRoleArns', 'roles to assume');
        break;
      case 'ses-identity':
        if (!identityAllowed(target.value, policy.sesIdentities)) {
          throw refuse(
            target.path,
            policy.sesIdentities.length === 0
              ? 'this stack allows no SES identities: list them in the sesIdentities prop'
              : `${target.value} is not an identity this stack may send from (sesIdentities)`,
          );
        }
        break;
    }
  }
};
