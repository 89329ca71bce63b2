// Sign-in as one unit for system.ts and buildApp: users from people.yaml, tokens, the login limiter,
// the audit log, and `session(token)`, which both HTTP and Socket.IO use to know who is asking.
import { join } from 'node:path';
import type { City } from '@citygrid/contract/node';
import type { UserView } from '@citygrid/contract';
import { AUDIT_FILE, AuditLog } from './audit-log.js';
import { LoginLimiter, type LimiterOptions } from './login-limiter.js';
import { loadSecret, TokenError, TokenService, type TokenClaims } from './tokens.js';
import { Users } from './users.js';

export interface Session {
  user: UserView;
  claims: TokenClaims;
}

/** Why a token was not accepted, in words for the person ("sign in again: ..."). */
export class SessionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SessionError';
  }
}

export interface Auth {
  users: Users;
  tokens: TokenService;
  limiter: LoginLimiter;
  audit: AuditLog;
  /** Verifies a token and finds its user; throws SessionError. */
  session(token: string): Promise<Session>;
  /** Logout: the token is refused from now on (until it would have expired anyway). */
  revoke(claims: TokenClaims): void;
  /** Told of every revoked session (Socket.IO disconnects its sockets). */
  onRevoke(listener: (claims: TokenClaims) => void): void;
  close(): void;
}

export interface AuthOptions {
  city: City;
  dataDir: string;
  /** AUTH_SECRET; null: DATA_DIR/auth-secret. */
  secret: string | null;
  now?: () => number;
  limiter?: LimiterOptions;
}

const MAX_REVOKED = 10_000;

export function createAuth(o: AuthOptions): Auth {
  const now = o.now ?? Date.now;
  const users = new Users(o.city.people);
  const tokens = new TokenService(loadSecret(o.secret, o.dataDir), now);
  const limiter = new LoginLimiter({ now, ...o.limiter });
  const audit = new AuditLog(join(o.dataDir, AUDIT_FILE), now);
  const revoked = new Map<string, number>();
  const revokeListeners: ((claims: TokenClaims) => void)[] = [];

  return {
    users, tokens, limiter, audit,
    async session(token) {
      let claims: TokenClaims;
      try {
        claims = await tokens.verify(token);
      } catch (err) {
        if (err instanceof TokenError) throw new SessionError(err.reason === 'expired' ? 'Sign in again: your session expired' : `Sign in again: ${err.message}`);
        throw err;
      }
      if (revoked.has(claims.jti)) throw new SessionError('Sign in again: you signed out of this session');
      const person = users.get(claims.username);
      if (!person) throw new SessionError(`Sign in again: user "${claims.username}" is no longer in people.yaml`);
      if (person.role !== claims.role) throw new SessionError(`Sign in again: your role changed from ${claims.role} to ${person.role}`);
      return { user: Users.view(person), claims };
    },
    revoke(claims) {
      const t = now();
      for (const [jti, exp] of revoked) if (exp <= t) revoked.delete(jti);
      if (revoked.size >= MAX_REVOKED) revoked.delete(revoked.keys().next().value!);
      revoked.set(claims.jti, claims.expiresAt);
      for (const listener of revokeListeners) listener(claims);
    },
    onRevoke: (listener) => { revokeListeners.push(listener); },
    close: () => audit.close(),
  };
}

export { Users } from './users.js';
export type { TokenClaims } from './tokens.js';
