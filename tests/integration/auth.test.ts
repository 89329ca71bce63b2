// Proves sign-in guards every REST route: a table of all routes × roles (no token 401, wrong role 403,
// grid workers only on their own cells' alerts) that must list exactly the routes the Express app
// mounts, the login cookie, expired and forged tokens, logout, the audit log of every action,
// rate-limited failed sign-ins, and no hash or secret in any answer or log.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_TTL_MS, type AuditEntry, type GridCellPeople, type LoginResponse, type UserView } from '@citygrid/contract';
import { API_ROUTES, openApiDocument } from '@citygrid/contract/openapi';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { buildApp, type AppDeps } from '../../server/src/http/app.js';
import { AUTH_SECRET, signToken, startSignedInCity, type SignedInCity, type Who } from '../helpers/signed-in-city.js';
import { ROOT, connectDevice, end, login, sendJson, waitFor } from '../helpers/system.js';

let city: SignedInCity;
const answers: string[] = []; // every response body, for the leak check

beforeAll(async () => {
  city = await startSignedInCity();
});
afterAll(async () => {
  await city?.close();
});

async function call(method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${city.system.baseUrl}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  answers.push(text);
  return { status: res.status, text, json: () => JSON.parse(text) as { error?: { code: string; message: string } } & Record<string, unknown>, headers: res.headers };
}

const WHO: Who[] = ['none', 'viewer', 'gridworker', 'operator', 'admin'];
const read = { viewer: 200, gridworker: 200, operator: 200, admin: 200 };
type Expect = Record<Exclude<Who, 'none'>, number>;
/** One call of a route, with the status each role gets. */
interface Case {
  /** Tells two cases of one route apart. */
  label?: string;
  /** Default: the route's path. */
  path?: (who: Who) => string | Promise<string>;
  body?: unknown;
  /** A fresh sign-in for this call (logout ends the session). */
  fresh?: boolean;
  /** The grid worker's part is played by the supervisor of B's district (alerts of cell B). */
  supervisor?: boolean;
  expect: Expect;
  /** Without a token; 401 unless said. */
  none?: number;
}

const a = (rule: string) => city.alertsA[rule]!.id;
const resolveTarget: Record<Who, string> = { none: 'm5', viewer: 'm5', gridworker: 'm2', operator: 'm3', admin: 'm4' };
/** The alert of this rule in cell A (or B), handled by the cell's grid worker (again, if it was sent back). */
async function handled(rule: string, cell: 'A' | 'B' = 'A'): Promise<string> {
  const id = (cell === 'A' ? city.alertsA : city.alertsB)[rule]!.id;
  const token = cell === 'A' ? city.tokens.gridworker : await login(city.system.baseUrl, `gw-${city.B.grid}`);
  const res = await call('POST', `/api/alerts/${id}/resolve`, token, { note: 'cover put back' });
  expect([200, 409]).toContain(res.status);
  return id;
}
const B_RULE: Record<Who, string> = { none: 'm2', viewer: 'm2', gridworker: 'm2', operator: 'm3', admin: 'm4' };
/** A device added for one case (by the admin), so that changing or removing it touches no other case's devices. */
let provisionedCount = 0;
async function provisioned(): Promise<string> {
  const id = `aq-auth-${++provisionedCount}`;
  const res = await call('POST', '/api/admin/devices', city.tokens.admin, { id, kind: 'air_quality', location: city.A.location });
  expect(res.status).toBe(201);
  return id;
}
async function maintenanceWindow(): Promise<string> {
  const gas = city.system.city.devices.find((d) => d.kind === 'gas')!;
  const res = await call('POST', '/api/maintenance', city.tokens.admin, { device: gas.id, reason: 'calibration', for: '1h' });
  return (res.json().window as { id: string }).id;
}

/** The web dashboard's shell route, mounted when web/dist is built (else GET / says how to build it). */
const WEB_DIST = join(ROOT, 'web', 'dist');
const DASHBOARD_BUILT = existsSync(join(WEB_DIST, 'index.html'));
const APP_SHELL = String(/^\/(?!api\/|socket\.io\/|metrics$).*/);

