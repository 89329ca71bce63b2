// The columns of the exports, in the two languages CityGrid speaks: the alert history's CSV (one row
// per alert: who, where, how grave, what happened when, and its words as the dashboard shows them,
// rendered from the contract's catalogue) and the readings' CSV (one row per reading).
import {
  SEVERITY_LEVEL, SEVERITY_NAME, alertDetail, alertHeadline, localName,
  type AlertState, type HistoryItem, type Locale,
} from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';
import type { CsvValue } from './csv.js';

/** Each state's name (the dashboard says the same in its own words files). */
export const ALERT_STATE_NAME: Record<Locale, Record<AlertState, string>> = {
  'zh-CN': { pending: '待确认', firing: '告警中', acknowledged: '已签收', handled: '已处置·待核查', resolved: '已结案' },
  en: { pending: 'Pending', firing: 'Firing', acknowledged: 'Acknowledged', handled: 'Handled · awaiting verification', resolved: 'Resolved' },
};

const ALERT_COLUMNS: Record<Locale, string[]> = {
  en: [
    'id', 'rule', 'kind', 'colour', 'level', 'district', 'cell', 'cell name', 'state', 'started', 'fired', 'acknowledged', 'acknowledged by',
    'handled', 'handled by', 'resolved', 'resolved by', 'assignees', 'devices', 'title', 'detail', 'notes', 'last note',
  ],
  'zh-CN': [
    '编号', '规则', '规则类型', '颜色', '级别', '区', '网格', '网格名称', '状态', '开始时间', '触发时间', '签收时间', '签收人',
    '处置时间', '处置人', '结案时间', '结案人', '责任人', '设备', '标题', '详情', '备注数', '最新备注',
  ],
};
/** The time columns: their names get the time zone, e.g. "started (Asia/Shanghai)". */
const TIME_COLUMNS = new Set([9, 10, 11, 13, 15]);

const inZone = (names: string[], tz: string, times: Set<number>) => names.map((n, i) => (times.has(i) ? `${n} (${tz})` : n));

export function alertHeader(lang: Locale, tz: string): string[] {
  return inZone(ALERT_COLUMNS[lang], tz, TIME_COLUMNS);
}

export function alertRow(item: HistoryItem, lang: Locale, time: (ms: number) => string, city: City): CsvValue[] {
  const a = item.alert;
  const at = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : time(ms));
  const cell = city.cellsById.get(a.grid);
  return [
    a.id, a.rule, a.ruleKind, SEVERITY_NAME[lang][a.severity], SEVERITY_LEVEL[a.severity], a.district, a.grid, cell ? localName(cell, lang) : null,
    ALERT_STATE_NAME[lang][a.state] ?? a.state, at(a.startedAt), at(a.firedAt), at(a.acknowledgedAt), a.acknowledgedBy,
    at(a.handledAt), a.handledBy ?? null, at(a.resolvedAt), a.resolvedBy, a.assignees.join(' '), a.devices.join(' '),
    alertHeadline(a, lang), alertDetail(a, lang), item.notes, item.lastNote?.note ?? null,
  ];
}

const READING_COLUMNS: Record<Locale, string[]> = {
  en: ['time', 'ts (epoch ms)', 'device', 'metric', 'value', 'unit'],
  'zh-CN': ['时间', '时间戳（毫秒）', '设备', '指标', '数值', '单位'],
};

export function readingHeader(lang: Locale, tz: string): string[] {
  return inZone(READING_COLUMNS[lang], tz, new Set([0]));
}
