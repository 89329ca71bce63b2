// Sign-in tokens: short-lived HS256 JWTs (jose) with sub = username, role, and sid = the sign-in's
// session (sessions.ts), which a token never outlives. The secret comes from AUTH_SECRET or, unset, is
// generated once and kept in DATA_DIR/auth-secret (mode 0600) so tokens survive restarts.
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors, jwtVerify, SignJWT } from 'jose';
import { ROLES, TOKEN_TTL_MS, type Role } from '@citygrid/contract';

export const SECRET_FILE = 'auth-secret';
const ISSUER = 'citygrid';
const MIN_SECRET = 32;

export interface TokenClaims {
  username: string;
  role: Role;
  /** Token id: the session accepts its current one (and, briefly, the one the last refresh replaced). */
  jti: string;
  /** The sign-in's session, shared by its refreshes; null in tokens of versions before sessions. */
  sid: string | null;
  issuedAt: number;
  expiresAt: number;
}

export class TokenError extends Error {
  constructor(readonly reason: 'expired' | 'invalid', message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

/** AUTH_SECRET when given; else DATA_DIR/auth-secret, created with 32 random bytes on first start. */
export function loadSecret(configured: string | null, dataDir: string): Uint8Array {
  if (configured !== null) return new TextEncoder().encode(configured);
  const path = join(dataDir, SECRET_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600); // nobody else may read it
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dataDir, { recursive: true });
    text = randomBytes(48).toString('base64url');
    // 'wx': if another process created it meanwhile, fail rather than overwrite its secret
    writeFileSync(path, `${text}\n`, { mode: 0o600, flag: 'wx' });
  }
  if (text.length < MIN_SECRET) throw new Error(`${path} holds a secret shorter than ${MIN_SECRET} characters; delete the file to have a new one generated (everyone signs in again)`);
  return new TextEncoder().encode(text);
}

export class TokenService {
  constructor(
    private readonly secret: Uint8Array,
    private readonly now: () => number = Date.now,
    readonly ttlMs: number = TOKEN_TTL_MS,
  ) {}

  /**
   * A token for `session` (its id; `notAfter`: the session's end, which the token never outlives; `jti`:
   * reissue that token id instead of a new one). Without `session`: a token as versions before sessions
   * issued them (tests use it for those).
   */
  async issue(user: { username: string; role: Role }, session?: { sid: string; notAfter: number; jti?: string }): Promise<{ token: string; expiresAt: number; jti: string }> {
    const iat = Math.floor(this.now() / 1000);
    let exp = iat + Math.floor(this.ttlMs / 1000);
    if (session) exp = Math.min(exp, Math.floor(session.notAfter / 1000));
    const jti = session?.jti ?? randomUUID();
    const token = await new SignJWT(session ? { role: user.role, sid: session.sid } : { role: user.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.username)
      .setIssuer(ISSUER)
      .setJti(jti)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.secret);
    return { token, expiresAt: exp * 1000, jti };
  }

  /** Throws TokenError('expired' | 'invalid'). */
  async verify(token: string): Promise<TokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        algorithms: ['HS256'], issuer: ISSUER, requiredClaims: ['sub', 'exp', 'iat', 'jti'], currentDate: new Date(this.now()), clockTolerance: 0,
      });
      const role = payload.role as Role;
      if (typeof payload.sub !== 'string' || !(ROLES as readonly string[]).includes(role)) throw new TokenError('invalid', 'the token does not name a user and role');
      if (payload.sid !== undefined && (typeof payload.sid !== 'string' || !payload.sid)) throw new TokenError('invalid', 'the token names no valid session');
      return { username: payload.sub, role, jti: String(payload.jti), sid: (payload.sid as string | undefined) ?? null, issuedAt: payload.iat! * 1000, expiresAt: payload.exp! * 1000 };
    } catch (err) {
      if (err instanceof TokenError) throw err;
      if (err instanceof errors.JWTExpired) throw new TokenError('expired', 'your session expired: sign in again');
      throw new TokenError('invalid', 'the token is not valid here (malformed, altered or signed with another secret): sign in again');
    }
  }
}