// Every route the app mounts, by "METHOD path" as Express holds it: the test below compares these keys
// with the app's router, so a new route fails until it is listed here with what each role gets.
const ROUTES: Record<string, Case[]> = {
  'GET /api/health': [{ expect: read, none: 200 }],
  'GET /api/openapi.json': [{ expect: read, none: 200 }],
  'GET /api/asyncapi.json': [{ expect: read, none: 200 }],
  'GET /api/docs': [{ expect: read, none: 200 }],
  'GET /api/docs/init.js': [{ expect: read, none: 200 }],
  'GET /api/docs/swagger-ui.css': [{ expect: read, none: 200 }],
  'GET /api/docs/swagger-ui-bundle.js': [{ expect: read, none: 200 }],
  // open; a good password signs in whoever calls (a wrong one would count against the rate limit tested last)
  'POST /api/auth/login': [{ body: { username: 'viewer', password: 'demo-viewer' }, expect: read, none: 200 }],
  // fresh: a refresh retires the token it replaces, and the shared tokens serve the other cases
  'POST /api/auth/refresh': [{ fresh: true, expect: read }],
  'POST /api/auth/logout': [{ fresh: true, expect: { viewer: 204, gridworker: 204, operator: 204, admin: 204 } }],
  'GET /api/auth/me': [{ expect: read }],
  // an empty body is refused for what it lacks (people-admin.test.ts changes passwords and people for real)
  'POST /api/auth/password': [{ body: {}, expect: { viewer: 400, gridworker: 400, operator: 400, admin: 400 } }],
  'GET /api/admin/people': [{ expect: { viewer: 403, gridworker: 403, operator: 403, admin: 200 } }],
  'POST /api/admin/people': [{ body: {}, expect: { viewer: 403, gridworker: 403, operator: 403, admin: 400 } }],
  'PATCH /api/admin/people/:username': [{ path: () => '/api/admin/people/no-such-person', body: { name: 'x' }, expect: { viewer: 403, gridworker: 403, operator: 403, admin: 404 } }],
  'GET /api/city': [{ expect: read }],
  'GET /api/grid': [{ expect: read }],
  'GET /api/districts': [{ expect: read }],
  'GET /api/devices': [{ expect: read }],
  'GET /api/devices/:id': [{ path: () => `/api/devices/${city.A.id}`, expect: read }],
  'GET /api/devices/:id/readings': [{ path: () => `/api/devices/${city.A.id}/readings?metric=open`, expect: read }],
  'GET /api/devices/:id/readings.csv': [{ path: () => `/api/devices/${city.A.id}/readings.csv?metric=open`, expect: read }],
  'GET /api/devices/:id/activity': [{ path: () => `/api/devices/${city.A.id}/activity`, expect: read }],
  // a camera: the role is checked first, then 409 (cameras send events, not readings): no reading is sent
  'POST /api/devices/:id/test-reading': [{ path: () => `/api/devices/${city.system.city.devices.find((d) => d.kind === 'camera')!.id}/test-reading`, body: {}, expect: { viewer: 403, gridworker: 403, operator: 409, admin: 409 } }],
  'GET /api/camera-events': [{ path: () => `/api/camera-events?grid=${city.A.grid}`, expect: read }],
  'GET /api/cells/:id/readings': [{ path: () => `/api/cells/${city.A.grid}/readings`, expect: read }],
  'GET /api/cells/:id/readings.csv': [{ path: () => `/api/cells/${city.A.grid}/readings.csv`, expect: read }],
  'GET /api/rejections': [{ expect: read }],
  'GET /api/replay': [{ path: () => '/api/replay?step=1m', expect: read }],
  'GET /api/alerts': [{ path: () => '/api/alerts?state=all', expect: read }],
  'GET /api/alerts/history': [{ expect: read }],
  'GET /api/alerts/history.csv': [{ expect: read }],
  'GET /api/alerts/:id': [{ path: () => `/api/alerts/${a('m1')}`, expect: read }],
  'POST /api/alerts/:id/ack': [{ path: () => `/api/alerts/${a('m1')}/ack`, body: { note: 'on my way' }, expect: { viewer: 403, gridworker: 200, operator: 200, admin: 200 } }],
  'POST /api/alerts/:id/resolve': [{ path: (who) => `/api/alerts/${a(resolveTarget[who])}/resolve`, body: { note: 'cover put back' }, expect: { viewer: 403, gridworker: 200, operator: 200, admin: 200 } }],
  // the grid worker of A's cell handles it first (orange: it waits for verification), then each role tries
  // (and the supervisor of B's district, on cell B's alerts handled by that cell's grid worker)
  'POST /api/alerts/:id/verify': [
    { label: 'the cell\'s grid worker', path: async (who) => `/api/alerts/${await handled(who === 'admin' ? 'm5' : 'm7')}/verify`, body: { note: 'checked' }, expect: { viewer: 403, gridworker: 403, operator: 200, admin: 200 } },
    { label: 'a supervisor', supervisor: true, path: async (who) => `/api/alerts/${await handled(B_RULE[who], 'B')}/verify`, body: { note: 'checked' }, expect: { viewer: 403, gridworker: 200, operator: 200, admin: 200 } },
  ],
  'POST /api/alerts/:id/send-back': [
    { label: 'the cell\'s grid worker', path: async () => `/api/alerts/${await handled('m8')}/send-back`, body: { note: 'still open' }, expect: { viewer: 403, gridworker: 403, operator: 200, admin: 200 } },
    { label: 'a supervisor', supervisor: true, path: async () => `/api/alerts/${await handled('m5', 'B')}/send-back`, body: { note: 'still open' }, expect: { viewer: 403, gridworker: 200, operator: 200, admin: 200 } },
  ],
  'POST /api/alerts/:id/dispatch': [
    { label: 'the cell\'s grid worker', path: () => `/api/alerts/${a('m6')}/dispatch`, body: { to: 'gw-jianghan-001', note: 'nearest crew' }, expect: { viewer: 403, gridworker: 403, operator: 200, admin: 200 } },
    { label: 'a supervisor', supervisor: true, path: () => `/api/alerts/${city.alertsB.m6!.id}/dispatch`, body: { to: 'gw-jianghan-001' }, expect: { viewer: 403, gridworker: 200, operator: 200, admin: 200 } },
  ],
  'GET /api/people': [{ expect: read }],
  'GET /api/maintenance': [{ expect: read }],
  'POST /api/maintenance': [
    { label: 'invalid', body: { grid: 'no-such-cell-but-checked-after-the-role', reason: 'x', for: '1h' }, expect: { viewer: 403, gridworker: 403, operator: 400, admin: 400 } },
    { body: { device: 'wl-0003', reason: 'new gauge', for: '1h' }, expect: { viewer: 403, gridworker: 403, operator: 201, admin: 201 } },
  ],
  'DELETE /api/maintenance/:id': [{ path: async () => `/api/maintenance/${await maintenanceWindow()}`, expect: { viewer: 403, gridworker: 403, operator: 204, admin: 204 } }],
  'GET /api/scores': [{ path: () => '/api/scores?by=district', expect: read }],
  'GET /api/rules': [{ expect: read }],
  'POST /api/rules/reload': [{ expect: { viewer: 403, gridworker: 403, operator: 403, admin: 200 } }],
  'GET /api/audit': [{ expect: { viewer: 403, gridworker: 403, operator: 403, admin: 200 } }],
  // device provisioning (device-provisioning.test.ts tests what they do): admins only
  'GET /api/admin/devices': [{ expect: { viewer: 403, gridworker: 403, operator: 403, admin: 200 } }],
  'POST /api/admin/devices': [{ body: { id: 'aq-auth-added', kind: 'air_quality', location: [0, 0] }, expect: { viewer: 403, gridworker: 403, operator: 403, admin: 400 } }],
  'PATCH /api/admin/devices/:id': [{ path: async () => `/api/admin/devices/${await provisioned()}`, body: { name: 'Renamed' }, expect: { viewer: 403, gridworker: 403, operator: 403, admin: 200 } }],
  'DELETE /api/admin/devices/:id': [{ path: async () => `/api/admin/devices/${await provisioned()}`, expect: { viewer: 403, gridworker: 403, operator: 403, admin: 204 } }],
  'POST /api/admin/devices/:id/rotate': [{ path: async () => `/api/admin/devices/${await provisioned()}/rotate`, body: { grace_seconds: 60 }, expect: { viewer: 403, gridworker: 403, operator: 403, admin: 200 } }],
  // JSON without {"csv": ...}: refused for that, after the role
  'POST /api/admin/devices/import': [{ path: () => '/api/admin/devices/import?dry_run=1', body: { id: 'x' }, expect: { viewer: 403, gridworker: 403, operator: 403, admin: 400 } }],
  // open data (open-data.test.ts tests what they answer); no device of this city is marked public
  'GET /api/open': [{ expect: read, none: 200 }],
  'GET /api/open/hourly.csv': [{ expect: read, none: 200 }],
  'GET /api/open/alerts-hourly.csv': [{ expect: read, none: 200 }],
  'GET /api/open/hourly.jsonld': [{ expect: read, none: 200 }],
  'GET /api/open/conditions': [{ expect: read, none: 200 }],
  'GET /api/open/reports-hourly.csv': [{ expect: read, none: 200 }],
  'GET /api/open/city': [{ expect: read, none: 200 }],
  'GET /api/open/devices/:id/hourly.csv': [{ path: () => `/api/open/devices/${city.A.id}/hourly.csv`, expect: { viewer: 404, gridworker: 404, operator: 404, admin: 404 }, none: 404 }],
  // residents' reports (reports.test.ts tests what they answer; REPORTS on in this city): an empty body
  // is refused for what it lacks, and the receipt and report named here do not exist
  'GET /api/public/reports/challenge': [{ expect: read, none: 200 }],
  'POST /api/public/reports': [{ body: {}, expect: { viewer: 400, gridworker: 400, operator: 400, admin: 400 }, none: 400 }],
  'GET /api/public/reports/:receipt': [{ path: () => '/api/public/reports/ABCD-EFGH', expect: { viewer: 404, gridworker: 404, operator: 404, admin: 404 }, none: 404 }],
  'GET /api/reports': [{ expect: read }],
  'POST /api/reports/:receipt/spam': [{ path: () => '/api/reports/ABCD-EFGH/spam', expect: { viewer: 403, gridworker: 403, operator: 404, admin: 404 } }],
  // open unless METRICS_TOKEN is set (it is not here)
  'GET /metrics': [{ expect: read, none: 200 }],
  ...(DASHBOARD_BUILT
    ? { [`GET ${APP_SHELL}`]: [{ label: 'the dashboard shell', path: () => `/devices/${city.A.id}`, expect: read, none: 200 }] }
    : { 'GET /': [{ label: 'how to build the dashboard', expect: read, none: 200 }] }),
};
// not a route: what /api answers for a path nothing mounts (after sign-in, like every /api path)
const UNMOUNTED: Record<string, Case[]> = {
  'GET /api/no-such-route': [{ expect: { viewer: 404, gridworker: 404, operator: 404, admin: 404 } }],
};

