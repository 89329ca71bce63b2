// Proves people administration at runtime over the real server (issue 18): an added person signs in at
// once with the password shown; disabling ends their open session (401) and refuses sign-in; a change
// of cells applies to their next request and re-scopes their socket, a change of role ends their
// session; only admins may administer (403 for the others), and the last enabled admin stays one;
// one's own password change works and the old password stops; every change is audited without a
// password; a bad hand edit of people.yaml is refused with file, entry and field (health degraded, the
// last good people stay), a good one is taken in; and a restart keeps it all (people.yaml on disk
// loads with the contract's loader).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminPeopleResponse, AdminPersonResponse, AuditResponse, HealthResponse, UserView } from '@citygrid/contract';
import { loadCity, type City } from '@citygrid/contract/node';
import { DEMO_CITY, connectSocket, getJson, login, sendJson, startTestSystem, tempDir, waitFor } from '../helpers/system.js';

const AUTH_SECRET = 'people-admin-test-secret-0123456789-abcdefghij';
const cityDir = tempDir('citygrid-people-city-');
const dataDir = tempDir('citygrid-people-data-');
let system: Awaited<ReturnType<typeof startTestSystem>>;
let base: string;
let admin: string;
let demo: City;
let cellA: string;
let cellB: string;
let deviceA: string;
let deviceB: string;

async function start() {
  system = await startTestSystem({ CITY_DIR: cityDir.path, DATA_DIR: dataDir.path, AUTH_SECRET });
  base = system.baseUrl;
  admin = await login(base, 'admin');
}

beforeAll(async () => {
  cpSync(DEMO_CITY, cityDir.path, { recursive: true });
  demo = loadCity(cityDir.path);
  deviceA = demo.devices[0]!.id;
  cellA = demo.devices[0]!.grid;
  const other = demo.devices.find((d) => d.grid !== cellA)!;
  deviceB = other.id;
  cellB = other.grid;
  await start();
});
afterAll(async () => {
  await system?.stop();
  cityDir.remove();
  dataDir.remove();
});

const me = (token: string) => getJson<UserView & { error?: { code: string } }>(`${base}/api/auth/me`, token);
const patch = (username: string, body: unknown, token = admin) => sendJson<AdminPersonResponse & { error?: { code: string; message: string } }>(`${base}/api/admin/people/${username}`, body, token, 'PATCH');
async function signIn(username: string, password: string): Promise<{ status: number; token?: string; code?: string }> {
  const res = await sendJson<{ token?: string; error?: { code: string } }>(`${base}/api/auth/login`, { username, password });
  return { status: res.status, ...(res.body.token ? { token: res.body.token } : {}), ...(res.body.error ? { code: res.body.error.code } : {}) };
}

let shown = '';

