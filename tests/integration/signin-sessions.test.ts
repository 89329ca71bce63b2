// Proves a sign-in is one session that its refreshes share: signing out with any of its tokens ends all of them (and stays so across a restart: DATA_DIR/sessions.db), a refresh retires the token it replaced after a short grace, a session ends at SESSION_MAX_AGE whatever the refreshes, and tokens without a session id (older versions) are accepted only if issued before this server kept sessions.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_TTL_MS, type LoginResponse } from '@citygrid/contract';
import { startSigninStack } from '../helpers/signin-stack.js';
import { AUTH_SECRET, signToken } from '../helpers/signed-in-city.js';
import { login, sendJson, startTestSystem, tempDir } from '../helpers/system.js';

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid?: string; jti: string; exp: number };

async function me(baseUrl: string, token: string) {
  const res = await fetch(`${baseUrl}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { error?: { code: string; message: string }; username?: string };
  return { status: res.status, code: body.error?.code, message: body.error?.message ?? '' };
}
const refresh = (baseUrl: string, token: string) => sendJson<LoginResponse>(`${baseUrl}/api/auth/refresh`, {}, token);
const logout = (baseUrl: string, token: string) => sendJson(`${baseUrl}/api/auth/logout`, {}, token);

describe('sessions on the real system', () => {
  const data = tempDir();
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  beforeAll(async () => {
    system = await startTestSystem({ AUTH_SECRET, DATA_DIR: data.path });
  });
  afterAll(async () => {
    await system?.stop();
    data.remove();
  });

  it("signing out with the newest token ends the sign-in's older tokens too", async () => {
    const first = await login(system.baseUrl, 'operator');
    const refreshed = await refresh(system.baseUrl, first);
    expect(refreshed.status).toBe(200);
    const second = refreshed.body.token;
    expect((await logout(system.baseUrl, second)).status).toBe(204);
    for (const token of [second, first]) {
      const res = await me(system.baseUrl, token);
      expect(res.status).toBe(401);
      expect(res.code).toBe('CG_UNAUTHENTICATED');
      expect(res.message).toMatch(/signed out/);
    }
    // one session: both tokens carry its id
    expect(claimsOf(second).sid).toBe(claimsOf(first).sid);
    expect(claimsOf(first).sid).toEqual(expect.any(String));
    // the control: another sign-in of the same user is another session, untouched
    expect((await me(system.baseUrl, await login(system.baseUrl, 'operator'))).status).toBe(200);
  });

  it('keeps sessions in DATA_DIR/sessions.db: after a restart a signed-out session stays out and a live one stays in', async () => {
    const out = await login(system.baseUrl, 'viewer');
    const stays = await login(system.baseUrl, 'admin');
    expect((await logout(system.baseUrl, out)).status).toBe(204);
    await system.stop();
    system = await startTestSystem({ AUTH_SECRET, DATA_DIR: data.path });
    const refused = await me(system.baseUrl, out);
    expect(refused.status).toBe(401);
    expect(refused.message).toMatch(/signed out/);
    expect((await me(system.baseUrl, stays)).status).toBe(200);
    expect(existsSync(join(data.path, 'sessions.db'))).toBe(true);
  });

  it('tokens without a session id: accepted only if issued before this server kept sessions, until they expire or their session signs out', async () => {
    // what the previous version issued before the upgrade (28 minutes ago; 2 minutes left)
    const old = await signToken({ username: 'operator', role: 'operator' }, { issuedAgoMs: TOKEN_TTL_MS - 120_000 });
    expect(claimsOf(old).sid).toBeUndefined();
    // one issued now without a session id: nothing here issues those any more
    const forged = await signToken({ username: 'operator', role: 'operator' });
    const refused = await me(system.baseUrl, forged);
    expect(refused.status).toBe(401);
    expect(refused.code).toBe('CG_UNAUTHENTICATED');
    expect(refused.message).toMatch(/sign in again/i);
    // the control: the pre-upgrade token works, and a refresh turns it into a session
    expect((await me(system.baseUrl, old)).status).toBe(200);
    const converted = await refresh(system.baseUrl, old);
    expect(converted.status).toBe(200);
    expect(claimsOf(converted.body.token).sid).toEqual(expect.any(String));
    expect((await logout(system.baseUrl, converted.body.token)).status).toBe(204);
    expect((await me(system.baseUrl, old)).status).toBe(401);
  });
});


describe('rotation and lifetime', () => {
  it('retires a refreshed token after the grace period (requests already on their way still pass); the new token works', async () => {
    const stack = await startSigninStack({ auth: { refreshGraceMs: 1000 } });
    try {
      const first = await login(stack.baseUrl, 'operator');
      const second = (await refresh(stack.baseUrl, first)).body.token;
      await expect.poll(async () => (await me(stack.baseUrl, first)).status).toBe(401);
      expect((await me(stack.baseUrl, first)).message).toMatch(/replaced/);
      expect((await me(stack.baseUrl, second)).status).toBe(200);
      // and the replaced token cannot start a second line of tokens
      expect((await refresh(stack.baseUrl, first)).status).toBe(401);
    } finally {
      await stack.close();
    }
  });

  it('ends a session at SESSION_MAX_AGE: its tokens and cookie end with it, refreshes do not extend it, then "sign in again"', async () => {
    const stack = await startSigninStack({ auth: { sessionMaxAgeMs: 6000 } });
    try {
      const startedAt = Date.now();
      const res = await fetch(`${stack.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'viewer', password: 'demo-viewer' }) });
      const body = (await res.json()) as LoginResponse;
      expect(body.expiresAt).toBeLessThanOrEqual(startedAt + 6000 + 1000);
      expect(Number(/Max-Age=(\d+)/.exec(res.headers.get('set-cookie') ?? '')?.[1])).toBeLessThanOrEqual(7);
      const refreshed = await refresh(stack.baseUrl, body.token);
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.expiresAt).toBeLessThanOrEqual(body.expiresAt);
      await expect.poll(async () => (await me(stack.baseUrl, refreshed.body.token)).status).toBe(401);
      const late = await refresh(stack.baseUrl, refreshed.body.token);
      expect(late.status).toBe(401);
      expect((late.body as unknown as { error: { code: string } }).error.code).toBe('CG_UNAUTHENTICATED');
      // the control: a new sign-in works
      expect((await me(stack.baseUrl, await login(stack.baseUrl, 'viewer'))).status).toBe(200);
    } finally {
      await stack.close();
    }
  });
});

