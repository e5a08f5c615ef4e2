/**
 * Credentials of the roles channels send as (`roleArn`, `externalId`): one STS `AssumeRole` per role and
 * external id, kept until shortly before the session expires, so a channel in another account costs one
 * STS call an hour per function instance, not one per delivery.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { AssumeRoleError } from '../aws-errors.ts';
import type { AssumedRole } from '../types.ts';

/** Temporary credentials, in the shape SDK clients take as `credentials`. */
export interface RoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** What one `AssumeRole` needs: the STS client in the functions, a fake in unit tests. */
export type AssumeRoleCall = (input: {
  readonly RoleArn: string;
  readonly RoleSessionName: string;
  readonly ExternalId?: string;
  readonly DurationSeconds: number;
}) => Promise<RoleCredentials>;

/** How long a session is asked for: the most STS gives a Lambda role (role chaining caps it at 1 h). */
export const SESSION_SECONDS = 60 * 60;
/** A session is renewed this long before it expires, so no request is signed with one about to lapse. */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60 * 1000;
/** `RoleSessionName`: what the receiving account's CloudTrail shows as the session. */
export const SESSION_NAME = 'herald';

interface Session {
  readonly pending: Promise<RoleCredentials>;
  credentials?: RoleCredentials;
}

/** Assumed-role credentials, cached per (role ARN, external id) until shortly before they expire. */
export class AssumedRoleCredentials {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly assumeRole: AssumeRoleCall,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * The role's credentials: the cached session while it has more than {@link REFRESH_BEFORE_EXPIRY_MS}
   * left, else a new one (callers asking meanwhile share the one `AssumeRole`). A refused `AssumeRole`
   * throws {@link AssumeRoleError} with the STS error as its cause, and is not kept: the next call asks
   * again (a trust policy fixed since applies at once).
   */
  get(role: AssumedRole): Promise<RoleCredentials> {
    const key = JSON.stringify([role.roleArn, role.externalId ?? null]);
    const session = this.sessions.get(key);
    if (session !== undefined && (session.credentials === undefined || this.fresh(session.credentials))) {
      return session.pending;
    }
    const next: Session = {
      pending: this.assumeRole({
        RoleArn: role.roleArn,
        RoleSessionName: SESSION_NAME,
        ...(role.externalId === undefined ? {} : { ExternalId: role.externalId }),
        DurationSeconds: SESSION_SECONDS,
      }).then(
        (credentials) => {
          next.credentials = credentials;
          return credentials;
        },
        (error: unknown) => {
          if (this.sessions.get(key) === next) this.sessions.delete(key);
          throw new AssumeRoleError(role.roleArn, { cause: error });
        },
      ),
    };
    this.sessions.set(key, next);
    return next.pending;
  }

  private fresh(credentials: RoleCredentials): boolean {
    return credentials.expiration.getTime() - this.now().getTime() > REFRESH_BEFORE_EXPIRY_MS;
  }
}

/** `AssumeRole` through an STS client; credentials without an expiry are taken to last the session. */
export const stsAssumeRole =
  (sts: STSClient, now: () => Date = () => new Date()): AssumeRoleCall =>
  async (input) => {
    const { Credentials: credentials } = await sts.send(new AssumeRoleCommand(input));
    if (
      credentials?.AccessKeyId === undefined ||
      credentials.SecretAccessKey === undefined ||
      credentials.SessionToken === undefined
    ) {
      throw new Error(`STS answered AssumeRole of ${input.RoleArn} without credentials`);
    }
    return {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: credentials.Expiration ?? new Date(now().getTime() + input.DurationSeconds * 1000),
    };
  };

/** Sessions of assumed roles through the function's own STS client (built when a role is first used). */
export const createAssumedRoles = (): AssumedRoleCredentials =>
  new AssumedRoleCredentials(stsAssumeRole(new STSClient({})));
