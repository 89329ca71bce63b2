// English for the alert history and the CSV exports (same keys as zh-CN-history.ts).
import type { RuleKind } from '@citygrid/contract';
import type { zhCNHistory } from './zh-CN-history';

const ruleKind: Record<RuleKind, string> = {
  threshold: 'Threshold', rate: 'Rate of change', absence: 'Device silent', frozen: 'Reading stuck', anomaly: 'Anomaly',
  forecast: 'Forecast', camera: 'Camera events', refusals: 'Messages refused', composite: 'Composite', reports: 'Residents\' reports',
};

export const enHistory: typeof zhCNHistory = {
  history: {
    title: 'Alert history',
    hint: 'Find past alerts by start time, district, cell, colour, kind, rule, state, person and words in their notes; pages come from the server, and the same search downloads as CSV (opens in Excel).',
    from: 'Started from',
    to: 'Started before',
    district: 'District',
    grid: 'Cell',
    severity: 'Colour',
    kind: 'Rule kind',
    rule: 'Rule',
    state: 'State',
    assignee: 'Person',
    assigneeHint: 'Username: assigned, or who acknowledged, handled or resolved it',
    text: 'Words',
    textHint: 'In the alert or in a note on it',
    any: 'Any',
    search: 'Search',
    searching: 'Searching…',
    reset: 'Reset',
    total: '{n} alerts',
    showing: '{from}–{to} of {n}',
    empty: 'No alert matches',
    failed: 'The search failed: {message}',
    rangeInvalid: 'Check the times: the start must come before the end, at most 366 days apart',
    csv: 'Download CSV',
    csvTitle: 'All {n} alerts of this search as a CSV file (UTF-8, opens in Excel with the Chinese intact)',
    csvTooMany: 'More than {max}: too many for one file; narrow the range or add a filter',
    col: {
      started: 'Started', severity: 'Level', alert: 'Alert', cell: 'Cell', state: 'State', people: 'People', notes: 'Notes',
    },
    people: { assignees: 'Assigned', acknowledged: 'Acked', handled: 'Handled', resolved: 'Resolved' },
    noteCount: 'one note | {n} notes',
    open: 'Open alert {id}',
    ruleKind,
  },
  readingsExport: {
    label: 'Export readings',
    range: 'Period to export',
    ranges: { '1h': 'Last hour', '24h': 'Last 24 hours', '7d': 'Last 7 days', '31d': 'Last 31 days' },
    link: 'Export CSV',
    title: '{range}: every raw reading as a CSV file (UTF-8, times in this computer\'s time zone)',
  },
};
