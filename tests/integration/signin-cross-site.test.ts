// Proves cookie-signed writes must come from the dashboard's own pages: a text/plain form POST from another port of the same site (e.g. the InfluxDB UI on :8086), JSON from another origin, or a cookie POST with no Origin is refused with 403 CG_CROSS_SITE_REQUEST and changes nothing, while the dashboard's same-origin JSON (and the phone's replayed actions), Sec-Fetch-Site: same-origin, Bearer-signed scripts and safe methods pass, and bodies stay limited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_COOKIE, type Alert, type AuditEntry } from '@citygrid/contract';
import { startSignedInCity, type SignedInCity } from '../helpers/signed-in-city.js';
import { getJson } from '../helpers/system.js';

let city: SignedInCity;
let cookie: string;

beforeAll(async () => {
  city = await startSignedInCity();
  const res = await fetch(`${city.system.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: 'demo-operator' }) });
  expect(res.status).toBe(200);
  cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  expect(cookie.startsWith(`${TOKEN_COOKIE}=`)).toBe(true);
});
afterAll(async () => {
  await city?.close();
});

/** A request as a browser would send it with the operator's cookie (no Authorization header). */
async function withCookie(method: string, path: string, o: { contentType?: string; body?: string; origin?: string; fetchSite?: string; bearer?: string; noCookie?: boolean } = {}) {
  const headers: Record<string, string> = {};
  if (!o.noCookie) headers.cookie = cookie;
  if (o.contentType) headers['content-type'] = o.contentType;
  if (o.origin) headers.origin = o.origin;
  if (o.fetchSite) headers['sec-fetch-site'] = o.fetchSite;
  if (o.bearer) headers.authorization = `Bearer ${o.bearer}`;
  const res = await fetch(`${city.system.baseUrl}${path}`, { method, headers, ...(o.body !== undefined ? { body: o.body } : {}) });
  const text = await res.text();
  return { status: res.status, text, code: text.startsWith('{') ? (JSON.parse(text) as { error?: { code?: string } }).error?.code : undefined };
}

const alertId = (rule: string) => city.alertsA[rule]!.id;
const stateOf = async (rule: string) => (await getJson<{ alert: Alert }>(`${city.system.baseUrl}/api/alerts/${alertId(rule)}`, city.tokens.admin)).body.alert.state;
const SAME_SITE_OTHER_PORT = 'http://127.0.0.1:8086';

describe('cookie-signed writes from elsewhere', () => {
  it('refuses a text/plain form POST from another port of the same site: the alert stays firing and keeps escalating', async () => {
    const res = await withCookie('POST', `/api/alerts/${alertId('m1')}/ack`, { contentType: 'text/plain', body: 'note=seen', origin: SAME_SITE_OTHER_PORT, fetchSite: 'same-site' });
    expect(res.status, res.text).toBe(403);
    expect(res.code).toBe('CG_CROSS_SITE_REQUEST');
    expect(await stateOf('m1')).toBe('firing');
    const { body } = await getJson<{ entries: AuditEntry[] }>(`${city.system.baseUrl}/api/audit?action=acknowledge`, city.tokens.admin);
    expect(body.entries.filter((e) => e.target === alertId('m1'))).toEqual([]);
  });

  it('refuses JSON from another origin, text/plain from the right one, Origin null, and a cookie write with neither Origin nor Sec-Fetch-Site', async () => {
    const path = `/api/alerts/${alertId('m1')}/ack`;
    const json = { contentType: 'application/json', body: '{"note":"seen"}' };
    for (const [label, o] of [
      ['JSON from another port', { ...json, origin: SAME_SITE_OTHER_PORT }],
      ['JSON from another site', { ...json, origin: 'https://evil.example', fetchSite: 'cross-site' }],
      ['JSON from a subdomain', { ...json, fetchSite: 'same-site' }],
      ['Origin null', { ...json, origin: 'null' }],
      ['no Origin, no Sec-Fetch-Site', json],
      ['text/plain from the right origin', { contentType: 'text/plain', body: '{"note":"seen"}', origin: city.system.baseUrl }],
      ['a form from the right origin', { contentType: 'application/x-www-form-urlencoded', body: 'note=seen', origin: city.system.baseUrl }],
      ['no Content-Type', { body: '{"note":"seen"}', origin: city.system.baseUrl }],
    ] as const) {
      const res = await withCookie('POST', path, o);
      expect(res.status, `${label}: ${res.text}`).toBe(403);
      expect(res.code, label).toBe('CG_CROSS_SITE_REQUEST');
    }
    expect(await stateOf('m1')).toBe('firing');
  });

  it('refuses a cross-site logout (the session goes on) and other unsafe methods', async () => {
    const out = await withCookie('POST', '/api/auth/logout', { contentType: 'text/plain', body: '', origin: SAME_SITE_OTHER_PORT });
    expect(out.code).toBe('CG_CROSS_SITE_REQUEST');
    expect((await withCookie('GET', '/api/auth/me')).status).toBe(200);
    const del = await withCookie('DELETE', '/api/maintenance/mw-x', { origin: SAME_SITE_OTHER_PORT });
    expect(del.code).toBe('CG_CROSS_SITE_REQUEST');
  });
});

describe('what must keep working', () => {
  it("accepts the dashboard's own JSON writes: its Origin (plain-HTTP LAN, no Sec-Fetch-*), or Sec-Fetch-Site: same-origin", async () => {
    const byOrigin = await withCookie('POST', `/api/alerts/${alertId('m2')}/ack`, { contentType: 'application/json', body: '{"note":"on my way"}', origin: city.system.baseUrl });
    expect(byOrigin.status, byOrigin.text).toBe(200);
    expect(await stateOf('m2')).toBe('acknowledged');
    const byFetchSite = await withCookie('POST', `/api/alerts/${alertId('m3')}/resolve`, { contentType: 'application/json; charset=utf-8', body: '{"note":"cover put back"}', fetchSite: 'same-origin' });
    expect(byFetchSite.status, byFetchSite.text).toBe(200);
    expect(await stateOf('m3')).toBe('resolved');
  });

  it("accepts the phone view's replayed actions (what web/src/api/http.ts sends, after the token was refreshed meanwhile)", async () => {
    const login = await fetch(`${city.system.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: city.gridworker, password: `demo-${city.gridworker}` }) });
    let jar = login.headers.get('set-cookie')!.split(';')[0]!;
    const browser = (path: string, body: unknown) => fetch(`${city.system.baseUrl}${path}`, {
      method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json', origin: city.system.baseUrl, cookie: jar }, body: JSON.stringify(body),
    });
    // while the phone was offline another tab refreshed: the browser now holds the new cookie
    const refreshed = await browser('/api/auth/refresh', {});
    expect(refreshed.status).toBe(200);
    jar = refreshed.headers.get('set-cookie')!.split(';')[0]!;
    const ack = await browser(`/api/alerts/${alertId('m4')}/ack`, { note: 'queued offline' });
    expect(ack.status, await ack.text()).toBe(200);
    const resolve = await browser(`/api/alerts/${alertId('m4')}/resolve`, { note: 'queued offline too' });
    expect(resolve.status).toBe(200);
    expect(await stateOf('m4')).toBe('handled'); // the grid worker's orange alert waits for its supervisor's verification
  });

  it('lets Bearer-signed scripts write without Origin, and leaves safe methods alone', async () => {
    const script = await withCookie('POST', `/api/alerts/${alertId('m5')}/ack`, { noCookie: true, bearer: city.tokens.operator!, contentType: 'application/json', body: '{}' });
    expect(script.status, script.text).toBe(200);
    // GET with the cookie from another origin: answered (CORS keeps the answer from the other page)
    expect((await withCookie('GET', `/api/alerts/${alertId('m6')}`, { origin: SAME_SITE_OTHER_PORT })).status).toBe(200);
  });

  it('still limits bodies: JSON over 64 KiB is 413 CG_BODY_TOO_LARGE, with the cookie as with a bearer', async () => {
    const big = JSON.stringify({ note: 'n'.repeat(70_000) });
    const cookieWrite = await withCookie('POST', `/api/alerts/${alertId('m7')}/ack`, { contentType: 'application/json', body: big, origin: city.system.baseUrl });
    expect(cookieWrite.status).toBe(413);
    expect(cookieWrite.code).toBe('CG_BODY_TOO_LARGE');
    const bearerWrite = await withCookie('POST', `/api/alerts/${alertId('m7')}/ack`, { noCookie: true, bearer: city.tokens.operator!, contentType: 'application/json', body: big });
    expect(bearerWrite.code).toBe('CG_BODY_TOO_LARGE');
    expect(await stateOf('m7')).toBe('firing');
  });
});
