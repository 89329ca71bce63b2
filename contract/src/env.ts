// Environment parsing shared by every service: validate all variables at once, list every problem, freeze.
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** "1"/"0", "true"/"false", "yes"/"no". */
export const envFlag = (defaultValue: boolean) =>
  z.enum(['1', '0', 'true', 'false', 'yes', 'no'], { message: 'must be 1 or 0' })
    .default(defaultValue ? '1' : '0')
    .transform((v) => v === '1' || v === 'true' || v === 'yes');

export const envPort = (defaultValue: number) =>
  z.coerce.number({ message: 'must be a port number' }).int('must be a whole number').min(0).max(65535).default(defaultValue);

export const envLogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

export function parseEnv<T extends z.ZodRawShape>(shape: T, env: Record<string, string | undefined>): Readonly<z.infer<z.ZodObject<T>>> {
  // empty strings count as unset, as in most shells' `VAR= cmd`
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = z.object(shape).safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}${i.path[0] && env[String(i.path[0])] !== undefined ? ` (got "${env[String(i.path[0])]}")` : ''}`));
  }
  return Object.freeze(result.data);
}
