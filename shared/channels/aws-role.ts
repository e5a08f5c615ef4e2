/**
 * The optional `roleArn` and `externalId` of the AWS channel types (`sqs`, `eventbridge`): the role, in
 * the receiving account or this one, that Herald assumes to send. Without them it sends with the
 * function's own role.
 */
import * as z from 'zod';
import { lazySchema } from '../runtime/lazy-schema.ts';
import type { AssumedRole, Target } from './types.ts';

/** `arn:<partition>:iam::<12-digit account>:role/<path/><name>` (IAM names and paths, `[\w+=,.@-]`). */
const ROLE_ARN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/** An AWS region name as ARNs and endpoints carry it (`eu-west-1`, `us-gov-west-1`, `cn-north-1`). */
export const REGION = '[a-z]{2,4}(?:-[a-z]+)+-\\d{1,2}';

export const RoleArn = lazySchema(() =>
  z
    .string()
    .max(2048)
    .regex(ROLE_ARN, 'roleArn must be arn:<partition>:iam::<12-digit account>:role/<role name>'),
);

/** STS `ExternalId`: 2 to 1,224 characters of `[\w+=,.@:/-]` (not a secret: AWS calls it an identifier). */
export const ExternalId = lazySchema(() =>
  z
    .string()
    .regex(
      /^[\w+=,.@:/-]{2,1224}$/,
      'externalId must be 2 to 1,224 letters, digits and the characters _ + = , . @ : / -',
    ),
);

/** The role settings both AWS channel types share. */
export interface RoleSettings {
  readonly roleArn?: string | undefined;
  readonly externalId?: string | undefined;
}

/** The role a channel sends as, or undefined for the function's own. */
export const roleOf = (settings: RoleSettings): AssumedRole | undefined =>
  settings.roleArn === undefined
    ? undefined
    : {
        roleArn: settings.roleArn,
        ...(settings.externalId === undefined ? {} : { externalId: settings.externalId }),
      };

/** The role as a save-time target: it must be one the stack lets Herald assume. */
export const roleTargets = (settings: RoleSettings): Target[] =>
  settings.roleArn === undefined
    ? []
    : [{ kind: 'iam-role', path: 'config.roleArn', value: settings.roleArn }];

/** `externalId` goes with `AssumeRole`: alone, it would be ignored without anyone noticing. */
export const checkRole = (settings: RoleSettings): { path: string; message: string }[] =>
  settings.externalId !== undefined && settings.roleArn === undefined
    ? [{ path: 'externalId', message: 'externalId is passed when assuming roleArn: give roleArn too' }]
    : [];

/** How a summary names the role: ` as <role name>`, or nothing. */
export const roleSummary = (settings: RoleSettings): string =>
  settings.roleArn === undefined
    ? ''
    : ` as ${settings.roleArn.slice(settings.roleArn.lastIndexOf('/') + 1)}`;