describe('people administration', () => {
  it('is for admins only: 403 for viewers, grid workers and operators', async () => {
    const gridworker = demo.people.find((p) => p.role === 'gridworker' && p.grids?.length)!.username;
    for (const who of ['viewer', 'operator', gridworker]) {
      const token = await login(base, who);
      const list = await getJson<{ error: { code: string } }>(`${base}/api/admin/people`, token);
      expect(list.status, who).toBe(403);
      expect(list.body.error.code).toBe('CG_FORBIDDEN');
      const add = await sendJson<{ error: { code: string } }>(`${base}/api/admin/people`, { username: 'sneaky', name: 'x', role: 'admin' }, token);
      expect(add.status).toBe(403);
      expect((await patch('admin', { disabled: true }, token)).status).toBe(403);
    }
    expect(loadCity(cityDir.path).people.some((p) => p.username === 'sneaky')).toBe(false);
  });

  it('lists everyone without a password hash; contacts only when the admin asks for them', async () => {
    const plain = (await getJson<AdminPeopleResponse>(`${base}/api/admin/people`, admin)).body.people;
    expect(plain.some((p) => p.contacts)).toBe(false);
    const res = await fetch(`${base}/api/admin/people?contacts=1`, { headers: { authorization: `Bearer ${admin}` } });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toMatch(/password_hash|\$2[aby]\$/);
    const { people } = JSON.parse(text) as AdminPeopleResponse;
    expect(people.length).toBe(demo.people.length);
    expect(people.find((p) => p.username === 'operator')).toMatchObject({ role: 'operator', disabled: false, contacts: { mobile: expect.any(String) } });
  });

  it('adds a person who signs in at once with the password shown once', async () => {
    const res = await sendJson<AdminPersonResponse>(`${base}/api/admin/people`, { username: 'li-na', name: '李娜 (Li Na)', role: 'gridworker', grids: [cellA] }, admin);
    expect(res.status).toBe(201);
    expect(res.body.person).toEqual({ username: 'li-na', name: '李娜 (Li Na)', role: 'gridworker', grids: [cellA], districts: [], disabled: false });
    shown = res.body.temporaryPassword!;
    expect(shown).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    const signed = await signIn('li-na', shown);
    expect(signed.status).toBe(200);
    expect((await me(signed.token!)).body).toMatchObject({ username: 'li-na', grids: [cellA] });
    // shown once: never in a list, nor in people.yaml
    const list = await fetch(`${base}/api/admin/people`, { headers: { authorization: `Bearer ${admin}` } });
    expect(await list.text()).not.toContain(shown);
    expect(readFileSync(join(cityDir.path, 'people.yaml'), 'utf8')).not.toContain(shown);
    const again = await sendJson<{ error: { code: string } }>(`${base}/api/admin/people`, { username: 'li-na', name: 'x', role: 'viewer' }, admin);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CG_PERSON_EXISTS');
    const bad = await sendJson<{ error: { code: string; message: string } }>(`${base}/api/admin/people`, { username: 'Bad Name', name: '', role: 'king', extra: 1 }, admin);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('CG_PERSON_INVALID');
    expect(bad.body.error.message).toMatch(/username/);
  });

  it('applies a change of cells to the next request and re-scopes the open socket', async () => {
    const token = (await signIn('li-na', shown)).token!;
    expect((await getJson(`${base}/api/devices/${deviceA}`, token)).status).toBe(200);
    expect((await getJson(`${base}/api/devices/${deviceB}`, token)).status).toBe(404);
    const socket = await connectSocket(base, token);
    const dropped = new Promise<string>((res) => socket.once('disconnect', (why) => res(why)));
    const res = await patch('li-na', { grids: [cellB] });
    expect(res.status).toBe(200);
    expect(res.body.person.grids).toEqual([cellB]);
    expect((await me(token)).body.grids).toEqual([cellB]); // same token, new cells
    expect((await getJson(`${base}/api/devices/${deviceA}`, token)).status).toBe(404);
    expect((await getJson(`${base}/api/devices/${deviceB}`, token)).status).toBe(200);
    expect(await dropped).toBe('io server disconnect');
    const again = await connectSocket(base, token); // the session stays: it reconnects, scoped anew
    const refused = await again.emitWithAck('subscribe', { grid: cellA });
    expect(refused).toMatchObject({ ok: false });
    expect(await again.emitWithAck('subscribe', { grid: cellB })).toEqual({ ok: true });
    again.close();
  });

  it('ends the sessions of a person whose role changes', async () => {
    const token = (await signIn('li-na', shown)).token!;
    expect((await patch('li-na', { role: 'viewer' })).status).toBe(200);
    const res = await me(token);
    expect(res.status).toBe(401);
    expect(res.body.error!.code).toBe('CG_UNAUTHENTICATED');
    const fresh = (await signIn('li-na', shown)).token!;
    expect((await me(fresh)).body.role).toBe('viewer');
    await patch('li-na', { role: 'gridworker' });
  });

  it('disables a person: their open session gets 401 at once and sign-in is refused; enabling lets them back', async () => {
    const token = (await signIn('li-na', shown)).token!;
    const socket = await connectSocket(base, token);
    const dropped = new Promise<void>((res) => socket.once('disconnect', () => res()));
    const res = await patch('li-na', { disabled: true });
    expect(res.status).toBe(200);
    expect(res.body.person.disabled).toBe(true);
    expect((await me(token)).status).toBe(401);
    await dropped;
    await expect(connectSocket(base, token)).rejects.toThrow(/sign in again/i);
    expect(await signIn('li-na', shown)).toMatchObject({ status: 401, code: 'CG_BAD_CREDENTIALS' });
    // a disabled person is nobody's assignee and not in the duty roster
    const grid = await getJson<{ features: { properties: { id: string; people: { workers: { username: string }[] } } }[] }>(`${base}/api/grid`, admin);
    expect(grid.body.features.find((f) => f.properties.id === cellB)!.properties.people.workers.map((w) => w.username)).not.toContain('li-na');
    expect((await patch('li-na', { disabled: false })).status).toBe(200);
    expect((await signIn('li-na', shown)).status).toBe(200);
  });

  it('keeps the last enabled admin: no disabling or demoting themself', async () => {
    for (const body of [{ disabled: true }, { role: 'operator' }]) {
      const res = await patch('admin', body);
      expect(res.status).toBe(409);
      expect(res.body.error!.code).toBe('CG_LAST_ADMIN');
    }
    expect((await me(admin)).status).toBe(200);
    const missing = await patch('no-such-person', { name: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.body.error!.code).toBe('CG_PERSON_NOT_FOUND');
  });

  it('changes one\'s own password: the old one stops working, the other sessions end, this one stays', async () => {
    const current = (await signIn('li-na', shown)).token!;
    const other = (await signIn('li-na', shown)).token!;
    const wrong = await sendJson<{ error: { code: string } }>(`${base}/api/auth/password`, { current: 'not-my-password', password: 'tram lines at dawn 7' }, current);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('CG_PASSWORD_CHANGE_INVALID');
    const weak = await sendJson<{ error: { code: string } }>(`${base}/api/auth/password`, { current: shown, password: 'short' }, current);
    expect(weak.body.error.code).toBe('CG_PASSWORD_WEAK');
    const ok = await sendJson(`${base}/api/auth/password`, { current: shown, password: 'tram lines at dawn 7' }, current);
    expect(ok.status).toBe(204);
    expect(await signIn('li-na', shown)).toMatchObject({ status: 401, code: 'CG_BAD_CREDENTIALS' });
    expect((await signIn('li-na', 'tram lines at dawn 7')).status).toBe(200);
    expect((await me(current)).status).toBe(200);
    expect((await me(other)).status).toBe(401);
  });

  it('audits every change with who, what and whom, never a password or hash', async () => {
    const res = await fetch(`${base}/api/audit?limit=200`, { headers: { authorization: `Bearer ${admin}` } });
    const text = await res.text();
    const { entries } = JSON.parse(text) as AuditResponse;
    const mine = entries.filter((e) => e.target === 'li-na');
    expect(mine.map((e) => e.action)).toEqual(expect.arrayContaining(['person_add', 'person_update', 'password_change']));
    expect(mine.find((e) => e.action === 'person_add')).toMatchObject({ user: 'admin', note: expect.stringContaining('role gridworker') });
    expect(mine.some((e) => e.action === 'person_update' && e.note === 'disabled')).toBe(true);
    expect(entries.some((e) => e.action === 'login_failed' && e.user === 'li-na' && e.note?.startsWith('disabled user'))).toBe(true);
    expect(text).not.toContain(shown);
    expect(text).not.toContain('tram lines');
    expect(text).not.toMatch(/\$2[aby]\$/);
  });

  it('refuses a bad hand edit of people.yaml with file, entry and field; the last good people stay', async () => {
    const path = join(cityDir.path, 'people.yaml');
    const good = readFileSync(path, 'utf8');
    writeFileSync(path, good.replace('role: operator', 'role: superuser'));
    const health = await waitFor(async () => {
      const h = await getJson<HealthResponse>(`${base}/api/health`, admin);
      return h.body.people?.status === 'degraded' && h;
    }, 'people.yaml refused in health', 10_000);
    expect(health.body.status).toBe('degraded');
    expect(health.body.people!.detail).toMatch(/people\.yaml: user 1 \(operator\) field role/);
    const open = await getJson<HealthResponse>(`${base}/api/health`);
    expect(open.body.people).toEqual({ status: 'degraded', detail: expect.stringMatching(/^people\.yaml was refused \(1 problem\); the last good people stay active$/) });
    expect((await signIn('operator', 'demo-operator')).status).toBe(200); // the last good people
    const refused = await patch('viewer', { name: 'x' });
    expect(refused.status).toBe(409);
    expect(refused.body.error!.code).toBe('CG_PEOPLE_FILE_REFUSED');
    // fixed by hand, with a change of its own: taken in
    writeFileSync(path, good.replace('name: Demo viewer', 'name: Viewer renamed by hand'));
    await waitFor(async () => (await getJson<AdminPeopleResponse>(`${base}/api/admin/people`, admin)).body.people.find((p) => p.username === 'viewer')!.name === 'Viewer renamed by hand', 'the hand edit taken in', 10_000);
    expect((await getJson<HealthResponse>(`${base}/api/health`)).body.people).toEqual({ status: 'ok' });
  });

  it('keeps every change across a restart: people.yaml on disk loads with the contract loader', async () => {
    await patch('viewer', { disabled: true });
    const onDisk = loadCity(cityDir.path).people;
    expect(onDisk.find((p) => p.username === 'li-na')).toMatchObject({ role: 'gridworker', grids: [cellB] });
    expect(onDisk.find((p) => p.username === 'viewer')).toMatchObject({ name: 'Viewer renamed by hand', disabled: true });
    await system.stop();
    await start();
    expect((await signIn('li-na', 'tram lines at dawn 7')).status).toBe(200);
    expect((await signIn('viewer', 'demo-viewer')).status).toBe(401);
    expect((await getJson<HealthResponse>(`${base}/api/health`)).body.people).toEqual({ status: 'ok' });
  });
});
