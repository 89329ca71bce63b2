// Proves sign-in sessions (createAuth, sessions kept in DATA_DIR/sessions.db; fake clock): a sign-in's refreshes share its session id and each retires the token it replaced after the grace period (a just-replaced token refreshes into the current one, not a second line); logout ends every token of the session and tells the sockets; a signed-out session stays refused however many others sign out after it and across a restart; a session ends at sessionMaxAgeMs (12 h by default) whatever the refreshes; ended sessions are pruned; tokens without a session id are accepted only if issued before this DATA_DIR kept sessions; a user keeps at most maxSessionsPerUser live sessions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare } from 'bcryptjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TOKEN_TTL_MS, type Person, type Role } from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';
import { createAuth, SessionError, type Auth, type AuthOptions } from './index.js';
import { SESSIONS_FILE, SqliteSessionStore } from './sessions.js';
import { TokenService } from './tokens.js';

const SECRET = 'unit-test-secret-unit-test-secret-0123456789';
const T0 = Date.UTC(2026, 4, 1, 8, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;
const person = (username: string, role: Role = 'operator'): Person => ({ username, name: username, role, password_hash: '$2b$04$' + 'x'.repeat(53) });
// createAuth reads only the people of the city
const city = { people: [person('operator'), person('viewer', 'viewer'), person('admin', 'admin'), person('busy')] } as unknown as City;

const dirs: string[] = [];
const open: Auth[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()));
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

let now = T0;
function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'citygrid-sessions-'));
  dirs.push(dir);
  return dir;
}
function auth(dir: string, o: Partial<AuthOptions> = {}): Auth {
  const a = createAuth({ city, dataDir: dir, secret: SECRET, now: () => now, compare, ...o });
  open.push(a);
  return a;
}
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid?: string; jti: string; exp: number };
async function refusal(a: Auth, token: string): Promise<string> {
  const err = await a.session(token).then(() => null, (e: unknown) => e);
  expect(err, 'the token was accepted').toBeInstanceOf(SessionError);
  return (err as SessionError).message;
}
const user = (username: string) => ({ username, role: city.people.find((p) => p.username === username)!.role });

describe('sessions', () => {
  it('gives a sign-in a session id its refreshes share; a refresh retires the token it replaced once the grace period is over', async () => {
    now = T0;
    const a = auth(newDir());
    const first = await a.signIn(user('operator'));
    const second = await a.refresh(await a.session(first.token));
    expect(claimsOf(second.token).sid).toBe(claimsOf(first.token).sid);
    expect(claimsOf(second.token).jti).not.toBe(claimsOf(first.token).jti);
    now += 59_000; // requests already on their way with the old token still pass
    expect((await a.session(first.token)).user.username).toBe('operator');
    now += 2000;
    expect(await refusal(a, first.token)).toMatch(/Sign in again: .*replaced/);
    expect((await a.session(second.token)).user.username).toBe('operator');
  });

  it('refreshes a just-replaced token into a token of the current one, never a second line of tokens', async () => {
    now = T0;
    const a = auth(newDir(), { refreshGraceMs: 10_000 });
    const first = await a.signIn(user('operator'));
    const second = await a.refresh(await a.session(first.token));
    const again = await a.refresh(await a.session(first.token)); // another tab, at the same moment
    expect(claimsOf(again.token).jti).toBe(claimsOf(second.token).jti);
    now += 11_000;
    await refusal(a, first.token);
    await a.session(second.token);
    await a.session(again.token);
    const third = await a.refresh(await a.session(again.token));
    now += 11_000;
    expect(await refusal(a, second.token)).toMatch(/replaced/);
    await a.session(third.token);
  });

  it('logout ends every token of the session, within the grace period too, and tells the listeners', async () => {
    now = T0;
    const a = auth(newDir());
    const ended: (string | null)[] = [];
    a.onRevoke((s) => ended.push(s.sid));
    const first = await a.signIn(user('operator'));
    const second = await a.refresh(await a.session(first.token));
    const other = await a.signIn(user('operator'));
    await a.revoke((await a.session(second.token)).claims);
    expect(await refusal(a, first.token)).toMatch(/signed out/);
    expect(await refusal(a, second.token)).toMatch(/signed out/);
    expect(ended).toEqual([claimsOf(first.token).sid]);
    // the control: the user's other session goes on
    expect((await a.session(other.token)).user.username).toBe('operator');
  });

  it('keeps a signed-out session refused however many other sessions sign out after it', async () => {
    now = T0;
    const a = auth(newDir());
    const out = await a.tokens.issue(user('operator'));
    const live = await a.tokens.issue(user('operator'));
    await a.revoke((await a.session(out.token)).claims);
    for (let i = 0; i < 10_001; i++) {
      const t = await a.tokens.issue(user('busy'));
      await a.revoke((await a.session(t.token)).claims);
    }
    expect(await refusal(a, out.token)).toMatch(/signed out/);
    expect((await a.session(live.token)).user.username).toBe('operator');
  }, 120_000);

  it('keeps sessions across a restart: signed out stays out, signed in stays in', async () => {
    now = T0;
    const dir = newDir();
    const before = auth(dir);
    const out = await before.tokens.issue(user('viewer'));
    const stays = await before.tokens.issue(user('admin'));
    await before.revoke((await before.session(out.token)).claims);
    await before.close();
    const after = auth(dir);
    expect(await refusal(after, out.token)).toMatch(/signed out/);
    expect((await after.session(stays.token)).user.username).toBe('admin');
  });

  it('ends a session 12 h after sign-in by default: tokens never outlive it and refreshes cannot extend it', async () => {
    now = T0;
    const a = auth(newDir());
    expect(a.sessionMaxAgeMs).toBe(12 * HOUR);
    let current = await a.signIn(user('operator'));
    expect(current.expiresAt).toBe(T0 + TOKEN_TTL_MS);
    while (now + 10 * MIN < T0 + 12 * HOUR) {
      now += 10 * MIN; // the dashboard refreshes every 10 minutes
      current = await a.refresh(await a.session(current.token));
      expect(current.expiresAt).toBeLessThanOrEqual(T0 + 12 * HOUR);
    }
    expect(current.expiresAt).toBe(T0 + 12 * HOUR); // the last token ends with the session, before its 30 minutes
    expect(current.expiresAt - now).toBeLessThan(TOKEN_TTL_MS);
    now = T0 + 12 * HOUR - 1000;
    await a.session(current.token);
    now = T0 + 12 * HOUR;
    expect(await refusal(a, current.token)).toMatch(/Sign in again/);
  });

  it('takes sessionMaxAgeMs: a shorter session caps even its first token', async () => {
    now = T0;
    const a = auth(newDir(), { sessionMaxAgeMs: 10 * MIN });
    const t = await a.signIn(user('viewer'));
    expect(t.expiresAt).toBe(T0 + 10 * MIN);
    now = T0 + 10 * MIN;
    await refusal(a, t.token);
  });

  it('refuses a session this DATA_DIR does not know (a deleted sessions.db, another server)', async () => {
    now = T0;
    const elsewhere = auth(newDir());
    const here = auth(newDir());
    const t = await elsewhere.signIn(user('viewer'));
    expect(await refusal(here, t.token)).toMatch(/Sign in again/);
    await elsewhere.session(t.token); // the control
  });

  it('keeps at most maxSessionsPerUser live sessions per user: signing in again ends the oldest', async () => {
    now = T0;
    const a = auth(newDir(), { maxSessionsPerUser: 3 });
    const ended: (string | null)[] = [];
    a.onRevoke((s) => ended.push(s.sid));
    const tokens = [];
    for (let i = 0; i < 4; i++) {
      tokens.push(await a.signIn(user('operator')));
      now += 1000;
    }
    expect(await refusal(a, tokens[0]!.token)).toMatch(/Sign in again/);
    for (const t of tokens.slice(1)) await a.session(t.token);
    expect(ended).toEqual([claimsOf(tokens[0]!.token).sid]);
    await a.session((await a.signIn(user('viewer'))).token); // other users are not counted
  });
});

