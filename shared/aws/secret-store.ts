import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  type SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { CHANNEL_TAG, type SecretStore } from '../channels/record.ts';

/** A secret whose value is not what Herald reads (a JSON object); the message never quotes the value. */
export class SecretFormatError extends Error {
  override readonly name = 'SecretFormatError';
}

/** Herald's per-channel secrets in Secrets Manager, written by the admin API. */
export const secretsManagerStore = (client: SecretsManagerClient): SecretStore => ({
  async write(name, value, channelId) {
    const SecretString = JSON.stringify(value);
    const Tags = [{ Key: CHANNEL_TAG, Value: channelId }];
    try {
      const created = await client.send(new CreateSecretCommand({ Name: name, SecretString, Tags }));
      return created.ARN ?? name;
    } catch (error) {
      if (!(error instanceof ResourceExistsException)) throw error;
      const updated = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString }));
      // A secret written before the tag existed gets it now (tagging is idempotent).
      await client.send(new TagResourceCommand({ SecretId: name, Tags }));
      return updated.ARN ?? name;
    }
  },
  async read(secretId) {
    const result = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (result.SecretString === undefined)
      throw new SecretFormatError(`secret ${secretId} has no string value`);
    try {
      return JSON.parse(result.SecretString) as unknown;
    } catch {
      // JSON.parse's message quotes the start of the input, which is the secret: name the secret only.
      throw new SecretFormatError(`secret ${secretId} is not JSON (a referenced secret holds a JSON object)`);
    }
  },
  async remove(secretId) {
    await client.send(new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }));
  },
});
