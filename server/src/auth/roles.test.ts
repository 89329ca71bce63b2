// Proves the role table (permission × role → allowed) and the grid worker's own-cells rule.
import { describe, expect, it } from 'vitest';
import { ROLES, type Role } from '@citygrid/contract';
import { can, forbiddenMessage, mayActOnAlert, maySupervise, type Permission } from './roles.js';

const TABLE: Record<Permission, Record<Role, boolean>> = {
  read: { viewer: true, operator: true, gridworker: true, admin: true },
  actOnAlerts: { viewer: false, operator: true, gridworker: true, admin: true },
  superviseAlerts: { viewer: false, operator: true, gridworker: true, admin: true },
  maintenance: { viewer: false, operator: true, gridworker: false, admin: true },
  reloadRules: { viewer: false, operator: false, gridworker: false, admin: true },
  audit: { viewer: false, operator: false, gridworker: false, admin: true },
  markSpam: { viewer: false, operator: true, gridworker: false, admin: true },
  manageDevices: { viewer: false, operator: false, gridworker: false, admin: true },
  managePeople: { viewer: false, operator: false, gridworker: false, admin: true },
  testDevices: { viewer: false, operator: true, gridworker: false, admin: true },
};

describe('can(role, permission)', () => {
  for (const [permission, byRole] of Object.entries(TABLE) as [Permission, Record<Role, boolean>][]) {
    for (const role of ROLES) {
      it(`${role} ${byRole[role] ? 'may' : 'may not'} ${permission}`, () => {
        expect(can(role, permission)).toBe(byRole[role]);
      });
    }
  }
});

describe('mayActOnAlert', () => {
  const alert = { grid: 'c-1', district: 'east', assignees: ['gw-c-1'] };
  const user = (role: Role, grids: string[] = [], districts: string[] = [], username = `someone-${role}`) => ({ username, role, grids, districts });

  it('lets operators and admins act anywhere, never viewers', () => {
    expect(mayActOnAlert(user('operator'), alert)).toBe(true);
    expect(mayActOnAlert(user('admin'), alert)).toBe(true);
    expect(mayActOnAlert(user('viewer', ['c-1']), alert)).toBe(false);
  });

  it('lets a grid worker act only in their cells or supervised districts', () => {
    expect(mayActOnAlert(user('gridworker', ['c-1']), alert)).toBe(true);
    expect(mayActOnAlert(user('gridworker', ['c-2']), alert)).toBe(false);
    expect(mayActOnAlert(user('gridworker', [], ['east']), alert)).toBe(true);
    expect(mayActOnAlert(user('gridworker', [], ['west']), alert)).toBe(false);
    expect(mayActOnAlert(user('gridworker'), alert)).toBe(false);
  });

  it('lets a grid worker of another cell act on an alert dispatched to them', () => {
    expect(mayActOnAlert(user('gridworker', ['c-9'], [], 'gw-c-9'), { ...alert, assignees: ['gw-c-9'] })).toBe(true);
    expect(mayActOnAlert(user('gridworker', ['c-9'], [], 'gw-c-9'), alert)).toBe(false);
  });

  it('lets only operators, admins and the district\'s supervisor dispatch, verify or send back', () => {
    expect(maySupervise(user('operator'), alert)).toBe(true);
    expect(maySupervise(user('admin'), alert)).toBe(true);
    expect(maySupervise(user('gridworker', [], ['east']), alert)).toBe(true);
    expect(maySupervise(user('gridworker', [], ['west']), alert)).toBe(false);
    expect(maySupervise(user('gridworker', ['c-1'], [], 'gw-c-1'), alert)).toBe(false); // the cell's own worker, and its assignee
    expect(maySupervise(user('viewer'), alert)).toBe(false);
  });

  it('names the role and what it may not do', () => {
    expect(forbiddenMessage({ username: 'viewer', role: 'viewer' }, 'audit')).toBe('viewer is a viewer, and a viewer may not read the audit log');
    expect(forbiddenMessage({ username: 'operator', role: 'operator' }, 'reloadRules')).toContain('an operator may not reload the alert rules');
  });
});
