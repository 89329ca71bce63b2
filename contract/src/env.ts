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
  z.string().regex(/^\d{1,5}$/, 'must be a port number from 0 to 65535').transform(Number)
    .refine((n) => n <= 65535, 'must be a port number from 0 to 65535').default(defaultValue);

export const envLogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/**
 * `crossChecks` see the raw environment and add problems that involve several variables, so that
 * they are reported together with the per-variable ones.
 */
export function parseEnv<T extends z.ZodRawShape>(shape: T, env: Record<string, string | undefined>, crossChecks: (env: Record<string, string>) => string[] = () => []): Readonly<z.infer<z.ZodObject<T>>> {
  // empty (or blank) strings count as unset, as in most shells' `VAR= cmd`
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== '')) as Record<string, string>;
  const result = z.object(shape).safeParse(cleaned);
  const extra = crossChecks(cleaned);
  if (!result.success || extra.length) {
    throw new ConfigError((result.success ? [] : result.error.issues).map((i) => `${i.path.join('.') || 'environment'}: ${i.message}${i.path[0] && env[String(i.path[0])] !== undefined ? ` (got "${env[String(i.path[0])]}")` : ''}`).concat(extra));
  }
  return Object.freeze(result.data);
}