describe('tokens without a session id (issued by versions before sessions)', () => {
  const old = (issuedAt: number, username = 'operator') => new TokenService(new TextEncoder().encode(SECRET), () => issuedAt).issue(user(username));

  it('accepts them only if issued before this DATA_DIR kept sessions, until they expire', async () => {
    const dir = newDir();
    const beforeUpgrade = await old(T0 - 10 * MIN);
    now = T0;
    const a = auth(dir);
    now = T0 + MIN;
    expect((await a.session(beforeUpgrade.token)).user.username).toBe('operator');
    expect(await refusal(a, (await old(T0 + 1000)).token)).toMatch(/Sign in again/);
    now = T0 + 20 * MIN; // 30 minutes after it was issued
    expect(await refusal(a, beforeUpgrade.token)).toMatch(/expired/);
  });

  it('turns one into a session on refresh, and refuses it after that session signs out, or after its own sign-out', async () => {
    const dir = newDir();
    const first = await old(T0 - 10 * MIN);
    const second = await old(T0 - 5 * MIN, 'viewer');
    now = T0;
    const a = auth(dir);
    const converted = await a.refresh(await a.session(first.token));
    expect(claimsOf(converted.token).sid).toEqual(expect.any(String));
    // its session started when the old token was issued
    expect(converted.expiresAt).toBe(T0 + TOKEN_TTL_MS);
    await a.revoke((await a.session(converted.token)).claims);
    expect(await refusal(a, first.token)).toMatch(/signed out/);
    await a.revoke((await a.session(second.token)).claims);
    expect(await refusal(a, second.token)).toMatch(/signed out/);
  });
});

describe('SqliteSessionStore', () => {
  it(`lives in DATA_DIR/${SESSIONS_FILE} and prunes sessions that ended: expired, or signed out with no token of theirs still valid`, async () => {
    const dir = newDir();
    now = T0;
    const a = auth(dir, { sessionMaxAgeMs: HOUR });
    const expires = await a.signIn(user('viewer'));
    now = T0 + 45 * MIN;
    const out = await a.signIn(user('viewer'));
    await a.revoke((await a.session(out.token)).claims);
    let live = await a.signIn(user('admin'));
    const store = new SqliteSessionStore(join(dir, SESSIONS_FILE), () => now);
    try {
      expect(await store.count()).toBe(3);
      now = T0 + HOUR; // the first session reached its end
      expect(await store.prune()).toBe(1);
      expect(await store.count()).toBe(2);
      live = await a.refresh(await a.session(live.token));
      now = T0 + 45 * MIN + TOKEN_TTL_MS; // no token of the signed-out session can be valid now
      expect(await store.prune()).toBe(1);
      expect(await store.count()).toBe(1);
      expect((await a.session(live.token)).user.username).toBe('admin'); // the control
      expect(await refusal(a, expires.token)).toMatch(/Sign in again/);
    } finally {
      store.close();
    }
  });
});
