// Known secrets on an open network: the demo city's passwords are public (demo-<username>, device
// secrets demo-<id>) and .env.example's secrets are placeholders anyone can read. A process that
// would listen beyond loopback with either refuses to start, unless CITYGRID_DEMO=1 says that
// showing the demo on this network is meant.
import type { City } from './city-loader.js';

/** Secrets that are placeholders: .env.example's `demo-only-…` and the README's `change-me…`. */
export const PLACEHOLDER_SECRET = /^(demo-only-|change-?me)/i;
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

export interface Exposure {
  /** What the process binds: variable name -> host (null when it binds nothing for that variable). */
  listens: Record<string, string | null>;
  city: City;
  /** Secrets in use: variable name -> value (unset ones may be null). */
  secrets: Record<string, string | null | undefined>;
  /** CITYGRID_DEMO=1 */
  demoAllowed: boolean;
}

/** The message to refuse to start with, or null when nothing known would be exposed. */
export function demoExposureProblem(o: Exposure): string | null {
  if (o.demoAllowed) return null;
  const open = Object.entries(o.listens).filter(([, host]) => host !== null && !LOOPBACK.test(host));
  if (open.length === 0) return null;
  const known: string[] = [];
  if (o.city.meta.demo === true) known.push(`the demo city (${o.city.dir}), whose passwords everyone knows (admin / demo-admin, device secrets demo-<id>)`);
  const placeholders = Object.entries(o.secrets).filter(([, v]) => typeof v === 'string' && PLACEHOLDER_SECRET.test(v)).map(([k]) => k);
  if (placeholders.length) known.push(`the placeholder secret${placeholders.length > 1 ? 's' : ''} ${placeholders.join(', ')} (from .env.example or the README)`);
  if (known.length === 0) return null;
  return [
    `CityGrid will not listen on ${open.map(([k, host]) => `${host} (${k})`).join(' and ')} with ${known.join(' and ')}: anyone who can reach it could sign in.`,
    'Use your own city (CITY_DIR) and secrets, or listen on loopback only (HOST=127.0.0.1, MQTT_HOST=127.0.0.1),',
    'or set CITYGRID_DEMO=1 to show the demo on this network on purpose.',
  ].join('\n');
}

export class DemoExposureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoExposureError';
  }
}

/** Throws DemoExposureError when demoExposureProblem finds something. */
export function refuseDemoExposure(o: Exposure): void {
  const problem = demoExposureProblem(o);
  if (problem) throw new DemoExposureError(problem);
}
