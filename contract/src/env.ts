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

/**
 * Express's `trust proxy` from TRUST_PROXY. 0/false/no (default): clients connect directly, X-Forwarded-*
 * is ignored. 1/true/yes: one reverse proxy in front (the address it saw is the client's). A number: that
 * many proxies in front. Otherwise a comma-separated list of the proxies' addresses or subnets (IPv4/IPv6,
 * CIDR) or Express's names loopback, linklocal, uniquelocal. Never Express's `true` ("trust every
 * X-Forwarded-For entry"), which would let a client pick its own address by writing that header.
 */
export type TrustProxy = false | number | readonly string[];

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function isIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.split('::').length > 2) return false;
  let groups = s.split(':');
  const last = groups[groups.length - 1]!;
  let width = 8;
  if (last.includes('.')) {
    if (!isIPv4(last)) return false;
    groups = groups.slice(0, -1);
    width = 6;
  }
  if (s.includes('::')) {
    const filled = groups.filter((g) => g !== '');
    return filled.length < width && filled.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g));
  }
  return groups.length === width && groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g));
}

/** An address, a CIDR subnet or one of Express's names; hostnames are not (Express matches addresses). */
function isProxyEntry(entry: string): boolean {
  if (PROXY_NAMES.includes(entry)) return true;
  const [address, prefix, extra] = entry.split('/');
  if (extra !== undefined || !address) return false;
  const v4 = isIPv4(address);
  if (!v4 && !isIPv6(address)) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (v4 ? 32 : 128));
}

export function parseTrustProxy(text: string): TrustProxy | null {
  const v = text.trim().toLowerCase();
  if (['0', 'false', 'no'].includes(v)) return false;
  if (['1', 'true', 'yes'].includes(v)) return 1;
  if (/^\d{1,2}$/.test(v)) return Number(v);
  const entries = v.split(',').map((e) => e.trim());
  return entries.every(isProxyEntry) ? Object.freeze(entries) : null;
}

export const envTrustProxy = z.string().default('0')
  .refine((v) => parseTrustProxy(v) !== null, 'must be 0 (no proxy), 1 or true (one reverse proxy in front), the number of proxies in front, or their addresses or subnets, comma-separated (e.g. loopback, 10.0.0.0/8)')
  .transform((v) => parseTrustProxy(v)!);
