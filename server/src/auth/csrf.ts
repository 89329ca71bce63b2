// Writes signed in by the session cookie must come from the dashboard's own pages. SameSite=Strict
// keeps the cookie from other sites, but not from other ports or subdomains of the same site (the
// InfluxDB UI on :8086, a Grafana on grafana.<host>): their pages can post a plain form (text/plain,
// no preflight) and the browser adds the cookie. So an unsafe method authenticated by the cookie needs
//   - Content-Type: application/json (another origin can only send that after a CORS preflight, which
//     the server answers for CORS_ORIGINS only), and
//   - an Origin of this server (its Host, or X-Forwarded-Host behind a proxy) or one in CORS_ORIGINS,
//     or else Sec-Fetch-Site: same-origin (browsers send it on https and localhost; on a plain-HTTP LAN
//     the Origin, which every browser sends on a POST, does it).
// Requests with Authorization: Bearer are not checked: a page of another origin cannot add that header
// without a preflight, and cannot read the token. Safe methods change nothing and are not checked.

type Headers = Record<string, string | string[] | undefined>;

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

function sameHost(origin: string, hosts: (string | undefined)[]): boolean {
  let host: string;
  try {
    host = new URL(origin).host.toLowerCase();
  } catch {
    return false;
  }
  return hosts.some((h) => h !== undefined && h.split(',')[0]!.trim().toLowerCase() === host);
}

/** Why a cookie-signed request may not go on (words for "it ..."), or null when it may. */
export function crossSiteRefusal(req: { method: string; headers: Headers }, allowedOrigins: readonly string[]): string | null {
  if (SAFE.has(req.method.toUpperCase())) return null;
  const type = (first(req.headers['content-type']) ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return `needs Content-Type: application/json (got ${type ? type.slice(0, 100) : 'none'})`;
  const origin = first(req.headers.origin);
  const site = first(req.headers['sec-fetch-site']);
  if (site === 'same-origin') return null;
  if (origin && origin !== 'null' && (allowedOrigins.includes(origin) || sameHost(origin, [first(req.headers.host), first(req.headers['x-forwarded-host'])]))) return null;
  return `needs an Origin of this server or Sec-Fetch-Site: same-origin (got Origin ${origin ? origin.slice(0, 100) : 'none'}, Sec-Fetch-Site ${site ? site.slice(0, 30) : 'none'})`;
}
