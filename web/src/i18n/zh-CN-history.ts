// Simplified Chinese for the alert history and the CSV exports (en-history.ts has the same keys).
import type { RuleKind } from '@citygrid/contract';

const ruleKind: Record<RuleKind, string> = {
  threshold: '阈值', rate: '变化率', absence: '设备失联', frozen: '读数停滞', anomaly: '异常值',
  forecast: '趋势预测', camera: '视频事件', refusals: '消息拒收', composite: '复合事件', reports: '居民反映',
};

export const zhCNHistory = {
  history: {
    title: '历史告警',
    hint: '按开始时间、区域、网格、颜色、类型、规则、状态、责任人和备注查找已发生的告警；结果在服务器分页，可导出 CSV（Excel 可直接打开）。',
    from: '开始于（起）',
    to: '开始于（止）',
    district: '区',
    grid: '网格',
    severity: '颜色',
    kind: '规则类型',
    rule: '规则',
    state: '状态',
    assignee: '责任人',
    assigneeHint: '用户名：被指派、签收、处置或结案的人',
    text: '关键词',
    textHint: '告警内容或处置备注中的文字',
    any: '全部',
    search: '查询',
    searching: '查询中…',
    reset: '重置',
    total: '共 {n} 条',
    showing: '第 {from}–{to} 条，共 {n} 条',
    empty: '没有符合条件的告警',
    failed: '查询失败：{message}',
    rangeInvalid: '起止时间有误：开始须早于结束，且跨度不超过 366 天',
    csv: '导出 CSV',
    csvTitle: '按当前条件导出全部 {n} 条（UTF-8，Excel 可直接打开中文）',
    csvTooMany: '超过 {max} 条，无法导出：请缩小时间范围或增加条件',
    col: {
      started: '开始时间', severity: '级别', alert: '告警', cell: '网格', state: '状态', people: '人员', notes: '备注',
    },
    people: { assignees: '责任人', acknowledged: '签收', handled: '处置', resolved: '结案' },
    noteCount: '{n} 条备注',
    open: '打开告警 {id}',
    ruleKind,
  },
  readingsExport: {
    label: '导出读数',
    range: '导出时段',
    ranges: { '1h': '最近 1 小时', '24h': '最近 24 小时', '7d': '最近 7 天', '31d': '最近 31 天' },
    link: '导出 CSV',
    title: '{range}的全部原始读数（CSV 文件，UTF-8，时间按本机时区）',
  },
};
