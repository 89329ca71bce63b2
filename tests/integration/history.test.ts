// Proves the alert history and the exports against a real server (npm start's SQLite): over an alert
// log seeded with alerts built to differ, each filter narrows to exactly its alerts, pages are server
// pages with a total, a grid worker never sees another cell's alert (search or CSV); the alert CSV and
// the readings CSVs parse (RFC 4180) with the right columns, a byte order mark and the Chinese intact,
// formula-looking text defused; bad filters are refused naming the parameter; exports are audited.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, AlertEventType, AuditEntry, HistoryResponse } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { AlertLog } from '../../server/src/alerts/alert-log.js';
import { SqliteStore } from '../../server/src/stores/sqlite.store.js';
import { BOM, csvObjects } from '../helpers/csv.js';
import { DEMO_CITY, login, startTestSystem, tempDir } from '../helpers/system.js';

const MIN = 60_000;
const T0 = Math.floor((Date.now() - 2 * 86_400_000) / MIN) * MIN; // two days ago, on a minute
const RANGE = `from=${T0}&to=${T0 + 60 * MIN}`;
const city = loadCity(DEMO_CITY);
const AQ = city.devicesById.get('aq-0001')!;
const A = city.cellsById.get(AQ.grid)!; // the grid worker's cell
const C = city.cells.find((c) => c.district === A.district && c.id !== A.id)!; // same district, another cell
const B = city.cells.find((c) => c.district !== A.district && city.devices.some((d) => d.grid === c.id && d.kind === 'water_level'))!;
const WL_B = city.devices.find((d) => d.grid === B.id && d.kind === 'water_level')!;
const GW_A = `gw-${A.id}`;
const GW_B = `gw-${B.id}`;

function alert(id: string, minute: number, cell: typeof A, over: Partial<Alert> = {}): Alert {
  const startedAt = T0 + minute * MIN;
  return {
    id, rule: 'underpass-flooding', ruleKind: 'threshold', severity: 'red', key: `k-${id}`, devices: [AQ.id], grid: cell.id, district: cell.district,
    message: 'Flooding at the underpass: level_cm 36.0 cm, above 30 cm', guidance: 'Close the underpass.',
    text: { title: { en: 'Flooding at the underpass', 'zh-CN': '下穿通道积水' }, detail: { key: 'threshold.active', params: { metric: 'level_cm', value: 36, unit: 'cm', side: 'above', level: 30, hold_ms: 30_000 } }, guidance: { en: 'Close it.', 'zh-CN': '封闭通道。' } },
    values: { level_cm: 36 }, state: 'firing', startedAt, firedAt: startedAt, updatedAt: startedAt, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null,
    // far off: the restored open alerts must not escalate (and so change) during the test
    escalation: 0, assignees: [`gw-${cell.id}`], ackDeadline: Date.UTC(2100, 0, 1), resolveDeadline: null, suppressed: false,
    ...over,
  };
}
type Step = [AlertEventType, number, string, string | null, Partial<Alert>];
const at = (minute: number) => T0 + minute * MIN;

/** Alerts that differ in every filter, each with its events (the last state is what the history shows). */
const SEED: { first: Alert; steps: Step[] }[] = [
  { first: alert('h1', 1, A), steps: [['acknowledged', 2, GW_A, 'on my way', { state: 'acknowledged', acknowledgedBy: GW_A, acknowledgedAt: at(2) }], ['resolved', 9, GW_A, 'pump started, water receding', { state: 'resolved', resolvedBy: GW_A, resolvedAt: at(9) }]] },
  { first: alert('h2', 3, B, { severity: 'blue', ruleKind: 'absence', rule: 'water-gauge-silent', message: 'Gauge silent: no data for 10 min', text: undefined }), steps: [] },
  { first: alert('h3', 5, A, { severity: 'yellow', ruleKind: 'rate', rule: 'water-rising-fast' }), steps: [['acknowledged', 6, 'operator', '已到现场，正在排水', { state: 'acknowledged', acknowledgedBy: 'operator', acknowledgedAt: at(6) }]] },
  { first: alert('h4', 7, B, { severity: 'orange', ruleKind: 'camera', rule: 'parking-hotspot' }), steps: [['handled', 8, GW_B, 'cars moved on', { state: 'handled', handledBy: GW_B, handledAt: at(8) }]] },
  { first: alert('h5', 11, C, { ruleKind: 'composite', rule: 'waterlogging-incident' }), steps: [['resolved', 12, 'admin', '=HYPERLINK("http://evil.example","click"), then "quoted", done', { state: 'resolved', resolvedBy: 'admin', resolvedAt: at(12) }]] },
  // in B's cell, but dispatched to A's grid worker: theirs to see
  { first: alert('h6', 13, B, { severity: 'yellow', rule: 'heavy-rain', assignees: [GW_A] }), steps: [] },
  // started before the range
  { first: alert('h0', -30, A), steps: [['resolved', 20, GW_A, 'pump started long ago', { state: 'resolved', resolvedBy: GW_A, resolvedAt: at(20) }]] },
];

