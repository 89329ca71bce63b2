// Proves sign-in tokens carry user, role and session id, expire after TOKEN_TTL_MS or at their session's
// end if sooner (fake clock), refuse tampering and other secrets, and that the generated secret is kept
// in DATA_DIR/auth-secret (mode 0600) across restarts.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { TOKEN_TTL_MS } from '@citygrid/contract';
import { loadSecret, SECRET_FILE, TokenError, TokenService } from './tokens.js';

const SECRET = new TextEncoder().encode('unit-test-secret-unit-test-secret-0123456789');
const T0 = Date.UTC(2026, 4, 1, 8, 0);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function reason(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(TokenError);
  return (err as TokenError).reason;
}

describe('TokenService', () => {
  it('issues a token naming the user and role, valid until TOKEN_TTL_MS later', async () => {
    let now = T0;
    const tokens = new TokenService(SECRET, () => now);
    const { token, expiresAt } = await tokens.issue({ username: 'operator', role: 'operator' });
    expect(expiresAt).toBe(T0 + TOKEN_TTL_MS);
    expect(await tokens.verify(token)).toMatchObject({ username: 'operator', role: 'operator', issuedAt: T0, expiresAt });
    now = T0 + TOKEN_TTL_MS - 1000;
    expect((await tokens.verify(token)).username).toBe('operator');
    now = T0 + TOKEN_TTL_MS;
    expect(await reason(tokens.verify(token))).toBe('expired');
  });

  it('carries the session id, can reissue a token id, and never outlives its session (notAfter)', async () => {
    const tokens = new TokenService(SECRET, () => T0);
    const user = { username: 'operator', role: 'operator' } as const;
    const capped = await tokens.issue(user, { sid: 'session-1', notAfter: T0 + 600_000 });
    expect(capped.expiresAt).toBe(T0 + 600_000);
    expect(await tokens.verify(capped.token)).toMatchObject({ sid: 'session-1', jti: capped.jti, expiresAt: T0 + 600_000 });
    const same = await tokens.issue(user, { sid: 'session-1', jti: capped.jti, notAfter: T0 + 10 * TOKEN_TTL_MS });
    expect(await tokens.verify(same.token)).toMatchObject({ sid: 'session-1', jti: capped.jti, expiresAt: T0 + TOKEN_TTL_MS });
    // without a session: what versions before sessions issued
    expect((await tokens.verify((await tokens.issue(user)).token)).sid).toBeNull();
    const badSid = await new SignJWT({ role: 'admin', sid: 42 }).setProtectedHeader({ alg: 'HS256' }).setSubject('admin').setIssuer('citygrid').setJti('x')
      .setIssuedAt(T0 / 1000).setExpirationTime(T0 / 1000 + 60).sign(SECRET);
    expect(await reason(tokens.verify(badSid))).toBe('invalid');
  });

  it('refuses a token signed with another secret, altered, or not a JWT', async () => {
    const tokens = new TokenService(SECRET, () => T0);
    const other = new TokenService(new TextEncoder().encode('another-secret-another-secret-0123456789ab'), () => T0);
    const { token } = await other.issue({ username: 'admin', role: 'admin' });
    expect(await reason(tokens.verify(token))).toBe('invalid');
    const mine = (await tokens.issue({ username: 'viewer', role: 'viewer' })).token;
    const [h, p, s] = mine.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), role: 'admin' })).toString('base64url');
    expect(await reason(tokens.verify(`${h}.${forged}.${s}`))).toBe('invalid');
    expect(await reason(tokens.verify('garbage'))).toBe('invalid');
    expect(await reason(tokens.verify(''))).toBe('invalid');
  });

  it('refuses alg none and tokens without the claims it needs', async () => {
    const tokens = new TokenService(SECRET, () => T0);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'admin', role: 'admin', iss: 'citygrid', exp: T0 / 1000 + 60 })).toString('base64url')}.`;
    expect(await reason(tokens.verify(none))).toBe('invalid');
    const noJti = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('admin').setIssuer('citygrid')
      .setIssuedAt(T0 / 1000).setExpirationTime(T0 / 1000 + 60).sign(SECRET);
    expect(await reason(tokens.verify(noJti))).toBe('invalid');
    const badRole = await new SignJWT({ role: 'root' }).setProtectedHeader({ alg: 'HS256' }).setSubject('admin').setIssuer('citygrid').setJti('x')
      .setIssuedAt(T0 / 1000).setExpirationTime(T0 / 1000 + 60).sign(SECRET);
    expect(await reason(tokens.verify(badRole))).toBe('invalid');
  });
});

describe('loadSecret', () => {
  it('uses AUTH_SECRET when given', () => {
    expect(new TextDecoder().decode(loadSecret('x'.repeat(40), '/nonexistent'))).toBe('x'.repeat(40));
  });

  it('generates a secret once, mode 0600, and reads the same one after a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'citygrid-secret-'));
    dirs.push(dir);
    const first = loadSecret(null, dir);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dir, SECRET_FILE)).mode & 0o777).toBe(0o600);
    expect(loadSecret(null, dir)).toEqual(first);
    expect(readFileSync(join(dir, SECRET_FILE), 'utf8').trim()).toBe(new TextDecoder().decode(first));
  });

  it('refuses a secret file that is too short, saying what to do', () => {
    const dir = mkdtempSync(join(tmpdir(), 'citygrid-secret-'));
    dirs.push(dir);
    writeFileSync(join(dir, SECRET_FILE), 'short\n', { mode: 0o644 });
    expect(() => loadSecret(null, dir)).toThrow(/delete the file/);
  });
});