describe('from the environment, through the running system', () => {
  it('SESSION_MAX_AGE ends a sign-in early and TRUST_PROXY decides which address the audit log names', async () => {
    const data = tempDir();
    const system = await startTestSystem({ DATA_DIR: data.path, SESSION_MAX_AGE: '5m', TRUST_PROXY: '1', AUTH_SECRET });
    try {
      const res = await sendJson<LoginResponse>(`${system.baseUrl}/api/auth/login`, { username: 'operator', password: 'demo-operator' });
      expect(res.status).toBe(200);
      const left = res.body.expiresAt - Date.now();
      expect(left, 'a 5-minute session outlives no token of it').toBeLessThanOrEqual(5 * 60_000);
      expect(left).toBeGreaterThan(60_000);
      // a failed sign-in through "the proxy": the address it appended is the client's
      await fetch(`${system.baseUrl}/api/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' }, body: JSON.stringify({ username: 'viewer', password: 'wrong' }),
      });
      const admin = await login(system.baseUrl, 'admin');
      const audit = await (await fetch(`${system.baseUrl}/api/audit?action=login_failed`, { headers: { authorization: `Bearer ${admin}` } })).json() as { entries: { note: string | null }[] };
      expect(audit.entries.map((e) => e.note)).toContain('wrong password, from 203.0.113.7');
    } finally {
      await system.stop();
      data.remove();
    }
  });
});
