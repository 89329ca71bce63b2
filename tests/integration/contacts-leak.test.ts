// Proves no contact handle from people.yaml (DingTalk, WeCom, Feishu id, mobile) is in any answer to a
// viewer, an operator or a grid worker: every GET route the OpenAPI description lists (and the API
// descriptions, /metrics and the sign-in) is called with the demo city's ids, and every body is searched for every
// handle. A GET route with a path parameter or a required query parameter this test cannot fill fails
// here until it is taught one, so a new route is covered when it is described.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '@citygrid/contract/openapi';
import { startSignedInCity, type SignedInCity, type Who } from '../helpers/signed-in-city.js';

let city: SignedInCity;
beforeAll(async () => {
  city = await startSignedInCity();
});
afterAll(async () => {
  await city?.close();
});

/** A demo id for each path parameter, by the path segment before it. */
function pathValue(segment: string): string {
  const ids: Record<string, () => string> = {
    devices: () => city.A.id,
    alerts: () => city.alertsA['m1']!.id,
    cells: () => city.A.grid,
    grid: () => city.A.grid,
    districts: () => city.A.district,
    people: () => city.gridworker,
    rules: () => 'm1',
    reports: () => 'ABCD-EFGH', // a receipt: GET /api/public/reports/:receipt (none filed here)
  };
  const id = ids[segment];
  if (!id) throw new Error(`no demo id for a path parameter after /${segment}/: teach contacts-leak.test.ts one`);
  return encodeURIComponent(id());
}

/** A value for each required query parameter, by name. */
function queryValue(name: string): string {
  const now = Date.now();
  const values: Record<string, () => string> = {
    from: () => String(now - 3_600_000), to: () => String(now), grid: () => city.A.grid, district: () => city.A.district,
    device: () => city.A.id, metric: () => 'open', at: () => String(now - 60_000),
  };
  const value = values[name];
  if (!value) throw new Error(`no demo value for the required query parameter ${name}: teach contacts-leak.test.ts one`);
  return value();
}

function urlOf(route: { path: string; query?: { name: string; required?: boolean }[] }): string {
  const path = route.path.replace(/\/([^/]+)\/:\w+/g, (_m, segment: string) => `/${segment}/${pathValue(segment)}`);
  const query = (route.query ?? []).filter((q) => q.required).map((q) => `${q.name}=${encodeURIComponent(queryValue(q.name))}`);
  return query.length ? `${path}?${query.join('&')}` : path;
}

/** Built once the city runs (the ids come from it). */
const gets = () => [...API_ROUTES.filter((r) => r.method === 'get').map(urlOf), '/api/openapi.json', '/api/asyncapi.json', '/metrics'];
const NON_ADMINS: Who[] = ['viewer', 'operator', 'gridworker'];

describe('contact handles in API answers', () => {
  it('the demo city has handles to look for, for the people the answers name', () => {
    const handles = city.system.city.people.flatMap((p) => Object.values(p.contacts ?? {}));
    expect(handles.length).toBeGreaterThan(600); // 4 for each of ~200 people
    expect(city.system.city.people.find((p) => p.username === city.gridworker)?.contacts?.mobile).toMatch(/^\+447700900\d{3}$/);
  });

  it.each(NON_ADMINS)('none in any GET answer to the %s', async (who) => {
    const handles = city.system.city.people.flatMap((p) => Object.values(p.contacts ?? {}) as string[]);
    const answered: string[] = [];
    for (const path of gets()) {
      const res = await fetch(`${city.system.baseUrl}${path}`, { headers: { authorization: `Bearer ${city.tokens[who]}` } });
      const body = await res.text();
      expect(res.status, `${who} GET ${path}: ${body.slice(0, 200)}`).toBeLessThan(500);
      if (res.status === 200) answered.push(path);
      const leaked = handles.filter((h) => body.includes(h));
      expect(leaked, `${who} GET ${path}`).toEqual([]);
    }
    // and the answers that carry the user who signs in
    const username = { viewer: 'viewer', operator: 'operator', gridworker: city.gridworker }[who as 'viewer' | 'operator' | 'gridworker'];
    const signIn = await fetch(`${city.system.baseUrl}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: `demo-${username}` }),
    });
    const signedIn = await signIn.text();
    expect(signIn.status).toBe(200);
    expect(handles.filter((h) => signedIn.includes(h)), `${who} POST /api/auth/login`).toEqual([]);
    // the answers that name people were really read (not refused), so the check above saw them
    expect(answered).toEqual(expect.arrayContaining(['/api/grid', '/api/auth/me', `/api/alerts/${encodeURIComponent(city.alertsA['m1']!.id)}`]));
  });
});
