// Residents' reports into the alert loop (issue 17), on the real system with the demo city's rules and
// REPORTS on: three waterlogging reports in one cell within 30 min raise the `residents-waterlogging`
// alert for the cell's grid worker, and the reports join it; the worker sees them (another cell's does
// not); handling the alert closes them, and each receipt shows "closed" with the outcome, masked.
// Reports in a cell where a sensor alert of their kind is open join that alert instead.
import type { MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { deviceTopic, type Alert, type AlertsResponse, type ReportList } from '@citygrid/contract';
import { reportingCity } from '../helpers/reports.js';
import { connectDevice, end, getJson, login, publish, sendJson, waitFor } from '../helpers/system.js';

const city = reportingCity();
const { file, receipt } = city;
const activeAlerts = async () => (await getJson<AlertsResponse>(`${city.system.baseUrl}/api/alerts?state=active`, city.operator)).body.alerts;
const alertOfRule = async (rule: string, grid: string): Promise<Alert | undefined> => (await activeAlerts()).find((a) => a.rule === rule && a.grid === grid);

describe('the reports rule', () => {
  it('raises the cell\'s alert at the third waterlogging report within 30 min; the grid worker handles it and the receipts show closed with the outcome', async () => {
    const [cell, other] = ['jiangan-003', 'jiangan-004'];
    const first = await file('waterlogging', cell, 'water over the kerb at the school gate');
    await file('waterlogging', other, 'a puddle by the bus stop');
    const second = await file('waterlogging', cell, '积水很深，电话13812345678');
    expect(await alertOfRule('residents-waterlogging', cell)).toBeUndefined(); // two are not enough
    expect((await receipt(first.receipt)).status).toBe('received');

    const third = await file('waterlogging', cell, 'cars stuck, water rising');
    expect(third.status).toBe('in_hand');
    const alert = (await alertOfRule('residents-waterlogging', cell))!;
    expect(alert).toMatchObject({ ruleKind: 'reports', severity: 'yellow', state: 'firing', assignees: [`gw-${cell}`] });
    expect([...alert.reports!].sort()).toEqual([first.receipt, second.receipt, third.receipt].sort());
    expect(alert.text?.detail).toMatchObject({ key: 'reports.active', params: { category: 'waterlogging', count: 3 } });
    expect(JSON.stringify(alert)).not.toContain('school gate'); // the alert names its reports, never their texts
    expect(await alertOfRule('residents-waterlogging', other)).toBeUndefined();
    for (const r of [first, second]) expect((await receipt(r.receipt)).status).toBe('in_hand');

    // the cell's grid worker reads them (masked); another cell's grid worker cannot
    const worker = await login(city.system.baseUrl, `gw-${cell}`);
    const theirs = await getJson<ReportList>(`${city.system.baseUrl}/api/reports?alert=${alert.id}`, worker);
    expect(theirs.status, JSON.stringify(theirs.body)).toBe(200);
    expect(theirs.body.reports.map((r) => r.text).sort()).toEqual(['cars stuck, water rising', 'water over the kerb at the school gate', '积水很深，电话[phone]']);
    expect(theirs.body.reports.every((r) => r.alertId === alert.id && r.status === 'in_hand')).toBe(true);
    const stranger = await getJson<{ error: { code: string } }>(`${city.system.baseUrl}/api/reports?alert=${alert.id}`, await login(city.system.baseUrl, 'gw-wuchang-010'));
    expect(stranger.status).toBe(404);

    // handled (yellow: closed at once); the outcome is what the worker wrote, masked
    const handled = await sendJson<{ alert: Alert }>(`${city.system.baseUrl}/api/alerts/${alert.id}/resolve`, { note: 'Drain cleared, water gone. Call 13912345678 if it returns.' }, worker);
    expect(handled.status).toBe(200);
    expect(handled.body.alert).toMatchObject({ state: 'resolved', handledBy: `gw-${cell}` });
    await waitFor(async () => (await receipt(first.receipt)).status === 'closed' || null, 'the receipts closed', 5_000);
    for (const r of [first, second, third]) {
      const seen = await receipt(r.receipt);
      expect(seen).toMatchObject({ status: 'closed', outcome: 'Drain cleared, water gone. Call [phone] if it returns.' });
      expect(seen.closedAt).toBe(handled.body.alert.resolvedAt);
    }

    // counting starts again: one new report waits, it raises nothing
    const fourth = await file('waterlogging', cell, 'still some water');
    expect(fourth.status).toBe('received');
    expect(await alertOfRule('residents-waterlogging', cell)).toBeUndefined();
  });
});

describe('a report marked as spam', () => {
  it('counts for nothing: with it, three reports are two, and the next one raises the alert without it', async () => {
    const cell = 'jiangan-005';
    const spam = await file('waterlogging', cell, 'water everywhere lol');
    await file('waterlogging', cell, 'deep water at the crossing');
    const marked = await sendJson(`${city.system.baseUrl}/api/reports/${spam.receipt}/spam`, {}, city.operator);
    expect(marked.status).toBe(200);
    const third = await file('waterlogging', cell, 'the drain is blocked');
    expect(third.status).toBe('received');
    expect(await alertOfRule('residents-waterlogging', cell)).toBeUndefined();
    const fourth = await file('waterlogging', cell, 'water still rising');
    expect(fourth.status).toBe('in_hand');
    const alert = (await alertOfRule('residents-waterlogging', cell))!;
    expect(alert.reports).toHaveLength(3);
    expect(alert.reports).not.toContain(spam.receipt);
    expect((await receipt(spam.receipt)).status).toBe('spam');
  });
});

describe('a sensor alert of the same kind', () => {
  let sensor: MqttClient;
  afterAll(async () => { if (sensor) await end(sensor); });

  it('takes a report of its kind in its cell (it joins, no new alert), and not one of another kind', async () => {
    const GAS = 'gas-0001'; // in wuchang-009
    sensor = await connectDevice(`mqtt://127.0.0.1:${city.system.mqttPort}`, GAS);
    // above 25 for 10 s: the red gas-leak alert
    let leak: Alert | undefined;
    for (let i = 0; i < 12 && !leak; i++) {
      await publish(sensor, deviceTopic(GAS, 'telemetry'), JSON.stringify({ metrics: { ch4: 40 } }));
      await new Promise((r) => setTimeout(r, 1_500));
      leak = (await activeAlerts()).find((a) => a.rule === 'gas-leak' && a.devices.includes(GAS) && a.state === 'firing');
    }
    expect(leak).toBeDefined();
    const smell = await file('gas_smell', leak!.grid, 'strong smell of gas by the restaurant');
    expect(smell.status).toBe('in_hand');
    const joined = (await getJson<{ alert: Alert }>(`${city.system.baseUrl}/api/alerts/${leak!.id}`, city.operator)).body.alert;
    expect(joined.reports).toEqual([smell.receipt]);
    expect((await activeAlerts()).filter((a) => a.grid === leak!.grid && a.ruleKind === 'reports')).toEqual([]);
    const light = await file('streetlight', leak!.grid, 'the light at the corner is out');
    expect(light.status).toBe('received');
    const listed = await getJson<ReportList>(`${city.system.baseUrl}/api/reports?alert=${leak!.id}`, city.operator);
    expect(listed.body.reports.map((r) => r.receipt)).toEqual([smell.receipt]);
  }, 60_000);
});