interface ListedRoute { path: string | RegExp; methods?: string[]; router?: RouterLike }
interface RouterLike { listRoutes?: () => ListedRoute[] }

/** "METHOD path" of every route an app built by buildApp mounts, through its mounted routers. */
function mountedRoutes(): string[] {
  // the routes do not depend on the deps' contents (only on whether web/dist is built): stand-ins will do
  const deps = { city: city.system.city, alerting: { manager: {} }, webDist: WEB_DIST, corsOrigins: [] } as unknown as AppDeps;
  const app = buildApp(deps) as unknown as { router: RouterLike };
  const out: string[] = [];
  const walk = (router: RouterLike, prefix: string) => {
    if (!router.listRoutes) throw new Error('this router cannot list its routes (router ≥ 2.3.0, Express 5, has listRoutes)');
    for (const r of router.listRoutes()) {
      const path = typeof r.path === 'string' ? `${prefix}${r.path === '/' && r.router ? '' : r.path}` : `${prefix}${String(r.path)}`;
      if (r.router) walk(r.router, path);
      // HEAD is what Express answers for every GET route by itself
      else for (const m of r.methods ?? []) if (!(m === 'HEAD' && r.methods!.includes('GET'))) out.push(`${m} ${path}`);
    }
  };
  walk(app.router, '');
  return out;
}

