// Looking back: the alert history's filters and limits (GET /api/alerts/history and its CSV), and the
// limits of the readings exports (GET /api/devices/:id/readings.csv, /api/cells/:id/readings.csv).
// The server enforces them; the dashboard offers the same choices. No zod here (the dashboard bundles it).
import type { RuleKind } from './rules.js';

/** Every kind of rule, in the order the rules file documents them (the history's `kind` filter). */
export const RULE_KINDS = ['threshold', 'rate', 'absence', 'frozen', 'anomaly', 'forecast', 'camera', 'refusals', 'composite', 'reports'] as const satisfies readonly RuleKind[];
// fails to compile when a rule kind is added to the rules schema and not here
const allKinds: Exclude<RuleKind, (typeof RULE_KINDS)[number]> extends never ? true : false = true;
void allKinds;

const DAY = 86_400_000; // ms

/** Alerts per page of the history (`limit`): default and maximum. */
export const HISTORY_PAGE = { default: 50, max: 200 } as const;
/** The history's range of start times (ms: 366 days); the default is the last 7 days. */
export const HISTORY_MAX_RANGE_MS = 366 * DAY;
export const HISTORY_DEFAULT_RANGE_MS = 7 * DAY;
/** Rows of one alert CSV: more matching alerts are refused, saying how many matched. */
export const HISTORY_CSV_MAX_ROWS = 100_000;
/** The free-text filter's longest query (characters). */
export const HISTORY_TEXT_MAX = 100;
/** A readings export's longest range (ms: 31 days). */
export const READINGS_CSV_MAX_RANGE_MS = 31 * DAY;
