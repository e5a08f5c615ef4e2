import { ConfigurationError } from '../domain/errors.ts';
import type { EnvName } from './env-names.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Reads a required environment variable, failing fast with the variable's name. */
export const requireEnv = (name: EnvName, env: Env = process.env): string => {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ConfigurationError(`Environment variable ${name} is required`);
  }
  return value;
};

/** Reads an optional integer environment variable. */
export const intEnv = (name: EnvName, fallback: number, env: Env = process.env): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigurationError(`Environment variable ${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
};

/** Reads an optional boolean environment variable (`true`/`false`). */
export const boolEnv = (name: EnvName, fallback: boolean, env: Env = process.env): boolean => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') {
    throw new ConfigurationError(`Environment variable ${name} must be "true" or "false", got "${raw}"`);
  }
  return raw === 'true';
};

/** Reads an optional comma-separated list environment variable (empty entries dropped). */
export const listEnv = (name: EnvName, env: Env = process.env): string[] =>
  (env[name] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');

/** Reads an optional string environment variable. */
export const optionalEnv = (name: EnvName, env: Env = process.env): string | undefined => {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
};