describe('the route table', () => {
  it('lists exactly the routes the Express app mounts (a new route fails here until it is listed)', () => {
    const mounted = mountedRoutes();
    expect(mounted.length, mounted.join('\n')).toBeGreaterThanOrEqual(20);
    expect(mounted.filter((r, i) => mounted.indexOf(r) !== i), 'mounted twice (the second never answers)').toEqual([]);
    expect(mounted.filter((r) => !(r in ROUTES)), 'mounted, but not in ROUTES: add each with what every role gets').toEqual([]);
    expect(Object.keys(ROUTES).filter((r) => !mounted.includes(r)), 'in ROUTES, but not mounted').toEqual([]);
    expect(Object.keys(UNMOUNTED).filter((r) => mounted.includes(r)), 'in UNMOUNTED, but mounted').toEqual([]);
  });
});

/** Every answer of the route × role calls, for the API description's check. */
const answered: { route: string; status: number; text: string }[] = [];

describe('every route × every role', () => {
  const cases = Object.entries({ ...ROUTES, ...UNMOUNTED }).flatMap(([route, calls]) => calls.flatMap((c) => WHO.map((who) => [`${route}${c.label ? ` (${c.label})` : ''}`, who, route, c] as const)));
  it.each(cases)('%s as %s', async (_name, who, route, c) => {
    const [method, name] = route.split(' ') as [string, string];
    const expected = who === 'none' ? c.none ?? 401 : c.expect[who];
    const token = who === 'none' ? null : c.supervisor && who === 'gridworker' ? await login(city.system.baseUrl, `sup-${city.B.district}`)
      : c.fresh ? await login(city.system.baseUrl, who === 'gridworker' ? city.gridworker : who) : city.tokens[who];
    const res = await call(method, c.path ? await c.path(who) : name, token, c.body);
    answered.push({ route, status: res.status, text: res.text });
    expect(res.status, res.text.slice(0, 500)).toBe(expected);
    if (expected === 401) expect(res.json().error?.code).toBe('CG_UNAUTHENTICATED');
    if (expected === 403) expect(res.json().error?.code).toBe('CG_FORBIDDEN');
  });
});