const data = tempDir();
let system: Awaited<ReturnType<typeof startTestSystem>>;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  const log = new AlertLog(join(data.path, 'alerts.db'));
  for (const { first, steps } of SEED) {
    let a = first;
    log.append({ alertId: a.id, ts: a.startedAt, type: 'firing', actor: 'system', note: null, alert: a });
    for (const [type, minute, actor, note, change] of steps) {
      a = { ...a, ...change, updatedAt: at(minute) };
      log.append({ alertId: a.id, ts: at(minute), type, actor, note, alert: a });
    }
  }
  log.close();
  const store = new SqliteStore({ path: join(data.path, 'citygrid.db'), writerThread: false });
  store.writeReadings(Array.from({ length: 100 }, (_, i) => ({ device: AQ.id, kind: AQ.kind, grid: A.id, district: A.district, ts: at(i), metrics: { pm25: 30 + i, pm10: 60 } })));
  store.writeReadings(Array.from({ length: 10 }, (_, i) => ({ device: WL_B.id, kind: WL_B.kind, grid: B.id, district: B.district, ts: at(i), metrics: { level_cm: i } })));
  await store.close();
  system = await startTestSystem({ DATA_DIR: data.path, SIMULATE: '0' });
  for (const who of ['operator', 'admin', GW_A]) tokens[who] = await login(system.baseUrl, who);
});
afterAll(async () => {
  await system?.stop();
  data.remove();
});

const get = (path: string, who = 'operator') => fetch(`${system.baseUrl}${path}`, { headers: { authorization: `Bearer ${tokens[who]}` } });
async function history(query: string, who = 'operator'): Promise<HistoryResponse> {
  const res = await get(`/api/alerts/history?${RANGE}&${query}`, who);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as HistoryResponse;
}
const ids = async (query: string, who = 'operator') => (await history(query, who)).items.map((i) => i.alert.id);

describe('GET /api/alerts/history', () => {
  it('lists the alerts started in the range, newest first, with their state now and their notes', async () => {
    const page = await history('');
    expect(page.items.map((i) => i.alert.id)).toEqual(['h6', 'h5', 'h4', 'h3', 'h2', 'h1']);
    expect([page.total, page.offset, page.limit, page.from, page.to]).toEqual([6, 0, 50, T0, T0 + 60 * MIN]);
    expect(page.items.find((i) => i.alert.id === 'h1')).toMatchObject({ alert: { state: 'resolved', resolvedBy: GW_A }, notes: 2, lastNote: { actor: GW_A, note: 'pump started, water receding' } });
  });

  it('narrows by each filter', async () => {
    expect(await ids(`district=${B.district}`)).toEqual(['h6', 'h4', 'h2']);
    expect(await ids(`grid=${A.id}`)).toEqual(['h3', 'h1']);
    expect(await ids('severity=red')).toEqual(['h5', 'h1']);
    expect(await ids('kind=absence')).toEqual(['h2']);
    expect(await ids('rule=water-rising-fast')).toEqual(['h3']);
    expect(await ids('state=handled')).toEqual(['h4']);
    expect(await ids(`assignee=${GW_B}`)).toEqual(['h4', 'h2']); // handled it; assigned
    expect(await ids('assignee=operator')).toEqual(['h3']); // acknowledged it
    expect(await ids('text=RECEDING')).toEqual(['h1']); // a note, any case
    expect(await ids(`text=${encodeURIComponent('排水')}`)).toEqual(['h3']); // a Chinese note
    expect(await ids(`text=${encodeURIComponent('通道积水')}`)).toEqual(['h6', 'h5', 'h4', 'h3', 'h1']); // the Chinese title
    expect(await ids('text=silent')).toEqual(['h2']); // the message
    const before = (await (await get(`/api/alerts/history?from=${T0 - 60 * MIN}&to=${T0}`)).json()) as HistoryResponse;
    expect(before.items.map((i) => i.alert.id)).toEqual(['h0']); // the range
    expect(await ids(`severity=yellow&grid=${B.id}`)).toEqual(['h6']);
  });

  it('pages on the server: offset and limit, the same total on every page', async () => {
    const pages = await Promise.all([0, 2, 4].map((offset) => history(`limit=2&offset=${offset}`)));
    expect(pages.map((p) => p.items.map((i) => i.alert.id))).toEqual([['h6', 'h5'], ['h4', 'h3'], ['h2', 'h1']]);
    expect(pages.map((p) => p.total)).toEqual([6, 6, 6]);
    expect((await history('limit=2&offset=6')).items).toEqual([]);
  });

  it("keeps a grid worker to their cells and the alerts assigned to them, never another cell's", async () => {
    expect(await ids('', GW_A)).toEqual(['h6', 'h3', 'h1']);
    expect((await history(`grid=${B.id}&severity=orange`, GW_A)).total).toBe(0); // h4 exists, not for them
    expect(await ids('text=cars', GW_A)).toEqual([]);
  });

  it('refuses bad filters, naming the parameter', async () => {
    const code = async (query: string) => ((await (await get(`/api/alerts/history?${query}`)).json()) as { error: { code: string; message: string } }).error;
    expect(await code('severity=purple')).toMatchObject({ code: 'CG_QUERY_INVALID', message: expect.stringContaining('severity') });
    expect(await code('kind=guess')).toMatchObject({ code: 'CG_QUERY_INVALID', message: expect.stringContaining('kind') });
    expect(await code('state=lost')).toMatchObject({ code: 'CG_QUERY_INVALID' });
    expect(await code('grid=no-such-cell')).toMatchObject({ code: 'CG_QUERY_INVALID', message: expect.stringContaining('grid') });
    expect(await code(`text=${'x'.repeat(101)}`)).toMatchObject({ code: 'CG_QUERY_INVALID', message: expect.stringContaining('100') });
    expect(await code('limit=201')).toMatchObject({ code: 'CG_LIMIT_EXCEEDED' });
    expect(await code(`from=${T0 - 400 * 86_400_000}&to=${T0}`)).toMatchObject({ code: 'CG_LIMIT_EXCEEDED', message: expect.stringContaining('366') });
  });
});

