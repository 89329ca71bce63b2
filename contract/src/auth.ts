// Sign-in, roles and the audit log, shared by server and dashboard.
import type { Contacts, Role } from './city.js';

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
  // device provisioning (issue 18): the device id (an import: how many), never a secret
  'device_add', 'device_update', 'device_remove', 'device_rotate', 'devices_import',
  // people administration (issue 18): the username; the note says what changed, never a password or hash.
  // people_file: a hand edit of people.yaml taken in (user "people.yaml")
  'person_add', 'person_update', 'password_change', 'people_file',
  // a test reading sent as a device through the embedded broker (issue 18): the device id, and the outcome
  'device_test',
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

/** People administration (GET /api/admin/people, admin): a person of people.yaml, never a password hash. */
export interface AdminPerson {
  username: string;
  name: string;
  role: Role;
  grids: string[];
  districts: string[];
  department?: string;
  contacts?: Contacts;
  /** May not sign in; nobody's assignee. */
  disabled: boolean;
}
export interface AdminPeopleResponse { people: AdminPerson[] }
/** POST /api/admin/people (201) and PATCH /api/admin/people/:username: the person as written; a made password only in the add's answer. */
export interface AdminPersonResponse { person: AdminPerson; temporaryPassword?: string }
/** POST /api/auth/password: one's own password. */
export interface PasswordChangeRequest { current: string; password: string }

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
  /** Add, move, disable, remove and re-key devices, and import them from CSV; audited. */
  manageDevices: ['admin'],
  /** Add people, change their role, cells and names, disable and enable them; audited. */
  managePeople: ['admin'],
  /** Send a test reading as a device through the embedded broker (its page); audited. */
  testDevices: ['operator', 'admin'],
} as const satisfies Record<string, readonly Role[]>;
