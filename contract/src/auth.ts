// Sign-in, roles and the audit log, shared by server and dashboard.
import type { Role } from './city.js';

export interface LoginRequest { username: string; password: string }

/** Who is signed in (never a password hash). */
export interface UserView {
  username: string;
  name: string;
  role: Role;
  /** Grid cells a grid worker answers for, districts a supervisor answers for. */
  grids: string[];
  districts: string[];
}

/** POST /api/auth/login and /api/auth/refresh: the token is also set as the httpOnly cookie `cg_token`. */
export interface LoginResponse { token: string; expiresAt: number; user: UserView }

export const TOKEN_COOKIE = 'cg_token';
/** Tokens are short-lived; the dashboard refreshes them while it is open. */
export const TOKEN_TTL_MS = 30 * 60_000; // 30 minutes

export const AUDIT_ACTIONS = [
  'login', 'login_failed', 'logout', 'acknowledge', 'resolve', 'maintenance_start', 'maintenance_end', 'rules_reload',
  'dispatch', 'handle', 'verify', 'send_back',
  // a CSV export (alert history, a device's or a cell's readings): what was asked and how many rows went
  'export',
  // a resident's report marked as spam (issue 17): its receipt
  'report_spam',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** GET /api/audit (admin): append-only, newest first. */
export interface AuditEntry {
  seq: number;
  ts: number;
  /** The acting user (for login_failed: the username that was tried). */
  user: string;
  action: AuditAction;
  /** What was acted on: an alert id, a maintenance window id, a device or cell, rules.yaml. */
  target: string | null;
  note: string | null;
}

/** Who may do what (enforced on every route and socket event). */
export const PERMISSIONS = {
  read: ['viewer', 'operator', 'gridworker', 'admin'],
  /** gridworker: only alerts in their own cells (or districts, for supervisors). */
  actOnAlerts: ['operator', 'gridworker', 'admin'],
  /** Dispatch by hand, verify handling, send it back. gridworker: only a supervisor, in their districts. */
  superviseAlerts: ['operator', 'gridworker', 'admin'],
  maintenance: ['operator', 'admin'],
  reloadRules: ['admin'],
  audit: ['admin'],
  /** Mark a resident's report as spam (it then counts for nothing); audited. */
  markSpam: ['operator', 'admin'],
} as const satisfies Record<string, readonly Role[]>;
