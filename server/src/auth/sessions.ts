// Sign-in sessions: one record per sign-in, shared by the tokens its refreshes issue. It holds the
// current token id (and, for a short grace, the one the last refresh replaced), the session's absolute
// end (SESSION_MAX_AGE after sign-in), and when it was signed out. A token is accepted only while its
// session is known here, not signed out, not past its end, and names its current (or just-replaced)
// token id: absence means "refused", so no list of revocations can overflow.
//
// SessionStore is the small interface the rest of sign-in uses (async: cluster mode will keep sessions
// in Redis). SqliteSessionStore keeps them in DATA_DIR/sessions.db (better-sqlite3, like the audit log),
// so sign-outs survive restarts. Ended sessions are pruned: past their end, or signed out for longer
// than a token lives (no token of theirs can still be valid).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { TOKEN_TTL_MS } from '@citygrid/contract';

export const SESSIONS_FILE = 'sessions.db';

export interface SessionRecord {
  sid: string;
  username: string;
  startedAt: number;
  /** The absolute end: tokens never outlive it, refreshes never move it. */
  expiresAt: number;
  /** The current token id. */
  jti: string;
  /** The token id the last refresh replaced, accepted until prevUntil (requests already on their way). */
  prevJti: string | null;
  prevUntil: number;
  /** Signed out: every token of the session is refused from then on. */
  revokedAt: number | null;
}

export interface SessionStore {
  /**
   * When this store first opened (ms). Tokens without a session id that were issued before it come from
   * a version before sessions; later ones come from nowhere this server knows.
   */
  readonly createdAt: number;
  get(sid: string): Promise<SessionRecord | null>;
  /** Adds a session; false if one with this id exists. */
  create(record: SessionRecord): Promise<boolean>;
  /**
   * Compare-and-set for a refresh: `toJti` becomes current and `fromJti` the replaced one (accepted until
   * `prevUntil`), only if `fromJti` is still current and the session is not signed out.
   */
  rotate(sid: string, fromJti: string, toJti: string, prevUntil: number): Promise<boolean>;
  /** Signs the session out as of `at`; false if unknown or already signed out. */
  revoke(sid: string, at: number): Promise<boolean>;
  /** A user's sessions neither signed out nor past their end, oldest first. */
  live(username: string): Promise<SessionRecord[]>;
  /** Removes ended sessions; how many. */
  prune(): Promise<number>;
  count(): Promise<number>;
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  sid TEXT PRIMARY KEY, username TEXT NOT NULL, started_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  jti TEXT NOT NULL, prev_jti TEXT, prev_until INTEGER NOT NULL DEFAULT 0, revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS sessions_live ON sessions (username, started_at) WHERE revoked_at IS NULL;
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

interface Row { sid: string; username: string; started_at: number; expires_at: number; jti: string; prev_jti: string | null; prev_until: number; revoked_at: number | null }

const fromRow = (r: Row): SessionRecord => ({
  sid: r.sid, username: r.username, startedAt: r.started_at, expiresAt: r.expires_at, jti: r.jti, prevJti: r.prev_jti, prevUntil: r.prev_until, revokedAt: r.revoked_at,
});

export class SqliteSessionStore implements SessionStore {
  readonly createdAt: number;
  private readonly db: Database.Database;
  private readonly stmt: Record<'get' | 'insert' | 'rotate' | 'revoke' | 'live' | 'prune' | 'count', Database.Statement>;

  constructor(path: string, private readonly now: () => number = Date.now) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('created_at', ?)").run(String(now()));
    this.createdAt = Number((this.db.prepare("SELECT value FROM meta WHERE key = 'created_at'").get() as { value: string }).value);
    this.stmt = {
      get: this.db.prepare('SELECT * FROM sessions WHERE sid = ?'),
      insert: this.db.prepare(`INSERT OR IGNORE INTO sessions (sid, username, started_at, expires_at, jti, prev_jti, prev_until, revoked_at)
        VALUES (@sid, @username, @startedAt, @expiresAt, @jti, @prevJti, @prevUntil, @revokedAt)`),
      rotate: this.db.prepare('UPDATE sessions SET prev_jti = jti, prev_until = ?, jti = ? WHERE sid = ? AND jti = ? AND revoked_at IS NULL'),
      revoke: this.db.prepare('UPDATE sessions SET revoked_at = ? WHERE sid = ? AND revoked_at IS NULL'),
      live: this.db.prepare('SELECT * FROM sessions WHERE username = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY started_at, rowid'),
      prune: this.db.prepare('DELETE FROM sessions WHERE expires_at <= ? OR revoked_at <= ?'),
      count: this.db.prepare('SELECT COUNT(*) AS n FROM sessions'),
    };
  }

  async get(sid: string): Promise<SessionRecord | null> {
    const row = this.stmt.get.get(sid) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async create(record: SessionRecord): Promise<boolean> {
    return this.stmt.insert.run(record).changes === 1;
  }

  async rotate(sid: string, fromJti: string, toJti: string, prevUntil: number): Promise<boolean> {
    return this.stmt.rotate.run(prevUntil, toJti, sid, fromJti).changes === 1;
  }

  async revoke(sid: string, at: number): Promise<boolean> {
    return this.stmt.revoke.run(at, sid).changes === 1;
  }

  async live(username: string): Promise<SessionRecord[]> {
    return (this.stmt.live.all(username, this.now()) as Row[]).map(fromRow);
  }

  async prune(): Promise<number> {
    const now = this.now();
    return this.stmt.prune.run(now, now - TOKEN_TTL_MS).changes;
  }

  async count(): Promise<number> {
    return (this.stmt.count.get() as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}
