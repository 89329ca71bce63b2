// Proves personView never carries the password hash, and carries contact handles to admins only.
import { ROLES, type Person } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import { personView } from './people-view.js';

const person: Person = {
  username: 'gw-1', name: 'Worker 1', role: 'gridworker', grids: ['c-a'], department: 'Drainage',
  password_hash: '$2b$10$OqSvAH4XyPvnAEJLjfelKO2Jidj4gdFQIjIoxX06ulFkjqVFuG9Ne',
  contacts: { dingtalk: 'dt-1', wecom: 'wc-1', feishu: 'ou_1', mobile: '+447700900001' },
};

describe('personView', () => {
  it.each(ROLES.filter((r) => r !== 'admin'))('gives a %s who the person is, without hash or contacts', (role) => {
    const view = personView(person, role);
    expect(view).toEqual({ username: 'gw-1', name: 'Worker 1', role: 'gridworker', grids: ['c-a'], districts: [], department: 'Drainage' });
    expect(JSON.stringify(view)).not.toMatch(/dt-1|wc-1|ou_1|447700900001|\$2b\$/);
  });

  it('gives an admin the contacts too (a copy), never the hash', () => {
    const view = personView(person, 'admin');
    expect(view.contacts).toEqual(person.contacts);
    expect(view.contacts).not.toBe(person.contacts);
    expect(JSON.stringify(view)).not.toContain('$2b$');
  });

  it('leaves out what the person does not have', () => {
    const { contacts: _c, department: _d, ...plain } = person;
    expect(personView(plain, 'admin')).toEqual({ username: 'gw-1', name: 'Worker 1', role: 'gridworker', grids: ['c-a'], districts: [] });
  });
});