describe('grid workers and alerts', () => {
  it("refuses a grid worker acting on another cell's alert, naming why", async () => {
    for (const action of ['ack', 'resolve']) {
      const res = await call('POST', `/api/alerts/${city.alertsB.m1!.id}/${action}`, city.tokens.gridworker, { note: 'not mine' });
      expect(res.status).toBe(403);
      expect(res.json().error).toMatchObject({ code: 'CG_FORBIDDEN', message: expect.stringContaining(city.B.grid) });
    }
  });

  it('records the signed-in user (not a body field) as the actor', async () => {
    const res = await call('POST', `/api/alerts/${a('m6')}/ack`, city.tokens.gridworker, { note: 'coming', by: 'someone-else' });
    expect(res.json().alert).toMatchObject({ state: 'acknowledged', acknowledgedBy: city.gridworker });
  });
});

describe('sign-in, tokens and cookies', () => {
  it('answers a LoginResponse and sets the cg_token cookie: HttpOnly, SameSite=Strict, Path=/, Max-Age, Secure only over https', async () => {
    const res = await call('POST', '/api/auth/login', null, { username: 'operator', password: 'demo-operator' });
    expect(res.status).toBe(200);
    const body = res.json() as unknown as LoginResponse;
    expect(body.user).toEqual({ username: 'operator', name: expect.any(String), role: 'operator', grids: [], districts: [] });
    expect(body.expiresAt).toBeGreaterThan(Date.now() + TOKEN_TTL_MS - 5000);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^cg_token=${body.token.replace(/[.]/g, '\\.')};`));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    expect(Number(/Max-Age=(\d+)/.exec(cookie)?.[1])).toBeGreaterThan(TOKEN_TTL_MS / 1000 - 10); // until the token expires
    expect(cookie).not.toMatch(/Secure/);
    const me = await call('GET', '/api/auth/me', null, undefined, { cookie: `theme=dark; cg_token=${body.token}` });
    expect(me.json()).toMatchObject({ username: 'operator', role: 'operator' });
    const proxied = await call('POST', '/api/auth/login', null, { username: 'viewer', password: 'demo-viewer' }, { 'x-forwarded-proto': 'https' });
    expect(proxied.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('tells a grid worker who they are and which cells they answer for', async () => {
    const me = await call('GET', '/api/auth/me', city.tokens.gridworker);
    expect(me.json() as unknown as UserView).toEqual({ username: city.gridworker, name: expect.any(String), role: 'gridworker', grids: [city.A.grid], districts: [] });
  });

  it('refuses expired, garbage and foreign tokens with 401 CG_UNAUTHENTICATED', async () => {
    const expired = await signToken({ username: 'admin', role: 'admin' }, { issuedAgoMs: TOKEN_TTL_MS + 60_000 });
    const res = await call('GET', '/api/devices', expired);
    expect(res.status).toBe(401);
    expect(res.json().error).toEqual({ code: 'CG_UNAUTHENTICATED', message: expect.stringMatching(/session expired/i) });
    const foreign = await signToken({ username: 'admin', role: 'admin' }, { secret: 'some-other-secret-some-other-secret-0123' });
    for (const token of ['garbage', foreign, `${city.tokens.viewer!}x`]) expect((await call('GET', '/api/devices', token)).status).toBe(401);
    expect((await call('GET', '/api/devices', null, undefined, { cookie: 'cg_token=garbage' })).status).toBe(401);
  });

  it('refreshes a valid token, and logout ends the session: every token of it', async () => {
    const token = await login(city.system.baseUrl, 'operator');
    const refreshed = await call('POST', '/api/auth/refresh', token);
    expect(refreshed.json()).toMatchObject({ token: expect.any(String), user: { username: 'operator' } });
    expect(refreshed.headers.get('set-cookie')).toMatch(/^cg_token=/);
    const out = await call('POST', '/api/auth/logout', token);
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^cg_token=;.*Expires=Thu, 01 Jan 1970/);
    expect((await call('GET', '/api/auth/me', token)).status).toBe(401);
    expect((await call('GET', '/api/auth/me', refreshed.json().token as string)).status).toBe(401); // the same session
    expect((await call('GET', '/api/auth/me', await login(city.system.baseUrl, 'operator'))).status).toBe(200); // another one
  });
});

describe('the audit log', () => {
  it('lists sign-ins, acknowledgements and resolves with user, target and note, newest first', async () => {
    const { entries } = (await call('GET', '/api/audit?limit=1000', city.tokens.admin)).json() as unknown as { entries: AuditEntry[] };
    expect(entries.map((e) => e.seq)).toEqual([...entries.map((e) => e.seq)].sort((x, y) => y - x));
    expect(entries).toContainEqual({ seq: expect.any(Number), ts: expect.any(Number), user: city.gridworker, action: 'acknowledge', target: a('m1'), note: 'on my way' });
    for (const [who, rule] of [['operator', 'm3'], ['admin', 'm4']]) {
      expect(entries).toContainEqual(expect.objectContaining({ user: who, action: 'resolve', target: a(rule!), note: 'cover put back' }));
    }
    // an orange alert: its grid worker's "resolved" is handled, awaiting verification; the rest of the loop
    expect(entries).toContainEqual(expect.objectContaining({ user: city.gridworker, action: 'handle', target: a('m2'), note: 'cover put back' }));
    expect(entries).toContainEqual(expect.objectContaining({ user: 'operator', action: 'verify', target: a('m7'), note: 'checked' }));
    expect(entries).toContainEqual(expect.objectContaining({ user: `sup-${city.B.district}`, action: 'verify', target: city.alertsB.m2!.id }));
    expect(entries).toContainEqual(expect.objectContaining({ user: 'admin', action: 'send_back', target: a('m8'), note: 'still open' }));
    expect(entries).toContainEqual(expect.objectContaining({ user: 'operator', action: 'dispatch', target: a('m6'), note: 'to gw-jianghan-001: nearest crew' }));
    expect(entries).toContainEqual(expect.objectContaining({ user: 'operator', action: 'maintenance_start', note: expect.stringContaining('new gauge') }));
    expect(entries).toContainEqual(expect.objectContaining({ user: 'operator', action: 'maintenance_end' }));
    expect(entries).toContainEqual(expect.objectContaining({ user: 'admin', action: 'rules_reload', target: 'rules.yaml' }));
    expect(entries).toContainEqual(expect.objectContaining({ user: 'viewer', action: 'login' }));
    expect(entries).toContainEqual(expect.objectContaining({ user: 'operator', action: 'logout' }));
    const mine = (await call('GET', `/api/audit?user=${city.gridworker}&action=acknowledge`, city.tokens.admin)).json().entries as AuditEntry[];
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((e) => e.user === city.gridworker && e.action === 'acknowledge')).toBe(true);
    expect((await call('GET', '/api/audit?action=delete_everything', city.tokens.admin)).status).toBe(400);
  });
});

describe('failed sign-ins', () => {
  // last: once the limit is reached, viewer cannot sign in from this address for a while
  it('answers 401 CG_BAD_CREDENTIALS alike for a wrong user or password, audits them, and refuses the 6th try of a username with 429', async () => {
    expect((await call('POST', '/api/auth/login', null, { username: 'viewer' })).json().error?.code).toBe('CG_LOGIN_INVALID');
    const unknown = await call('POST', '/api/auth/login', null, { username: 'nobody', password: 'demo-nobody' });
    expect(unknown.status).toBe(401);
    expect(unknown.json().error?.code).toBe('CG_BAD_CREDENTIALS');
    for (let i = 0; i < 5; i++) {
      const wrong = await call('POST', '/api/auth/login', null, { username: 'viewer', password: `guess-${i}` });
      expect(wrong.status).toBe(401);
      expect(wrong.text).toBe(unknown.text); // nothing tells which usernames exist
    }
    const sixth = await call('POST', '/api/auth/login', null, { username: 'viewer', password: 'demo-viewer' });
    expect(sixth.status).toBe(429);
    expect(sixth.json().error?.code).toBe('CG_TOO_MANY_ATTEMPTS');
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
    const failed = (await call('GET', '/api/audit?action=login_failed', city.tokens.admin)).json().entries as AuditEntry[];
    expect(failed.map((e) => e.user).sort()).toEqual(['nobody', 'viewer', 'viewer', 'viewer', 'viewer', 'viewer']);
  });
});

describe('responsible people', () => {
  it("GET /api/grid names each cell's grid workers and district supervisors, by username and name only", async () => {
    const res = await call('GET', '/api/grid', city.tokens.viewer);
    const features = (res.json().features as { properties: { id: string; district: string; people: GridCellPeople } }[]);
    const cellA = features.find((f) => f.properties.id === city.A.grid)!.properties;
    expect(cellA.people.workers).toContainEqual({ username: city.gridworker, name: expect.any(String) });
    expect(cellA.people.supervisors.length).toBeGreaterThan(0);
    for (const p of [...cellA.people.workers, ...cellA.people.supervisors]) expect(Object.keys(p).sort()).toEqual(['name', 'username']);
    expect(res.text).not.toContain('$2b$');
  });

  it('GET /api/rules lists each rule with its selector, metric and levels', async () => {
    const rules = (await call('GET', '/api/rules', city.tokens.viewer)).json().rules as Record<string, unknown>[];
    expect(rules[0]).toMatchObject({ kind: 'threshold', match: { kind: 'manhole_cover' }, metric: 'open', levels: { above: 0.5 } });
  });
});

describe('secrets stay secret', () => {
  it('no answer and no log line holds a password hash, a device secret hash, the signing secret, a token or a tried password', async () => {
    // failures log who and why, never what was tried
    expect([401, 429]).toContain((await sendJson(`${city.system.baseUrl}/api/auth/login`, { username: 'operator', password: 'tried-password-1' })).status);
    await connectDevice(`mqtt://127.0.0.1:${city.system.mqttPort}`, city.A.id, 'tried-password-2').then(end, () => undefined);
    await waitFor(() => city.logs.some((l) => l.includes('connection refused')), 'the refused device in the log');
    for (const path of ['/api/auth/me', '/api/devices', `/api/devices/${city.A.id}`, '/api/grid', '/api/alerts?state=all', '/api/rules', '/api/audit', '/metrics']) {
      expect((await call('GET', path, city.tokens.admin)).status).toBe(200);
    }
    const everything = [...answers, ...city.logs];
    expect(city.logs.length).toBeGreaterThan(3);
    for (const secret of ['$2b$', '$2a$', 'scrypt$', 'password_hash', 'secret_hash', AUTH_SECRET, 'tried-password-1', 'tried-password-2', 'demo-operator', `demo-${city.A.id}`]) {
      expect(everything.filter((t) => t.includes(secret)), secret).toEqual([]);
    }
    for (const token of Object.values(city.tokens).filter(Boolean)) expect(city.logs.filter((l) => l.includes(token!))).toEqual([]);
  });
});