async function csv(path: string, who = 'operator'): Promise<{ text: string; res: Response }> {
  const res = await get(path, who);
  const bytes = new Uint8Array(await res.arrayBuffer());
  expect(res.status, new TextDecoder().decode(bytes).slice(0, 300)).toBe(200);
  expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // the UTF-8 byte order mark
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  expect(text.startsWith(BOM)).toBe(true);
  return { text: text.slice(1), res };
}

describe('GET /api/alerts/history.csv', () => {
  it('writes the same alerts as a CSV file in Chinese, times in the asked zone, formulas defused', async () => {
    const { text, res } = await csv(`/api/alerts/history.csv?${RANGE}&lang=zh-CN&tz=Asia/Shanghai`);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="alerts-\d{8}-\d{8}\.csv"$/);
    expect(text).toContain('\r\n');
    const { header, rows } = csvObjects(text);
    expect(header).toEqual(['编号', '规则', '规则类型', '颜色', '级别', '区', '网格', '网格名称', '状态', '开始时间 (Asia/Shanghai)', '触发时间 (Asia/Shanghai)',
      '签收时间 (Asia/Shanghai)', '签收人', '处置时间 (Asia/Shanghai)', '处置人', '结案时间 (Asia/Shanghai)', '结案人', '责任人', '设备', '标题', '详情', '备注数', '最新备注']);
    expect(rows.map((r) => r['编号'])).toEqual(['h6', 'h5', 'h4', 'h3', 'h2', 'h1']);
    const h1 = rows.find((r) => r['编号'] === 'h1')!;
    const shanghai = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
    expect(h1).toMatchObject({
      '颜色': '红色', '级别': 'I', '网格': A.id, '网格名称': A.name, '状态': '已结案', '开始时间 (Asia/Shanghai)': shanghai(at(1)),
      '签收人': GW_A, '结案时间 (Asia/Shanghai)': shanghai(at(9)), '标题': '下穿通道积水', '详情': '水位 36.0 cm，高于 30 cm，已持续 30 秒', '备注数': '2', '最新备注': 'pump started, water receding',
    });
    expect(rows.find((r) => r['编号'] === 'h4')).toMatchObject({ '状态': '已处置·待核查', '处置人': GW_B, '颜色': '橙色', '级别': 'II' });
    // an alert recorded without text: its own message; a note that would be a formula: shown, not run
    expect(rows.find((r) => r['编号'] === 'h2')).toMatchObject({ '标题': 'Gauge silent: no data for 10 min', '详情': '' });
    expect(rows.find((r) => r['编号'] === 'h5')!['最新备注']).toBe('\'=HYPERLINK("http://evil.example","click"), then "quoted", done');
  });

  it('writes English columns and words with lang=en, and only the grid worker\'s alerts for a grid worker', async () => {
    const { header, rows } = csvObjects((await csv(`/api/alerts/history.csv?${RANGE}&lang=en`)).text);
    expect(header.slice(0, 10)).toEqual(['id', 'rule', 'kind', 'colour', 'level', 'district', 'cell', 'cell name', 'state', 'started (UTC)']);
    expect(rows.find((r) => r.id === 'h3')).toMatchObject({ colour: 'Yellow', level: 'III', state: 'Acknowledged', 'acknowledged by': 'operator', title: 'Flooding at the underpass', 'last note': '已到现场，正在排水' });
    const mine = csvObjects((await csv(`/api/alerts/history.csv?${RANGE}`, GW_A)).text).rows.map((r) => r.id);
    expect(mine).toEqual(['h6', 'h3', 'h1']);
  });

  it('refuses a bad time zone or language, and audits every export', async () => {
    expect((await get(`/api/alerts/history.csv?${RANGE}&tz=Mars/Olympus`)).status).toBe(400);
    expect((await get(`/api/alerts/history.csv?${RANGE}&lang=fr`)).status).toBe(400);
    const { entries } = (await (await get('/api/audit?action=export', 'admin')).json()) as { entries: AuditEntry[] };
    expect(entries).toContainEqual(expect.objectContaining({ user: 'operator', action: 'export', target: 'alerts', note: expect.stringMatching(/^6 alerts; started .* zh-CN, Asia\/Shanghai$/) }));
    expect(entries).toContainEqual(expect.objectContaining({ user: GW_A, action: 'export', target: 'alerts', note: expect.stringMatching(/^3 alerts;/) }));
  });
});

