// Proves the guard on cookie-signed writes: an unsafe method needs Content-Type: application/json and an Origin of the server itself (its Host, or X-Forwarded-Host behind a proxy) or one in CORS_ORIGINS, or else Sec-Fetch-Site: same-origin; other ports and subdomains of the same site, Origin null, other content types and writes with neither header are refused with a reason; safe methods pass.
import { describe, expect, it } from 'vitest';
import { crossSiteRefusal } from './csrf.js';

const HOST = '10.0.0.5:8080';
const check = (method: string, headers: Record<string, string>, allowed: string[] = []) =>
  crossSiteRefusal({ method, headers: { host: HOST, ...headers } }, allowed);
const JSON_CT = { 'content-type': 'application/json' };

describe('crossSiteRefusal', () => {
  it('leaves safe methods alone', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) expect(check(method, { origin: 'https://evil.example', 'content-type': 'text/plain' })).toBeNull();
  });

  it("accepts JSON writes from the server's own origin, a listed origin, or Sec-Fetch-Site: same-origin", () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) expect(check(method, { ...JSON_CT, origin: `http://${HOST}` }), method).toBeNull();
    expect(check('POST', { 'content-type': 'Application/JSON; charset=utf-8', origin: 'http://10.0.0.5:8080' })).toBeNull();
    expect(check('POST', { ...JSON_CT, origin: 'https://ops.example.org' }, ['https://ops.example.org'])).toBeNull();
    expect(check('POST', { ...JSON_CT, 'sec-fetch-site': 'same-origin' })).toBeNull();
    // behind a proxy that rewrites Host
    expect(crossSiteRefusal({ method: 'POST', headers: { ...JSON_CT, host: '127.0.0.1:8080', 'x-forwarded-host': 'city.example', origin: 'https://city.example' } }, [])).toBeNull();
  });

  it('refuses other ports, subdomains and sites, Origin null, and writes with neither Origin nor Sec-Fetch-Site', () => {
    const refusals = [
      check('POST', { ...JSON_CT, origin: 'http://10.0.0.5:8086' }),
      check('POST', { ...JSON_CT, origin: 'http://grafana.10.0.0.5:8080' }),
      check('POST', { ...JSON_CT, origin: 'https://evil.example' }, ['https://ops.example.org']),
      check('POST', { ...JSON_CT, origin: 'null' }),
      check('POST', { ...JSON_CT, 'sec-fetch-site': 'same-site' }),
      check('DELETE', { ...JSON_CT, 'sec-fetch-site': 'cross-site' }),
      check('POST', JSON_CT),
    ];
    for (const r of refusals) expect(r).toMatch(/Origin/);
  });

  it('refuses anything but application/json, naming the Content-Type it got', () => {
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json-seq']) {
      expect(check('POST', { 'content-type': ct, origin: `http://${HOST}` }), ct).toContain(ct.split(';')[0]);
    }
    expect(check('POST', { origin: `http://${HOST}` })).toMatch(/Content-Type/);
  });
});
