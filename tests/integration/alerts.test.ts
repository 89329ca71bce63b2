// Proves the closed loop: a reading over MQTT raises an alert that reaches the Socket.IO clients of its
// cell (and not others), is acknowledged over REST, resolves when values clear, escalates past its
// deadline, is delivered to a signed webhook, and survives a restart with its history (and the
// sign-in tokens with it).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, AlertSocketEvent, HealthResponse } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { verifyGenericSignature } from '../../server/src/notify/index.js';
import {
  DEMO_CITY, connectDevice, connectSocket, end, getJson, login, publish, sendJson, startTestSystem, tempDir, waitFor, type CitySocket,
} from '../helpers/system.js';

const RULES = `
- id: flood
  kind: threshold
  match: { kind: water_level }
  metric: level_cm
  above: 30
  for: 1s
  clear_below: 20
  severity: red
  message: Flooding at the underpass
  guidance: Close the underpass to traffic and call the drainage team.
`;
const WEBHOOKS = `
- id: control-room
  url: http://127.0.0.1:PORT/hook
  format: generic
  secret_env: TEST_WEBHOOK_SECRET
`;

const city = tempDir('citygrid-city-');
const data = tempDir();
const demo = loadCity(DEMO_CITY);
const A = demo.devicesById.get('wl-0001')!;
const B = demo.devicesById.get('wl-0002')!;
const received: { body: string; headers: Record<string, string | string[] | undefined> }[] = [];
let receiver: Server;
let system: Awaited<ReturnType<typeof startTestSystem>>;
let device: MqttClient;
/** The operator's token (reads, maintenance); the grid worker of A's cell acts on A's alert. */
let token = '';
let workerToken = '';
const sockets: CitySocket[] = [];

async function watchCell(grid: string): Promise<{ socket: CitySocket; events: AlertSocketEvent[] }> {
  const socket = await connectSocket(system.baseUrl, token);
  const events: AlertSocketEvent[] = [];
  socket.on('alert', (e) => events.push(e));
  const ack = await socket.emitWithAck('subscribe', { grid });
  expect(ack).toEqual({ ok: true });
  sockets.push(socket);
  return { socket, events };
}

async function boot() {
  system = await startTestSystem({ CITY_DIR: city.path, DATA_DIR: data.path });
  device = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, A.id);
  // tokens survive a restart (the signing secret is kept in DATA_DIR/auth-secret): sign in once
  if (!token) token = await login(system.baseUrl, 'operator');
  if (!workerToken) workerToken = await login(system.baseUrl, `gw-${A.grid}`);
}

beforeAll(async () => {
  expect(A.grid).not.toBe(B.grid);
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => { received.push({ body, headers: req.headers }); res.writeHead(204).end(); });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const port = (receiver.address() as { port: number }).port;
  cpSync(DEMO_CITY, city.path, { recursive: true });
  writeFileSync(join(city.path, 'rules.yaml'), RULES);
  writeFileSync(join(city.path, 'webhooks.yaml'), WEBHOOKS.replace('PORT', String(port)));
  const people = readFileSync(join(city.path, 'people.yaml'), 'utf8').replace(/red: \d+m/, 'red: 3s');
  writeFileSync(join(city.path, 'people.yaml'), people);
  process.env.TEST_WEBHOOK_SECRET = 'webhook-test-secret';
  await boot();
});

afterAll(async () => {
  sockets.forEach((s) => s.close());
  await end(device);
  await system?.stop();
  await new Promise((r) => receiver?.close(r));
  city.remove();
  data.remove();
});

