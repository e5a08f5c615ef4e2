/** `npm run seed [-- file.yaml]`: writes channels and policies from YAML into the local stack. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_DIR, ROOT, useEmulator } from './lib/local-aws.ts';
import { parseSeedYaml, seed } from './lib/seed.ts';

const file = process.argv[2] ?? join(ROOT, 'examples', 'herald.local.yaml');
const stackName = process.env.HERALD_STACK ?? 'Herald';
try {
  if (!process.env.HERALD_REAL_AWS) useEmulator(process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566');
  const outputs = (
    JSON.parse(readFileSync(join(LOCAL_DIR, `${stackName}.outputs.json`), 'utf8')) as Record<
      string,
      Record<string, string>
    >
  )[stackName];
  if (!outputs?.ConfigTableName || !outputs.SecretPrefix)
    throw new Error(`no outputs for ${stackName}: deploy first`);
  const secrets = await seed(parseSeedYaml(readFileSync(file, 'utf8')), {
    configTableName: outputs.ConfigTableName,
    secretPrefix: outputs.SecretPrefix,
  });
  for (const [channel, secret] of Object.entries(secrets))
    console.log(`• channel ${channel}: signing secret ${secret}`);
} catch (error) {
  console.error(`✖ ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
