// Proves 预测 before 预警 with the demo city's own rules: the flooding scenario (played 20× faster)
// raises the yellow forecast warning before the orange threshold alert, both for the grid workers of
// the flooded cell, and the stalled vehicle in that cell makes one red incident grouping them.
import { io as socketClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AlertSocketEvent, ClientToServerEvents, ServerToClientEvents } from '@citygrid/contract';
import { login, startTestSystem, waitFor } from '../helpers/system.js';

let system: Awaited<ReturnType<typeof startTestSystem>>;
let socket: Socket<ServerToClientEvents, ClientToServerEvents>;
const events: (AlertSocketEvent & { at: number })[] = [];

beforeAll(async () => {
  system = await startTestSystem({ SIMULATE: '1', SIMULATE_SCENARIO: 'flooding', SIMULATE_SPEED: '20' });
  socket = socketClient(system.baseUrl, { transports: ['websocket'], auth: { token: await login(system.baseUrl, 'operator') } });
  socket.on('alert', (e) => events.push({ ...e, at: Date.now() }));
  await new Promise<void>((r) => socket.once('connect', () => r()));
});
afterAll(async () => {
  socket?.close();
  await system?.stop();
});

it('warns of the flood (yellow forecast) before it floods (orange), in the right cell, then makes one incident', async () => {
  const gauge = system.city.devicesById.get('wl-0001')!;
  const workers = system.city.people.filter((p) => p.grids?.includes(gauge.grid)).map((p) => p.username);
  expect(workers.length).toBeGreaterThan(0);
  const mine = (rule: string, type: string) => events.find((e) => e.alert.rule === rule && e.alert.key === gauge.id && e.event === type);

  const flooding = await waitFor(() => mine('underpass-flooding', 'firing'), 'the orange threshold alert', 420_000, 1000);
  const forecast = events.find((e) => e.alert.rule === 'flooding-forecast' && e.alert.key === gauge.id && e.event === 'firing');
  expect(forecast, 'a forecast warning fired for the gauge').toBeDefined();
  expect(forecast!.at).toBeLessThan(flooding.at);
  expect(forecast!.alert).toMatchObject({ severity: 'yellow', grid: gauge.grid, assignees: workers });
  expect(forecast!.alert.message).toMatch(/expected to reach 30 cm in about \d+ min/);
  expect(flooding.alert).toMatchObject({ severity: 'orange', grid: gauge.grid, assignees: workers });

  const incident = await waitFor(() => events.find((e) => e.alert.rule === 'waterlogging-incident' && e.alert.grid === gauge.grid && e.event === 'firing'), 'the red incident', 120_000, 1000);
  expect(incident.alert.severity).toBe('red');
  expect(incident.alert.parts).toContain(flooding.alert.id);
}, 600_000);
