// Who may do what: the contract's PERMISSIONS table, plus the grid worker's "own cells only" rule.
import { PERMISSIONS, type Role, type UserView } from '@citygrid/contract';

export type Permission = keyof typeof PERMISSIONS;

/** Plain words for a 403: "a viewer may not <words>". */
export const PERMISSION_WORDS: Record<Permission, string> = {
  read: 'read the city data',
  actOnAlerts: 'acknowledge or resolve alerts',
  maintenance: 'start or end maintenance windows',
  reloadRules: 'reload the alert rules',
  audit: 'read the audit log',
};

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/** A grid worker acts only on alerts in their own cells, or in the districts they supervise. */
export function mayActOnAlert(user: Pick<UserView, 'role' | 'grids' | 'districts'>, alert: { grid: string; district: string }): boolean {
  if (!can(user.role, 'actOnAlerts')) return false;
  if (user.role !== 'gridworker') return true;
  return user.grids.includes(alert.grid) || user.districts.includes(alert.district);
}

export function forbiddenMessage(user: Pick<UserView, 'username' | 'role'>, permission: Permission): string {
  const article = /^[aeiou]/.test(user.role) ? 'an' : 'a';
  return `${user.username} is ${article} ${user.role}, and ${article} ${user.role} may not ${PERMISSION_WORDS[permission]}`;
}
