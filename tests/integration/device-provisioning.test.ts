// Device provisioning at runtime (issue 18): devices added, re-keyed, disabled and removed through the
// admin API take effect at once in the real broker, without a restart; devices.yaml on disk is
// written back (and loads); a CSV import is all or nothing and names its bad lines; a hand edit of
// devices.yaml is picked up, and a bad one is refused while the last good devices stay.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditResponse, DeviceImportResult, HealthResponse, ProvisionedDevice, ReadingsResponse, RejectionsResponse } from '@citygrid/contract';
import { loadCity, type City } from '@citygrid/contract/node';
import { DEMO_CITY, connectDevice, end, getJson, login, publish, sendJson, startTestSystem, tempDir, waitFor } from '../helpers/system.js';

let system: Awaited<ReturnType<typeof startTestSystem>>;
let cityDir: { path: string; remove(): void };
let admin: string;
let demo: City;
const clients: MqttClient[] = [];
const url = () => `mqtt://127.0.0.1:${system.mqttPort}`;
const api = (path: string) => `${system.baseUrl}/api${path}`;

/** Connects as a device; resolves to the CONNACK's return code when it is refused (0: connected). */
async function connectCode(id: string, secret: string): Promise<number> {
  try {
    clients.push(await connectDevice(url(), id, secret));
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

/** A client's connection closed by the broker. */
const closedBy = (client: MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));

async function readingsOf(id: string, metric: string): Promise<number[]> {
  const { body } = await getJson<ReadingsResponse>(api(`/devices/${id}/readings?metric=${metric}`), admin);
  return (body.series?.[0]?.points ?? []).map((p) => (p as { value: number }).value);
}

beforeAll(async () => {
  cityDir = tempDir('citygrid-city-');
  cpSync(DEMO_CITY, cityDir.path, { recursive: true });
  demo = loadCity(cityDir.path);
  system = await startTestSystem({ CITY_DIR: cityDir.path });
  admin = await login(system.baseUrl, 'admin');
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => end(c)));
  await system?.stop();
  cityDir?.remove();
});

/** A place inside a demo cell (an existing device's), for new devices. */
const placeOf = (i: number) => demo.devices[i % demo.devices.length]!;

describe('adding a device', () => {
  it('publishes within 2 s of being added, without a restart, and devices.yaml keeps it', async () => {
    const at = placeOf(0);
    const added = await sendJson<{ device: ProvisionedDevice; secret: string }>(api('/admin/devices'), { id: 'aq-new-0001', kind: 'air_quality', location: at.location, name: 'New air station' }, admin);
    expect(added.status).toBe(201);
    expect(added.body.device).toMatchObject({ id: 'aq-new-0001', grid: at.grid, disabled: false });
    expect(added.body.secret.length).toBeGreaterThanOrEqual(32);
    const t0 = Date.now();
    const client = await connectDevice(url(), 'aq-new-0001', added.body.secret);
    clients.push(client);
    await publish(client, 'city/v1/devices/aq-new-0001/telemetry', JSON.stringify({ metrics: { pm25: 42 } }));
    await waitFor(async () => (await readingsOf('aq-new-0001', 'pm25')).includes(42), 'the new device\'s reading', 2_000, 50);
    expect(Date.now() - t0).toBeLessThan(2_000);
    // on disk, and loadable as the city's devices.yaml (a restart keeps it); never the secret itself
    const text = readFileSync(join(cityDir.path, 'devices.yaml'), 'utf8');
    expect(text).not.toContain(added.body.secret);
    expect(loadCity(cityDir.path).devicesById.get('aq-new-0001')).toMatchObject({ grid: at.grid, name: 'New air station' });
    const audit = await getJson<AuditResponse>(api('/audit?action=device_add'), admin);
    expect(audit.body.entries.map((e) => e.target)).toContain('aq-new-0001');
    expect(JSON.stringify(audit.body)).not.toContain(added.body.secret);
  });

  it('refuses a device outside every cell, a duplicate id and unknown fields, with what is wrong', async () => {
    const outside = await sendJson<{ error: { code: string; message: string } }>(api('/admin/devices'), { id: 'aq-far', kind: 'air_quality', location: [10, 10] }, admin);
    expect(outside.status).toBe(400);
    expect(outside.body.error.code).toBe('CG_DEVICE_INVALID');
    expect(outside.body.error.message).toMatch(/not inside any grid cell/);
    const dup = await sendJson<{ error: { code: string } }>(api('/admin/devices'), { id: demo.devices[0]!.id, kind: 'air_quality', location: placeOf(0).location }, admin);
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('CG_DEVICE_EXISTS');
    const extra = await sendJson<{ error: { code: string; message: string } }>(api('/admin/devices'), { id: 'aq-x', kind: 'air_quality', location: placeOf(0).location, secret_hash: 'x' }, admin);
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toMatch(/unknown field "secret_hash"/);
    expect(loadCity(cityDir.path).devicesById.has('aq-far')).toBe(false);
  });
});

