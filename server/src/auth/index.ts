// Sign-in as one unit for system.ts and buildApp: users from people.yaml, password checks (in a worker
// pool), the login limiter, the audit log, and sessions: `signIn(user)` starts one, `refresh` rotates
// its token, `revoke` (logout) ends it, and `session(token)`, which both HTTP and Socket.IO use, says
// who is asking. Sessions live in DATA_DIR/sessions.db (sessions.ts), so sign-outs survive restarts.
//
// Rotation: a refresh issues a new token id and retires the one presented; the retired token is still
// accepted for `refreshGraceMs` (60 s) so that requests already on their way with it do not fail. A
// retired token presented to refresh within that grace gets a token of the current id (two tabs
// refreshing at once, or an answer lost on the network and retried): never a second line of tokens.
// Lifetime: a session ends `sessionMaxAgeMs` (SESSION_MAX_AGE, 12 h) after sign-in; tokens are issued
// to end no later, and refreshes cannot move it.
// Tokens without a session id (issued by versions before sessions) are accepted only if issued before
// this DATA_DIR first kept sessions, so for at most TOKEN_TTL_MS after the upgrade; a refresh turns one
// into a session (starting when the token was issued), and logout ends it. Any other token without a
// session id is refused ("sign in again").
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { hash as bcryptHash } from 'bcryptjs';
import type { City } from '@citygrid/contract/node';
import type { Role, UserView } from '@citygrid/contract';
import { AUDIT_FILE, AuditLog } from './audit-log.js';
import { BcryptPool } from './bcrypt-pool.js';
import { LoginLimiter, type LimiterOptions, type SignInLimiter } from './login-limiter.js';
import { Passwords, type Compare } from './passwords.js';
import { SESSIONS_FILE, SqliteSessionStore, type SessionRecord, type SessionStore } from './sessions.js';
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

export interface IssuedToken {
  token: string;
  expiresAt: number;
  /** The session it belongs to. */
  sid: string;
  jti: string;
}

/** A session that ended (signed out, or over its user's cap): its sockets are disconnected. */
export interface EndedSession {
  sid: string;
  username: string;
}

export interface Auth {
  users: Users;
  passwords: Passwords;
  limiter: SignInLimiter;
  audit: AuditLog;
  sessions: SessionStore;
  /** SESSION_MAX_AGE in ms. */
  readonly sessionMaxAgeMs: number;
  /** Sign-in (the password already checked): a new session and its first token. */
  signIn(user: { username: string; role: Role }): Promise<IssuedToken>;
  /** The same as signIn, under the name earlier callers used (a token for a user is a new session). */
  tokens: { issue(user: { username: string; role: Role }): Promise<IssuedToken> };
  /** A new token for the session (the presented one retires after the grace period); throws SessionError. */
  refresh(session: Session): Promise<IssuedToken>;
  /** Verifies a token and finds its session and user; throws SessionError. */
  session(token: string): Promise<Session>;
  /** Logout: every token of the claims' session is refused from now on, across restarts. */
  revoke(claims: TokenClaims): Promise<void>;
  /** Told of every session that ends early (Socket.IO disconnects its sockets). */
  onRevoke(listener: (ended: EndedSession) => void): void;
  /**
   * People administration: ends every live session of a user (disabled, removed, role changed),
   * but `except` (the session changing its own password); their sockets are disconnected. How many.
   */
  endSessionsOf(username: string, o?: { except?: string }): Promise<number>;
  /**
   * A user's cells changed: their sessions stay, but their sockets are disconnected (the listeners of
   * onRevoke) so that they reconnect and are scoped anew (the dashboard reconnects by itself).
   */
  reopenSocketsOf(username: string): Promise<void>;
  close(): Promise<void>;
}