describe('the API description (GET /api/openapi.json)', () => {
  const doc = openApiDocument({ version: 'test' });
  const described = API_ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path}`);

  it('is valid OpenAPI 3.1 (a maintained validator) and is what the server serves', async () => {
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? [], JSON.stringify(result.errors ?? []).slice(0, 2000)).toEqual([]);
    expect(result.valid).toBe(true);
    const served = await call('GET', '/api/openapi.json', null);
    expect((served.json() as { openapi: string }).openapi).toBe('3.1.0');
    expect(Object.keys((served.json() as { paths: object }).paths)).toEqual(Object.keys(doc.paths as object));
  });

  it('describes exactly the /api routes the server mounts, but the descriptions and their viewer', () => {
    const mounted = mountedRoutes().filter((r) => r.includes(' /api/') && !['GET /api/openapi.json', 'GET /api/asyncapi.json'].includes(r) && !r.startsWith('GET /api/docs'));
    expect(mounted.filter((r) => !described.includes(r)), 'mounted, not described').toEqual([]);
    expect(described.filter((r) => !mounted.includes(r)), 'described, not mounted').toEqual([]);
  });

  it('gives each route the roles the server enforces (every route x every role, above)', () => {
    for (const r of API_ROUTES) {
      const cases = ROUTES[`${r.method.toUpperCase()} ${r.path}`]!;
      const allowed = (['viewer', 'gridworker', 'operator', 'admin'] as const).filter((who) => cases.some((c) => c.expect[who] !== 403));
      expect(r.roles === 'open' ? 'open' : [...r.roles].sort(), `${r.method} ${r.path}`).toEqual(cases.some((c) => (c.none ?? 401) !== 401) ? 'open' : allowed.sort());
    }
  });

  it('matches every answer recorded above: each success against its schema, each error code among the route\'s', () => {
    expect(answered.length).toBeGreaterThan(100);
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ ...doc, $id: 'api' } as object);
    const problems: string[] = [];
    for (const { route, status, text } of answered) {
      const spec = API_ROUTES.find((r) => `${r.method.toUpperCase()} ${r.path}` === route);
      if (!spec) continue;
      const op = (doc.paths as Record<string, Record<string, { responses: Record<string, { content?: { 'application/json': { schema: { $ref: string } } } }> }>>)[spec.path.replace(/:(\w+)/g, '{$1}')]![spec.method]!;
      const response = op.responses[String(status)];
      if (!response) {
        problems.push(`${route}: answered ${status}, which it does not describe`);
        continue;
      }
      const ref = response.content?.['application/json']?.schema.$ref;
      if (!ref) continue; // 204, or a CSV file
      const validate = ajv.getSchema(`api${ref}`)!;
      if (!validate(JSON.parse(text))) problems.push(`${route} ${status}: ${ajv.errorsText(validate.errors)}`);
      if (status >= 400) {
        const code = (JSON.parse(text) as { error: { code: string } }).error.code;
        if (!(response as unknown as { description: string }).description.includes(code)) problems.push(`${route}: ${code} (${status}) is not among its described errors`);
      }
    }
    expect(problems).toEqual([]);
  });
});