describe('an alert from a reading to the person who must act', () => {
  let alert: Alert;
  /** A socket on B's cell: it must get none of A's events (its B events, later, prove it was listening). */
  let cellB: Awaited<ReturnType<typeof watchCell>>;

  it('reaches the Socket.IO clients of its cell, not those of another cell', async () => {
    const mine = await watchCell(A.grid);
    cellB = await watchCell(B.grid);
    const health = await getJson<HealthResponse>(`${system.baseUrl}/api/health`, token);
    expect(health.body.rules.status).toBe('ok');
    await publish(device, `city/v1/devices/${A.id}/telemetry`, JSON.stringify({ metrics: { level_cm: 36 } }));
    await new Promise((r) => setTimeout(r, 1200)); // the rule holds for 1 s
    await publish(device, `city/v1/devices/${A.id}/telemetry`, JSON.stringify({ metrics: { level_cm: 37 } }));
    const firing = await waitFor(() => mine.events.find((e) => e.event === 'firing'), 'firing alert on the cell socket');
    alert = firing.alert;
    expect(alert).toMatchObject({ rule: 'flood', severity: 'red', grid: A.grid, district: A.district, key: A.id, devices: [A.id], escalation: 0 });
    expect(alert.assignees).toEqual([`gw-${A.grid}`]);
    expect(alert.message).toContain('level_cm');
    expect(alert.guidance).toContain('Close the underpass');
    expect(mine.events.map((e) => e.event)).toEqual(['pending', 'firing']);
    expect(cellB.events).toEqual([]);
  });

  it('is acknowledged over REST by the signed-in grid worker, with the note recorded', async () => {
    const res = await sendJson<{ alert: Alert }>(`${system.baseUrl}/api/alerts/${alert.id}/ack`, { note: 'on my way' }, workerToken);
    expect(res.status).toBe(200);
    expect(res.body.alert).toMatchObject({ state: 'acknowledged', acknowledgedBy: `gw-${A.grid}` });
    const noNote = await sendJson<{ error: { code: string } }>(`${system.baseUrl}/api/alerts/${alert.id}/resolve`, {}, workerToken);
    expect(noNote.status).toBe(400);
    expect(noNote.body.error.code).toBe('CG_NOTE_REQUIRED');
  });

  it('resolves by itself when the water goes below the clear level', async () => {
    await publish(device, `city/v1/devices/${A.id}/telemetry`, JSON.stringify({ metrics: { level_cm: 25 } }));
    // once the rule has seen 25 (the alert carries it), or the alert changed state, it must still hold: hysteresis, 25 > 20
    const held = await waitFor(async () => {
      const a = (await getJson<{ alert: Alert }>(`${system.baseUrl}/api/alerts/${alert.id}`, token)).body.alert;
      return a.values.level_cm === 25 || a.state !== 'acknowledged' ? a : null;
    }, 'the rule to evaluate 25 cm');
    expect(held.state).toBe('acknowledged');
    await publish(device, `city/v1/devices/${A.id}/telemetry`, JSON.stringify({ metrics: { level_cm: 12 } }));
    const done = await waitFor(async () => {
      const { body } = await getJson<{ alert: Alert; history: { type: string; actor: string; note: string | null }[] }>(`${system.baseUrl}/api/alerts/${alert.id}`, token);
      return body.alert.state === 'resolved' ? body : null;
    }, 'auto-resolve');
    expect(done.history.map((h) => h.type)).toEqual(['pending', 'firing', 'acknowledged', 'resolved']);
    expect(done.history[2]).toMatchObject({ actor: `gw-${A.grid}`, note: 'on my way' });
    expect(done.history[3]).toMatchObject({ actor: 'system' });
  });

  it('delivers every transition to the webhook with a valid signature', async () => {
    const hooks = await waitFor(() => {
      const mineOnly = received.filter((r) => (JSON.parse(r.body) as { alert: Alert }).alert.id === alert.id);
      return mineOnly.length >= 4 ? mineOnly : null;
    }, 'four webhook deliveries');
    for (const h of hooks) {
      expect(verifyGenericSignature('webhook-test-secret', String(h.headers['x-citygrid-timestamp']), h.body, String(h.headers['x-citygrid-signature']))).toBe(true);
      expect(verifyGenericSignature('wrong-secret', String(h.headers['x-citygrid-timestamp']), h.body, String(h.headers['x-citygrid-signature']))).toBe(false);
    }
    expect(hooks.map((h) => (JSON.parse(h.body) as { event: string }).event).sort()).toEqual(['acknowledged', 'firing', 'pending', 'resolved']);
  });

  it('escalates to the district supervisor when nobody acknowledges within the deadline', async () => {
    const gaugeB = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, B.id);
    try {
      await publish(gaugeB, `city/v1/devices/${B.id}/telemetry`, JSON.stringify({ metrics: { level_cm: 40 } }));
      await new Promise((r) => setTimeout(r, 1200));
      await publish(gaugeB, `city/v1/devices/${B.id}/telemetry`, JSON.stringify({ metrics: { level_cm: 41 } }));
      // the first escalation (level 1) as B's cell socket saw it: a later one (level 2, the control
      // room, 3 s after) may already be the alert's current state when REST is asked
      const escalated = await waitFor(() => cellB.events.find((e) => e.event === 'escalated' && e.alert.key === B.id && e.alert.escalation === 1), 'escalation after the 3 s deadline');
      // people.yaml: the district's supervisor (sup-<district>), and nobody else
      const supervisors = demo.people.filter((p) => p.districts?.includes(B.district)).map((p) => p.username);
      expect(supervisors).toEqual([`sup-${B.district}`]);
      expect(escalated.alert.assignees).toEqual(supervisors);
      // the B socket was listening all along, and got nothing of A's cell
      expect(cellB.events.filter((e) => e.alert.grid !== B.grid)).toEqual([]);
    } finally {
      await end(gaugeB);
    }
  });

  it('suppresses a cell under maintenance and resumes after, refusing a malformed window', async () => {
    const post = <T>(body: unknown) => sendJson<T>(`${system.baseUrl}/api/maintenance`, body, token);
    const bad = await post<{ error: { code: string; message: string } }>({ device: B.id, grid: B.grid, reason: 'x', for: '1h' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'CG_MAINTENANCE_INVALID', message: expect.stringContaining('exactly one of device, grid or rule') });
    const ok = await post<{ window: { id: string; by: string } }>({ grid: B.grid, reason: 'replacing the pump', for: '1h' });
    expect(ok.status).toBe(201);
    const { window } = ok.body;
    expect(window.by).toBe('operator');
    const suppressed = await waitFor(async () => (await getJson<{ alerts: Alert[] }>(`${system.baseUrl}/api/alerts?grid=${B.grid}`, token)).body.alerts.find((a) => a.suppressed), 'suppressed alert');
    expect(suppressed.grid).toBe(B.grid);
    expect((await sendJson(`${system.baseUrl}/api/maintenance/${window.id}`, undefined, token, 'DELETE')).status).toBe(204);
    await waitFor(async () => (await getJson<{ alerts: Alert[] }>(`${system.baseUrl}/api/alerts?grid=${B.grid}`, token)).body.alerts.every((a) => !a.suppressed), 'unsuppressed again');
    const rules = (await getJson<{ status: string; rules: { id: string; active: number }[] }>(`${system.baseUrl}/api/rules`, token)).body;
    expect(rules.status).toBe('ok');
    expect(rules.rules).toEqual([expect.objectContaining({ id: 'flood', active: 1 })]);
    const scores = (await getJson<{ scores: { id: string; alerts: number; acknowledged: number }[] }>(`${system.baseUrl}/api/scores?by=grid`, token)).body.scores;
    expect(scores.find((s) => s.id === A.grid)).toMatchObject({ alerts: 1, acknowledged: 1 });
  });

  it('takes a window for a rule or one starting later, refuses impossible ones with the reason, and audits start and end', async () => {
    type Window = { id: string; target: Record<string, string>; from: number; until: number };
    const post = <T>(body: unknown) => sendJson<T>(`${system.baseUrl}/api/maintenance`, body, token);
    const refused = async (body: unknown, why: string) => {
      const res = await post<{ error: { code: string; message: string } }>(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('CG_MAINTENANCE_INVALID');
      expect(res.body.error.message).toContain(why);
    };
    const now = Date.now();
    await refused({ rule: 'no-such-rule', reason: 'x', for: '1h' }, 'unknown rule "no-such-rule"');
    await refused({ grid: B.grid, reason: 'x', from: now - 3_600_000, for: '1h' }, '"from" is in the past');
    await refused({ grid: B.grid, reason: 'x', from: now + 3_600_000, until: now + 1_800_000 }, 'end after it starts');
    await refused({ grid: B.grid, reason: 'x', from: 'tomorrow-ish', for: '1h' }, '"from" must be');
    await refused({ grid: B.grid, reason: 'x', from: now + 40 * 86_400_000, for: '1h' }, 'at most 30 days ahead');
    await refused({ grid: B.grid, reason: 'x', for: '31d' }, 'at most 30 days');
    await refused({ grid: B.grid, reason: 'x', for: '1h', until: now + 3_600_000 }, 'not both');
    await refused({ grid: B.grid, reason: 'x', until: now - 1000 }, 'in the future');
    await refused({ grid: B.grid, reason: 'x', for: 'soon' }, '"for" must be a duration');
    await refused({ rule: 7, reason: 'x', for: '1h' }, 'rule must be a string');

    // a rule's window: every open alert of the rule, in every cell, goes quiet; ended, they speak again
    const activeFlood = async () => (await getJson<{ alerts: Alert[] }>(`${system.baseUrl}/api/alerts`, token)).body.alerts.filter((a) => a.rule === 'flood');
    expect((await activeFlood()).length).toBeGreaterThan(0);
    const byRule = await post<{ window: Window }>({ rule: 'flood', reason: 'recalibrating every gauge', for: '2h' });
    expect(byRule.status).toBe(201);
    expect(byRule.body.window.target).toEqual({ rule: 'flood' });
    await waitFor(async () => (await activeFlood()).every((a) => a.suppressed), 'every flood alert suppressed');
    // a grid worker sees the rule's window too: it silences alerts of their cells
    const seen = (await getJson<{ windows: Window[] }>(`${system.baseUrl}/api/maintenance`, workerToken)).body.windows;
    expect(seen.map((w) => w.id)).toContain(byRule.body.window.id);
    expect((await sendJson(`${system.baseUrl}/api/maintenance/${byRule.body.window.id}`, { note: 'done early' }, token, 'DELETE')).status).toBe(204);
    await waitFor(async () => (await activeFlood()).every((a) => !a.suppressed), 'flood alerts unsuppressed');

    // a window made ahead of time is listed but suppresses nothing before it starts
    const from = Date.now() + 10 * 60_000;
    const later = await post<{ window: Window }>({ grid: B.grid, reason: 'road works tonight', from: new Date(from).toISOString(), for: '1h' });
    expect(later.status).toBe(201);
    expect(later.body.window).toMatchObject({ target: { grid: B.grid }, from, until: from + 3_600_000 });
    const listed = (await getJson<{ windows: Window[] }>(`${system.baseUrl}/api/maintenance`, token)).body.windows;
    expect(listed.map((w) => w.id)).toContain(later.body.window.id);
    await new Promise((r) => setTimeout(r, 1500)); // a tick or more
    expect((await activeFlood()).filter((a) => a.grid === B.grid).every((a) => !a.suppressed)).toBe(true);
    expect((await sendJson(`${system.baseUrl}/api/maintenance/${later.body.window.id}`, undefined, token, 'DELETE')).status).toBe(204);
    expect((await getJson<{ windows: Window[] }>(`${system.baseUrl}/api/maintenance`, token)).body.windows.map((w) => w.id)).not.toContain(later.body.window.id);

    const admin = await login(system.baseUrl, 'admin');
    const { entries } = (await getJson<{ entries: { user: string; action: string; target: string | null; note: string | null }[] }>(`${system.baseUrl}/api/audit?limit=1000`, admin)).body;
    expect(entries).toContainEqual(expect.objectContaining({ user: 'operator', action: 'maintenance_start', target: byRule.body.window.id, note: expect.stringMatching(/^rule flood until .*: recalibrating every gauge$/) }));
    expect(entries).toContainEqual(expect.objectContaining({ user: 'operator', action: 'maintenance_end', target: byRule.body.window.id, note: 'done early' }));
    expect(entries).toContainEqual(expect.objectContaining({ action: 'maintenance_start', target: later.body.window.id, note: expect.stringContaining(`grid ${B.grid} from ${new Date(from).toISOString()} until`) }));
    expect(entries).toContainEqual(expect.objectContaining({ action: 'maintenance_end', target: later.body.window.id }));
  });

  it('hot-reloads rules.yaml, refusing a bad file and keeping the last good rules', async () => {
    const health = async () => (await getJson<HealthResponse>(`${system.baseUrl}/api/health`, token)).body.rules;
    writeFileSync(join(city.path, 'rules.yaml'), `${RULES}\n- id: broken\n  kind: threshold\n  match: { kind: water_level }\n  metric: depth\n  above: 1\n  severity: blue\n`);
    const refused = await waitFor(async () => { const h = await health(); return h.status === 'degraded' ? h : null; }, 'rules refused');
    expect(refused.detail).toContain('rule "broken"');
    expect(refused.detail).toContain('metric "depth"');
    expect((await getJson<{ rules: { id: string }[] }>(`${system.baseUrl}/api/rules`, token)).body.rules.map((r) => r.id)).toEqual(['flood']);
    writeFileSync(join(city.path, 'rules.yaml'), `${RULES}\n- { id: gas-silent, kind: absence, match: { kind: gas }, after: 5m, severity: blue }\n`);
    await waitFor(async () => (await health()).status === 'ok', 'new rules active');
    expect((await getJson<{ rules: { id: string }[] }>(`${system.baseUrl}/api/rules`, token)).body.rules.map((r) => r.id)).toEqual(['flood', 'gas-silent']);
  });

  it('keeps alerts and their history across a restart', async () => {
    const before = (await getJson<{ alerts: Alert[] }>(`${system.baseUrl}/api/alerts?state=all`, token)).body.alerts;
    expect(before.length).toBe(2);
    await end(device);
    await system.stop();
    await boot();
    const after = (await getJson<{ alerts: Alert[] }>(`${system.baseUrl}/api/alerts?state=all`, token)).body.alerts;
    expect(after.map((a) => [a.id, a.state]).sort()).toEqual(before.map((a) => [a.id, a.state]).sort());
    const { body } = await getJson<{ history: { type: string }[] }>(`${system.baseUrl}/api/alerts/${alert.id}`, token);
    expect(body.history.map((h) => h.type)).toEqual(['pending', 'firing', 'acknowledged', 'resolved']);
  });
});