export interface AuthOptions {
  city: City;
  dataDir: string;
  /** AUTH_SECRET; null: DATA_DIR/auth-secret. */
  secret: string | null;
  now?: () => number;
  limiter?: LimiterOptions;
  /** Where the sign-in back-off is kept; default in memory with `limiter`'s limits (cluster mode: Redis). */
  signInLimiter?: SignInLimiter;
  /** SESSION_MAX_AGE; default 12 h. */
  sessionMaxAgeMs?: number;
  /** How long a token a refresh replaced is still accepted; default 60 s. */
  refreshGraceMs?: number;
  /** Live sessions one user may hold; signing in past it ends their oldest. Default 50. */
  maxSessionsPerUser?: number;
  /** Password check threads and how many checks may wait (bcrypt-pool.ts). */
  passwordWorkers?: number;
  passwordQueue?: number;
  /** Compare passwords with this instead of the worker pool (tests). */
  compare?: Compare;
  /** Where sessions live; default DATA_DIR/sessions.db. */
  sessions?: SessionStore;
}

export const DEFAULT_SESSION_MAX_AGE_MS = 12 * 3_600_000; // 12 hours
export const DEFAULT_REFRESH_GRACE_MS = 60_000; // 60 seconds
const PRUNE_EVERY_MS = 10 * 60_000; // 10 minutes

/** The session a token belongs to: its sid, or for a token without one, a session named after its token id. */
export function sessionKey(claims: Pick<TokenClaims, 'sid' | 'jti'>): string {
  return claims.sid ?? `legacy:${claims.jti}`;
}

function limitWords(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : `${Math.round(ms / 60_000)} min`;
}

