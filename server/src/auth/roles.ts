// Who may do what: the contract's PERMISSIONS table, plus the grid worker's "own cells only" rule.
import { PERMISSIONS, type Role, type UserView } from '@citygrid/contract';

export type Permission = keyof typeof PERMISSIONS;

/** Plain words for a 403: "a viewer may not <words>". */
export const PERMISSION_WORDS: Record<Permission, string> = {
  read: 'read the city data',
  actOnAlerts: 'acknowledge or resolve alerts',
  superviseAlerts: 'dispatch alerts, or verify or send back their handling',
  maintenance: 'start or end maintenance windows',
  reloadRules: 'reload the alert rules',
  audit: 'read the audit log',
  markSpam: 'mark residents\' reports as spam',
  manageDevices: 'add, change, re-key or remove devices',
  testDevices: 'send test readings as a device',
  managePeople: 'add people, or change their role, cells or whether they may sign in',
};

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

type Actor = Pick<UserView, 'username' | 'role' | 'grids' | 'districts'>;
type Acted = { grid: string; district: string; assignees: readonly string[] };

/** A grid worker acts only on alerts in their own cells, in the districts they supervise, or dispatched to them. */
export function mayActOnAlert(user: Actor, alert: Acted): boolean {
  if (!can(user.role, 'actOnAlerts')) return false;
  if (user.role !== 'gridworker') return true;
  return user.grids.includes(alert.grid) || user.districts.includes(alert.district) || alert.assignees.includes(user.username);
}

/** Dispatch, verify and send back: operators and admins anywhere, a supervisor in their districts. */
export function maySupervise(user: Actor, alert: Acted): boolean {
  if (!can(user.role, 'superviseAlerts')) return false;
  return user.role !== 'gridworker' || user.districts.includes(alert.district);
}

export function forbiddenMessage(user: Pick<UserView, 'username' | 'role'>, permission: Permission): string {
  const article = /^[aeiou]/.test(user.role) ? 'an' : 'a';
  return `${user.username} is ${article} ${user.role}, and ${article} ${user.role} may not ${PERMISSION_WORDS[permission]}`;
}
