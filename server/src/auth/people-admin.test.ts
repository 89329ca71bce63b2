// Proves people.yaml round-trips through the people administration: an added person, a change of
// cells, disabling and enabling are written so that the contract's loader (loadCity) reads them back,
// with the file's comments, deadlines and other people kept; the last enabled admin cannot be
// disabled or demoted; a hand edit that is bad is refused with file, entry and field (the last good
// people stay, and no change is written over it); a good hand edit followed at once by an admin
// change keeps both; passwords are checked and never written in clear.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compare, hash } from 'bcryptjs';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCity, type City } from '@citygrid/contract/node';
import { createAuth, type Auth } from './index.js';
import { PeopleAdmin, passwordProblem, temporaryPassword } from './people-admin.js';

const DEMO = resolve(import.meta.dirname, '..', '..', '..', 'config', 'demo-city');
let dirs: string[];
let city: City;
let auth: Auth;
let people: PeopleAdmin;
const file = () => join(city.dir, 'people.yaml');
const onDisk = () => loadCity(city.dir).people;

beforeEach(() => {
  const dir = mkdtempSync(join(tmpdir(), 'citygrid-people-'));
  const data = mkdtempSync(join(tmpdir(), 'citygrid-people-data-'));
  dirs = [dir, data];
  cpSync(DEMO, dir, { recursive: true });
  city = loadCity(dir);
  auth = createAuth({ city, dataDir: data, secret: 'unit-test-secret-0123456789-abcdefghijkl', compare: (p, h) => compare(p, h) });
  people = new PeopleAdmin({ city, auth, logger: pino({ level: 'silent' }), watch: false });
});
afterEach(async () => {
  people.close();
  await auth.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('people.yaml round trip', { timeout: 30_000 }, () => {
  it('adds a person whom the loader reads back, with the comments, deadlines and everyone else kept', async () => {
    const before = readFileSync(file(), 'utf8');
    const cell = city.cells[0]!.id;
    const { person, temporaryPassword: shown } = await people.add('admin', { username: 'new-worker', name: '新网格员 (New worker)', role: 'gridworker', grids: [cell], contacts: { mobile: '+447700900123' } });
    expect(shown).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    const text = readFileSync(file(), 'utf8');
    expect(text).not.toContain(shown!);
    expect(text.split('\n').slice(0, 2)).toEqual(before.split('\n').slice(0, 2)); // the header comment
    const reloaded = loadCity(city.dir);
    expect(reloaded.deadlines).toEqual(city.deadlines);
    const read = reloaded.people.find((p) => p.username === 'new-worker')!;
    expect(read).toMatchObject({ name: '新网格员 (New worker)', role: 'gridworker', grids: [cell], contacts: { mobile: '+447700900123' } });
    expect(await compare(shown!, read.password_hash)).toBe(true);
    expect(reloaded.people.filter((p) => p.username !== 'new-worker')).toEqual(loadCity(DEMO).people);
    expect(person.username).toBe('new-worker');
    expect(auth.users.get('new-worker')).toBeDefined();
    expect(city.people.some((p) => p.username === 'new-worker')).toBe(true); // routing and the roster see them
    await expect(people.add('admin', { username: 'new-worker', name: 'again', role: 'viewer' })).rejects.toMatchObject({ code: 'CG_PERSON_EXISTS' });
    await expect(people.add('admin', { username: 'nowhere', name: 'x', role: 'gridworker', grids: ['no-such-cell'] })).rejects.toMatchObject({ code: 'CG_PERSON_INVALID' });
    expect(onDisk().some((p) => p.username === 'nowhere')).toBe(false);
  });

  it('changes cells and disables and enables a person, as the loader reads it', async () => {
    const worker = city.people.find((p) => p.role === 'gridworker' && p.grids?.length)!;
    const other = city.cells.find((c) => !worker.grids!.includes(c.id))!.id;
    await people.update('admin', worker.username, { grids: [other], name: 'Renamed' });
    expect(onDisk().find((p) => p.username === worker.username)).toMatchObject({ grids: [other], name: 'Renamed' });
    await people.update('admin', worker.username, { disabled: true });
    expect(onDisk().find((p) => p.username === worker.username)!.disabled).toBe(true);
    expect(auth.users.get(worker.username)).toBeUndefined(); // sign-in refuses them
    expect(auth.users.find(worker.username)?.disabled).toBe(true);
    expect(city.people.some((p) => p.username === worker.username)).toBe(false); // nobody's assignee
    await people.update('admin', worker.username, { disabled: false });
    expect(onDisk().find((p) => p.username === worker.username)!.disabled).toBeUndefined();
    expect(readFileSync(file(), 'utf8')).not.toMatch(/disabled: false/);
    await expect(people.update('admin', 'no-such-person', { name: 'x' })).rejects.toMatchObject({ code: 'CG_PERSON_NOT_FOUND' });
  });

  it('keeps the last enabled admin one', async () => {
    await expect(people.update('admin', 'admin', { disabled: true })).rejects.toMatchObject({ code: 'CG_LAST_ADMIN' });
    await expect(people.update('admin', 'admin', { role: 'operator' })).rejects.toMatchObject({ code: 'CG_LAST_ADMIN' });
    await people.update('admin', 'operator', { role: 'admin' });
    await people.update('admin', 'admin', { role: 'viewer' }); // another admin now exists
    await expect(people.update('operator', 'operator', { disabled: true })).rejects.toMatchObject({ code: 'CG_LAST_ADMIN' });
    expect(onDisk().filter((p) => p.role === 'admin' && !p.disabled).map((p) => p.username)).toEqual(['operator']);
  });

  it('refuses a bad hand edit naming file, entry and field, keeps the last good people, and writes nothing over it', async () => {
    const good = readFileSync(file(), 'utf8');
    const bad = good.replace(/role: operator/, 'role: superuser');
    writeFileSync(file(), bad);
    const problems = await people.reload();
    expect(problems.join('\n')).toMatch(/people\.yaml: user 1 \(operator\) field role/);
    expect(people.health()).toMatchObject({ status: 'degraded' });
    expect(auth.users.get('operator')?.role).toBe('operator');
    await expect(people.update('admin', 'viewer', { name: 'x' })).rejects.toMatchObject({ code: 'CG_PEOPLE_FILE_REFUSED' });
    expect(readFileSync(file(), 'utf8')).toBe(bad); // the person's edit is theirs to fix
    writeFileSync(file(), good.replace(/role: operator/, 'role: viewer'));
    expect(await people.reload()).toEqual([]);
    expect(people.health()).toEqual({ status: 'ok' });
    expect(auth.users.get('operator')?.role).toBe('viewer');
  });

  it('takes a hand edit in before an admin change made right after it: neither is lost', async () => {
    const text = readFileSync(file(), 'utf8').replace('name: Demo viewer', 'name: Viewer by hand');
    writeFileSync(file(), text); // no watch here: the change reads the file first
    await people.update('admin', 'operator', { name: 'Operator by API' });
    const read = onDisk();
    expect(read.find((p) => p.username === 'viewer')!.name).toBe('Viewer by hand');
    expect(read.find((p) => p.username === 'operator')!.name).toBe('Operator by API');
  });

  it('changes a password: the new one verifies, the old one does not, and neither is in the file', async () => {
    const cookie = 'session-kept';
    await expect(people.setPassword('viewer', 'short', cookie)).rejects.toMatchObject({ code: 'CG_PASSWORD_WEAK' });
    await people.setPassword('viewer', 'correct horse battery', cookie);
    const stored = onDisk().find((p) => p.username === 'viewer')!.password_hash;
    expect(await compare('correct horse battery', stored)).toBe(true);
    expect(await compare('demo-viewer', stored)).toBe(false);
    expect(readFileSync(file(), 'utf8')).not.toContain('correct horse battery');
  });
});

describe('password rules', () => {
  it('refuses short, repetitive, username-bearing and common passwords; accepts made ones', async () => {
    expect(passwordProblem('abc123', 'ann')).toMatch(/at least 10/);
    expect(passwordProblem('aaaaaaaaaaaa', 'ann')).toMatch(/different characters/);
    expect(passwordProblem('x'.repeat(40) + 'é'.repeat(20), 'ann')).toMatch(/72 bytes/);
    expect(passwordProblem('demo-operator!', 'operator')).toMatch(/username/);
    expect(passwordProblem('MyPassword2024', 'ann')).toMatch(/password/);
    expect(passwordProblem('tram lines at dawn', 'ann')).toBeNull();
    for (let i = 0; i < 50; i++) expect(passwordProblem(temporaryPassword(), 'ann')).toBeNull();
    expect(await hash('x', 4)).toMatch(/^\$2b\$04\$/); // bcryptjs as the pool uses it
  });
});