export function createAuth(o: AuthOptions): Auth {
  const now = o.now ?? Date.now;
  const maxAgeMs = o.sessionMaxAgeMs ?? DEFAULT_SESSION_MAX_AGE_MS;
  const graceMs = o.refreshGraceMs ?? DEFAULT_REFRESH_GRACE_MS;
  const maxSessions = o.maxSessionsPerUser ?? 50;
  const users = new Users(o.city.people);
  const tokens = new TokenService(loadSecret(o.secret, o.dataDir), now);
  const limiter = o.signInLimiter ?? new LoginLimiter({ now, ...o.limiter });
  const audit = new AuditLog(join(o.dataDir, AUDIT_FILE), now);
  const store = o.sessions ?? new SqliteSessionStore(join(o.dataDir, SESSIONS_FILE), now);
  const pool = o.compare ? null : new BcryptPool({ workers: o.passwordWorkers, maxQueue: o.passwordQueue });
  const passwords = new Passwords(o.city.people, o.compare ?? ((password, hash) => pool!.compare(password, hash)),
    pool ? (password, rounds) => pool.hash(password, rounds) : (password, rounds) => bcryptHash(password, rounds));
  const listeners: ((ended: EndedSession) => void)[] = [];
  const tell = (ended: EndedSession) => { for (const l of listeners) l(ended); };
  // sid-less tokens are the previous version's only if issued in a whole second before the store began
  const legacyBefore = Math.floor(store.createdAt / 1000) * 1000;

  const prune = () => store.prune().catch(() => 0);
  void prune();
  const pruner = setInterval(prune, PRUNE_EVERY_MS);
  pruner.unref();

  /** Why a session's record refuses this token, or null if it accepts it. */
  function refusal(record: SessionRecord, claims: TokenClaims, t: number): string | null {
    if (record.username !== claims.username) return 'Sign in again: the token does not match its session';
    if (record.revokedAt !== null && record.revokedAt <= t) return 'Sign in again: you signed out of this session';
    if (record.expiresAt <= t) return `Sign in again: your session reached its ${limitWords(maxAgeMs)} limit (SESSION_MAX_AGE)`;
    if (claims.jti === record.jti || (claims.jti === record.prevJti && t < record.prevUntil)) return null;
    return 'Sign in again: this token was replaced by a newer one (the session was refreshed)';
  }

  async function signIn(user: { username: string; role: Role }): Promise<IssuedToken> {
    const t = now();
    const sid = randomUUID();
    const jti = randomUUID();
    await store.create({ sid, username: user.username, startedAt: t, expiresAt: t + maxAgeMs, jti, prevJti: null, prevUntil: 0, revokedAt: null });
    // a bounded number of live sessions per user: past it, the oldest ends (refused, never resurrected)
    const live = await store.live(user.username);
    for (const old of live.slice(0, Math.max(0, live.length - maxSessions))) {
      if (await store.revoke(old.sid, t)) tell({ sid: old.sid, username: old.username });
    }
    const issued = await tokens.issue(user, { sid, jti, notAfter: t + maxAgeMs });
    return { ...issued, sid };
  }

  return {
    users, passwords, limiter, audit, sessions: store,
    sessionMaxAgeMs: maxAgeMs,
    signIn,
    tokens: { issue: signIn },

    async session(token) {
      let claims: TokenClaims;
      try {
        claims = await tokens.verify(token);
      } catch (err) {
        if (err instanceof TokenError) throw new SessionError(err.reason === 'expired' ? 'Sign in again: your session expired' : `Sign in again: ${err.message}`);
        throw err;
      }
      const record = await store.get(sessionKey(claims));
      if (record) {
        const why = refusal(record, claims, now());
        if (why) throw new SessionError(why);
      } else if (claims.sid !== null) {
        throw new SessionError('Sign in again: this session is not known here (it ended, or was started with another DATA_DIR)');
      } else if (claims.issuedAt >= legacyBefore) {
        throw new SessionError('Sign in again: this token belongs to no session');
      }
      const person = users.find(claims.username);
      if (!person) throw new SessionError(`Sign in again: user "${claims.username}" is no longer in people.yaml`);
      if (person.disabled) throw new SessionError(`Sign in again: user "${claims.username}" was disabled`);
      if (person.role !== claims.role) throw new SessionError(`Sign in again: your role changed from ${claims.role} to ${person.role}`);
      return { user: Users.view(person), claims };
    },

    async refresh({ user, claims }) {
      const t = now();
      const sid = sessionKey(claims);
      let record = await store.get(sid);
      if (!record && claims.sid === null) {
        // a token of the previous version becomes a session, started when it was issued
        await store.create({ sid, username: claims.username, startedAt: claims.issuedAt, expiresAt: claims.issuedAt + maxAgeMs, jti: claims.jti, prevJti: null, prevUntil: 0, revokedAt: null });
        record = await store.get(sid);
      }
      if (!record) throw new SessionError('Sign in again: this session is not known here');
      const why = refusal(record, claims, t);
      if (why) throw new SessionError(why);
      let jti: string = randomUUID();
      if (claims.jti !== record.jti || !(await store.rotate(sid, claims.jti, jti, t + graceMs))) {
        // the presented token was replaced moments ago (or another refresh just won): the current one
        const current = await store.get(sid);
        const again = current && refusal(current, { ...claims, jti: current.jti }, t);
        if (!current || again) throw new SessionError(again || 'Sign in again: this session is not known here');
        jti = current.jti;
      }
      const issued = await tokens.issue(user, { sid, jti, notAfter: record.expiresAt });
      if (issued.expiresAt <= t) throw new SessionError(`Sign in again: your session reached its ${limitWords(maxAgeMs)} limit (SESSION_MAX_AGE)`);
      return { ...issued, sid };
    },

    async revoke(claims) {
      const t = now();
      const sid = sessionKey(claims);
      if (!(await store.revoke(sid, t)) && claims.sid === null) {
        // a token of the previous version, never refreshed: remember its sign-out until it expires
        await store.create({ sid, username: claims.username, startedAt: claims.issuedAt, expiresAt: claims.expiresAt, jti: claims.jti, prevJti: null, prevUntil: 0, revokedAt: t });
      }
      tell({ sid, username: claims.username });
    },

    onRevoke: (listener) => { listeners.push(listener); },

    async endSessionsOf(username, eo = {}) {
      const t = now();
      let ended = 0;
      for (const s of await store.live(username)) {
        if (s.sid === eo.except) continue;
        if (await store.revoke(s.sid, t)) ended++;
        tell({ sid: s.sid, username });
      }
      return ended;
    },

    async reopenSocketsOf(username) {
      for (const s of await store.live(username)) tell({ sid: s.sid, username });
    },

    async close() {
      clearInterval(pruner);
      store.close();
      audit.close();
      await pool?.close();
    },
  };
}

export { Users } from './users.js';
export type { TokenClaims } from './tokens.js';