describe('rotating a secret', () => {
  it('works with the new secret at once; the old one until the grace period ends, then it is refused and its connections closed', async () => {
    const first = await sendJson<{ secret: string }>(api('/admin/devices'), { id: 'aq-rot-0001', kind: 'air_quality', location: placeOf(1).location }, admin);
    const oldSecret = first.body.secret;
    const before = await connectDevice(url(), 'aq-rot-0001', oldSecret);
    clients.push(before);
    const rotated = await sendJson<{ secret: string; previousSecretUntil: string }>(api('/admin/devices/aq-rot-0001/rotate'), { grace_seconds: 3 }, admin);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(oldSecret);
    expect(Date.parse(rotated.body.previousSecretUntil) - Date.now()).toBeGreaterThan(1_000);
    expect(await connectCode('aq-rot-0001', rotated.body.secret)).toBe(0); // new: at once
    expect(await connectCode('aq-rot-0001', oldSecret)).toBe(0); // old: still in its grace period
    const closed = closedBy(before);
    await waitFor(() => Date.now() > Date.parse(rotated.body.previousSecretUntil) + 200, 'the grace period to end', 6_000);
    await closed; // the connection logged in with the old secret is closed when the grace ends
    expect(await connectCode('aq-rot-0001', oldSecret)).toBe(4); // bad user name or password
    expect(await connectCode('aq-rot-0001', rotated.body.secret)).toBe(0);
  });
});

describe('disabling and removing', () => {
  it('a disabled device is disconnected and refused until enabled again', async () => {
    const id = demo.devices[2]!.id;
    const client = await connectDevice(url(), id);
    const closed = closedBy(client);
    const off = await sendJson<ProvisionedDevice>(api(`/admin/devices/${id}`), { disabled: true }, admin, 'PATCH');
    expect(off.body).toMatchObject({ id, disabled: true });
    await closed;
    expect(await connectCode(id, `demo-${id}`)).toBe(5); // not authorized
    const rejections = await getJson<RejectionsResponse>(api(`/rejections?device=${id}`), admin);
    expect(rejections.body.items.some((r) => r.device === id && r.reason === 'device_disabled')).toBe(true);
    await sendJson(api(`/admin/devices/${id}`), { disabled: false }, admin, 'PATCH');
    expect(await connectCode(id, `demo-${id}`)).toBe(0);
  });

  it('a removed device is disconnected and refused as unknown; its readings stay', async () => {
    const id = demo.devices[3]!.id;
    const client = await connectDevice(url(), id);
    const closed = closedBy(client);
    expect((await sendJson(api(`/admin/devices/${id}`), undefined, admin, 'DELETE')).status).toBe(204);
    await closed;
    expect(await connectCode(id, `demo-${id}`)).toBe(5);
    expect(loadCity(cityDir.path).devicesById.has(id)).toBe(false);
    expect((await getJson(api(`/devices/${id}`), admin)).status).toBe(404);
  });

  it('moves a device to another cell (with a place inside it)', async () => {
    const id = demo.devices[4]!.id;
    const to = demo.devices.find((d) => d.grid !== demo.devices[4]!.grid)!;
    const moved = await sendJson<ProvisionedDevice>(api(`/admin/devices/${id}`), { grid: to.grid, location: to.location }, admin, 'PATCH');
    expect(moved.status).toBe(200);
    expect(moved.body.grid).toBe(to.grid);
    const bad = await sendJson<{ error: { code: string; message: string } }>(api(`/admin/devices/${id}`), { grid: demo.devices[4]!.grid }, admin, 'PATCH');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/not inside its grid/);
    expect(loadCity(cityDir.path).devicesById.get(id)!.grid).toBe(to.grid);
  });
});

describe('gateways', () => {
  it('a changed child keeps its gateway; a child its gateway lists cannot be removed until the gateway lets it go', async () => {
    const gateway = demo.devices.find((d) => d.children?.length)!;
    const [first, ...rest] = gateway.children!;
    const renamed = await sendJson<ProvisionedDevice>(api(`/admin/devices/${rest[0]}`), { name: 'Renamed bin' }, admin, 'PATCH');
    expect(renamed.body).toMatchObject({ name: 'Renamed bin', gateway: gateway.id });
    const refused = await sendJson<{ error: { code: string; message: string } }>(api(`/admin/devices/${first}`), undefined, admin, 'DELETE');
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain(first!);
    const let_go = await sendJson<ProvisionedDevice>(api(`/admin/devices/${gateway.id}`), { children: rest }, admin, 'PATCH');
    expect(let_go.body.children).toEqual(rest);
    expect((await sendJson(api(`/admin/devices/${first}`), undefined, admin, 'DELETE')).status).toBe(204);
    expect(loadCity(cityDir.path).devicesById.get(rest[0]!)?.gateway).toBe(gateway.id);
  });
});

