// Proves the dashboard's fetch wrapper sends what the server's guard on cookie-signed writes needs: every write as Content-Type: application/json with a JSON body (also when it has nothing to say), same-origin credentials (the session cookie) and no Authorization header; reads carry no body.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const seen: { path: string; init: RequestInit }[] = [];
beforeEach(() => {
  seen.length = 0;
  vi.stubGlobal('fetch', vi.fn(async (path: string, init: RequestInit) => {
    seen.push({ path, init });
    return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
  }));
});
afterEach(() => vi.unstubAllGlobals());

const headersOf = (i: number) => Object.fromEntries(Object.entries(seen[i]!.init.headers as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));

describe('request', () => {
  it('sends every write as JSON, an empty one as {}', async () => {
    const { postJson, request } = await import('./http');
    await postJson('/api/auth/refresh');
    await postJson('/api/alerts/a-1/ack', { note: 'on my way' });
    await request('/api/auth/logout', { method: 'POST' });
    expect(seen.map((s) => s.init.method)).toEqual(['POST', 'POST', 'POST']);
    for (let i = 0; i < 3; i++) {
      expect(headersOf(i)['content-type'], seen[i]!.path).toBe('application/json');
      expect(() => JSON.parse(String(seen[i]!.init.body))).not.toThrow();
    }
    expect(seen[2]!.init.body).toBe('{}');
  });

  it('marks the phone view\'s reads (its service worker keeps those), and no other request', async () => {
    const { getJson, postJson } = await import('./http');
    vi.stubGlobal('location', { hash: '#/my' });
    await getJson('/api/alerts');
    await postJson('/api/alerts/a-1/ack', {});
    vi.stubGlobal('location', { hash: '#/' });
    await getJson('/api/alerts');
    expect([0, 1, 2].map((i) => headersOf(i)['x-citygrid-view'])).toEqual(['phone', undefined, undefined]);
  });

  it('sends the session cookie (same-origin credentials) and no Authorization header', async () => {
    const { getJson, postJson } = await import('./http');
    await getJson('/api/alerts');
    await postJson('/api/alerts/a-1/resolve', { note: 'done' });
    for (let i = 0; i < 2; i++) {
      expect(seen[i]!.init.credentials).toBe('same-origin');
      expect(headersOf(i)).not.toHaveProperty('authorization');
    }
    expect(seen[0]!.init.body).toBeUndefined();
    expect(headersOf(0)).not.toHaveProperty('content-type');
  });
});