describe('readings as CSV', () => {
  const range = `from=${at(10)}&to=${at(20)}`;

  it("writes a device's readings, metric by metric in time order, with units intact", async () => {
    const { header, rows } = csvObjects((await csv(`/api/devices/${AQ.id}/readings.csv?${range}&tz=Asia/Shanghai`)).text);
    expect(header).toEqual(['time (Asia/Shanghai)', 'ts (epoch ms)', 'device', 'metric', 'value', 'unit']);
    expect(rows).toHaveLength(20); // pm25 and pm10, minutes 10..19 (to is exclusive)
    expect(rows.map((r) => r.metric)).toEqual([...Array(10).fill('pm25'), ...Array(10).fill('pm10')]);
    expect(rows[0]).toEqual({ 'time (Asia/Shanghai)': new Date(at(10) + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' '), 'ts (epoch ms)': String(at(10)), device: AQ.id, metric: 'pm25', value: '40', unit: 'µg/m³' });
    expect(rows.slice(0, 10).map((r) => Number(r['ts (epoch ms)']))).toEqual(Array.from({ length: 10 }, (_, i) => at(10 + i)));
    const one = csvObjects((await csv(`/api/devices/${AQ.id}/readings.csv?${range}&metric=pm10&lang=zh-CN`)).text);
    expect(one.header).toEqual(['时间 (UTC)', '时间戳（毫秒）', '设备', '指标', '数值', '单位']);
    expect(one.rows.map((r) => r['指标'])).toEqual(Array(10).fill('pm10'));
  });

  it("writes a cell's readings device by device, and keeps a grid worker to their own cells", async () => {
    const { rows } = csvObjects((await csv(`/api/cells/${A.id}/readings.csv?${range}`, GW_A)).text);
    expect(rows).toHaveLength(20);
    expect(new Set(rows.map((r) => r.device))).toEqual(new Set([AQ.id]));
    expect((await get(`/api/cells/${B.id}/readings.csv?${range}`, GW_A)).status).toBe(403);
    expect((await get(`/api/devices/${WL_B.id}/readings.csv?${range}`, GW_A)).status).toBe(404);
    const b = csvObjects((await csv(`/api/cells/${B.id}/readings.csv?${range}`)).text);
    expect(b.rows.map((r) => r.value)).toEqual([]); // B's gauge read 0..9 in minutes 0..9: none in the range
  });

  it('refuses more than 31 days, an unknown metric, and audits each export', async () => {
    const err = async (path: string) => ((await (await get(path)).json()) as { error: { code: string; message: string } }).error;
    expect(await err(`/api/devices/${AQ.id}/readings.csv?from=${T0 - 40 * 86_400_000}&to=${T0}`)).toMatchObject({ code: 'CG_LIMIT_EXCEEDED', message: expect.stringContaining('31') });
    expect(await err(`/api/devices/${AQ.id}/readings.csv?metric=level_cm`)).toMatchObject({ code: 'CG_METRIC_UNKNOWN' });
    expect(await err(`/api/cells/${A.id}/readings.csv?metric=nothing`)).toMatchObject({ code: 'CG_QUERY_INVALID' });
    expect(await err('/api/cells/no-such-cell/readings.csv')).toMatchObject({ code: 'CG_GRID_NOT_FOUND' });
    const { entries } = (await (await get('/api/audit?action=export', 'admin')).json()) as { entries: AuditEntry[] };
    expect(entries).toContainEqual(expect.objectContaining({ user: 'operator', target: AQ.id, note: expect.stringMatching(/^20 readings; /) }));
    expect(entries).toContainEqual(expect.objectContaining({ user: GW_A, target: A.id, note: expect.stringMatching(/^20 readings; /) }));
  });
});