describe('importing a CSV of devices', () => {
  const BAD = new Map([[57, 'kind'], [402, 'lng'], [880, 'outside']]);
  const csv = (count: number, bad: Map<number, string>, prefix: string) => {
    const lines = ['id,kind,lng,lat,name'];
    for (let i = 1; i <= count; i++) {
      const at = placeOf(i);
      const line = i + 1; // the header is line 1
      const kind = bad.get(line) === 'kind' ? 'toaster' : 'noise';
      const lng = bad.get(line) === 'lng' ? 'east' : String(bad.get(line) === 'outside' ? 10 : at.location[0]);
      lines.push(`${prefix}-${String(i).padStart(4, '0')},${kind},${lng},${at.location[1]},"Noise meter ${i}, imported"`);
    }
    return `${lines.join('\r\n')}\r\n`;
  };
  const post = (body: string, dryRun: boolean) => fetch(api(`/admin/devices/import${dryRun ? '?dry_run=1' : ''}`), { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${admin}` }, body });

  it('with 3 bad lines of 1,000: the dry run names the 3 lines, and applying changes nothing', async () => {
    const text = csv(1_000, BAD, 'nz-imp');
    const before = readFileSync(join(cityDir.path, 'devices.yaml'), 'utf8');
    const dry = (await (await post(text, true)).json()) as DeviceImportResult;
    expect(dry.rows).toBe(1_000);
    expect(dry.problems.map((p) => p.line)).toEqual([57, 402, 880]);
    expect(dry.problems[0]!.problem).toMatch(/kind "toaster"/);
    expect(dry.problems[1]!.problem).toMatch(/lng and lat must be numbers/);
    expect(dry.problems[2]!.problem).toMatch(/not inside any grid cell/);
    const applied = await post(text, false);
    expect(applied.status).toBe(422);
    const error = ((await applied.json()) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('CG_DEVICES_IMPORT_INVALID');
    expect(error.message).toMatch(/line 57: .*line 402: .*line 880: /);
    expect(readFileSync(join(cityDir.path, 'devices.yaml'), 'utf8')).toBe(before);
    expect((await getJson(api('/devices/nz-imp-0001'), admin)).status).toBe(404);
  });

  it('a clean file is applied whole: every device can log in with its generated secret', async () => {
    const res = await post(csv(200, new Map(), 'nz-ok'), false);
    expect(res.status).toBe(200);
    const result = (await res.json()) as DeviceImportResult;
    expect(result.problems).toEqual([]);
    expect(result.secrets).toHaveLength(200);
    const one = result.secrets!.find((s) => s.id === 'nz-ok-0150')!;
    expect(await connectCode(one.id, one.secret)).toBe(0);
    expect(loadCity(cityDir.path).devicesById.get('nz-ok-0150')?.name).toBe('Noise meter 150, imported');
    // a line repeating an id, and an id that now exists
    const again = (await (await post('id,kind,lng,lat\r\nnz-ok-0001,noise,114.33,30.54\r\nnz-new,noise,114.33012,30.539339\r\nnz-new,noise,114.33012,30.539339\r\n', true)).json()) as DeviceImportResult;
    expect(again.problems.map((p) => [p.line, p.problem.match(/already exists|on line 3 too/)?.[0]])).toEqual([[2, 'already exists'], [4, 'on line 3 too']]);
  });

  it('refuses a file that is not CSV, or has unknown columns, by line', async () => {
    const cols = (await (await post('id,kind,lng,lat,colour\r\nx,noise,1,2,red\r\n', true)).json()) as DeviceImportResult;
    expect(cols.problems).toEqual([{ line: 1, problem: expect.stringMatching(/unknown column colour/) }]);
    const broken = (await (await post('id,kind,lng,lat\r\n"x,noise,1,2\r\n', true)).json()) as DeviceImportResult;
    expect(broken.problems[0]!.problem).toMatch(/not a CSV file/);
  });
});

describe('devices.yaml edited by hand', () => {
  it('a bad edit is refused with file, entry and field, and the last good devices stay', async () => {
    const path = join(cityDir.path, 'devices.yaml');
    const good = readFileSync(path, 'utf8');
    const id = demo.devices[5]!.id;
    writeFileSync(path, good.replace(/^- id: aq-new-0001\n {2}kind: air_quality/m, '- id: aq-new-0001\n  kind: air_quallity'));
    const degraded = await waitFor(async () => {
      const { body } = await getJson<HealthResponse>(api('/health'));
      return body.devices?.status === 'degraded' ? body : null;
    }, 'health to say devices.yaml was refused');
    expect(degraded.devices!.detail).toMatch(/refused/);
    expect(await connectCode(id, `demo-${id}`)).toBe(0); // the last good devices stay
    const problems = system.provisioning!.problems();
    expect(problems[0]).toMatch(/^devices\.yaml: entry \d+ \(id aq-new-0001\) field kind: /);
    // a good edit (a device added by hand) is picked up
    const at = placeOf(6);
    writeFileSync(path, `${good}- id: aq-hand-0001\n  kind: air_quality\n  location: [${at.location.join(', ')}]\n  secret_hash: ${demo.devices[5]!.secret_hash}\n`);
    await waitFor(async () => (await getJson(api('/devices/aq-hand-0001'), admin)).status === 200, 'the hand-added device');
    expect(await connectCode('aq-hand-0001', `demo-${id}`)).toBe(0);
    expect((await getJson<HealthResponse>(api('/health'))).body.devices?.status).toBe('ok');
  });
});
