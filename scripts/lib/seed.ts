/**
 * The foundation's seed step: reads channels and policies from a YAML file into the config table and
 * Secrets Manager. Thin on purpose; the admin API and `herald apply` replace it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { ConfigRepository } from '../../shared/aws/config-repository.ts';
import { splitWebhookChannel, WebhookChannelInput } from '../../shared/channel.ts';
import { Policy } from '../../shared/policy.ts';

export const SeedFile = z.strictObject({
  channels: z.array(WebhookChannelInput).default([]),
  policies: z.array(Policy).default([]),
});
export type SeedFile = z.input<typeof SeedFile>;

export interface SeedTarget {
  readonly configTableName: string;
  readonly secretPrefix: string;
}

/** Parses seed YAML, with field paths in errors. */
export const parseSeedYaml = (text: string): z.infer<typeof SeedFile> => {
  const result = SeedFile.safeParse(parseYaml(text));
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid seed file:\n${problems.join('\n')}`);
  }
  return result.data;
};

/** Writes channels (secrets first) and policies. Returns each channel's signing secret. */
export const seed = async (file: SeedFile, target: SeedTarget): Promise<Record<string, string>> => {
  const parsed = SeedFile.parse(file);
  const secrets = new SecretsManagerClient({});
  const repository = new ConfigRepository(
    DynamoDBDocumentClient.from(new DynamoDBClient({})),
    target.configTableName,
    console,
  );
  const now = new Date().toISOString();
  const signingSecrets: Record<string, string> = {};
  for (const channel of parsed.channels) {
    const name = `${target.secretPrefix}${channel.id}`;
    const { record, secret } = splitWebhookChannel(channel, name, now);
    await putSecret(secrets, name, JSON.stringify(secret));
    await repository.putChannel(record);
    signingSecrets[channel.id] = secret.signingSecret;
  }
  for (const policy of parsed.policies) await repository.putPolicy(policy, now);
  return signingSecrets;
};

const putSecret = async (client: SecretsManagerClient, name: string, value: string): Promise<void> => {
  try {
    await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
  }
};
