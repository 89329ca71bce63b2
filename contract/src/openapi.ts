// Every REST route in one table (method, path, who may call it, what it takes and answers, which
// errors it gives), and the OpenAPI 3.1 description generated from it: the answers' JSON Schemas come
// from the zod schemas (api-schemas.ts) through zod's own JSON Schema output, the error answers from
// the error registry (errors.ts). Nothing of it is written by hand twice. GET /api/openapi.json
// serves it; a test checks that the table lists exactly the routes the server mounts.
import { z } from 'zod';
import * as S from './api-schemas.js';
import { ERRORS, type ErrorName } from './errors.js';
import type { Role } from './city.js';
import { PERMISSIONS } from './auth.js';

type Method = 'get' | 'post' | 'patch' | 'delete';
interface Param { name: string; description: string; schema: z.ZodType; required?: boolean }

export interface RouteSpec {
  method: Method;
  /** As Express mounts it (`/api/alerts/:id`). */
  path: string;
  summary: string;
  /** Who may call it: 'open' (no sign-in), or the roles allowed. */
  roles: 'open' | readonly Role[];
  query?: Param[];
  body?: z.ZodType;
  /** The success answer is a CSV file (text/csv: UTF-8 with a byte order mark, RFC 4180), not JSON. */
  csv?: true;
  /** The request body is a CSV file (text/csv), not JSON. */
  csvBody?: true;
  /** The success answer is NGSI-LD (application/ld+json: a JSON array of entities), not plain JSON. */
  jsonld?: true;
  /** The success answer: its status and schema (none for 204). */
  status: 200 | 201 | 204;
  response?: z.ZodType;
  /** The registry's errors this route answers with (beyond sign-in and role, which follow from `roles`). */
  errors: ErrorName[];
}

const str = (description: string) => z.string().describe(description);
const limit = (what: string): Param => ({ name: 'limit', description: `at most this many ${what}`, schema: z.number().int().min(1) });
const range: Param[] = [
  { name: 'from', description: 'start, epoch ms or ISO 8601 (default: some time before `to`)', schema: z.string() },
  { name: 'to', description: 'end, epoch ms or ISO 8601 (default: now)', schema: z.string() },
];
const READ = PERMISSIONS.read;
const csvParams: Param[] = [
  { name: 'lang', description: 'zh-CN or en (default): the column names, and the alert titles and details', schema: z.enum(['zh-CN', 'en']) },
  { name: 'tz', description: 'an IANA time zone for the times, like Asia/Shanghai (default: UTC)', schema: z.string() },
];
const historyFilters: Param[] = [
  { name: 'from', description: 'started at or after, epoch ms or ISO 8601 (default: 7 days before `to`)', schema: z.string() },
  { name: 'to', description: 'started before, epoch ms or ISO 8601 (default: now); at most 366 days after `from`', schema: z.string() },
  { name: 'district', description: 'one district', schema: z.string() },
  { name: 'grid', description: 'one grid cell', schema: z.string() },
  { name: 'severity', description: 'the colour: red, orange, yellow or blue', schema: z.enum(['red', 'orange', 'yellow', 'blue']) },
  { name: 'kind', description: 'the rule\'s kind (threshold, rate, absence, ...)', schema: z.string() },
  { name: 'rule', description: 'one rule id', schema: z.string() },
  { name: 'state', description: 'the state now (pending, firing, acknowledged, handled, resolved)', schema: z.string() },
  { name: 'assignee', description: 'a username: assigned, or who acknowledged, handled or resolved it', schema: z.string() },
  { name: 'text', description: 'words in the message (either language) or in a note of its events; case-insensitive, at most 100 characters', schema: z.string() },
];
const ACT = PERMISSIONS.actOnAlerts;
const openDate: Param = { name: 'date', description: 'one UTC day, YYYY-MM-DD (default: yesterday); today is partial; at most 366 days back', schema: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) };

export const API_ROUTES: RouteSpec[] = [
  { method: 'get', path: '/api/health', summary: 'Health of the broker, store and rules (open)', roles: 'open', status: 200, response: S.healthSchema, errors: [] },
  { method: 'post', path: '/api/auth/login', summary: 'Sign in: a token (also set as the cg_token cookie)', roles: 'open', body: S.loginRequestSchema, status: 200, response: S.loginSchema, errors: ['LOGIN_INVALID', 'BAD_CREDENTIALS', 'TOO_MANY_ATTEMPTS', 'SIGNIN_BUSY', 'SIGNIN_UNAVAILABLE', 'BODY_INVALID', 'BODY_TOO_LARGE'] },
  { method: 'post', path: '/api/auth/refresh', summary: 'A new token for the same session (the old one retires after a grace period)', roles: READ, status: 200, response: S.loginSchema, errors: [] },
  { method: 'post', path: '/api/auth/logout', summary: 'End the session: every token of it is refused from now on', roles: READ, status: 204, errors: [] },
  { method: 'get', path: '/api/auth/me', summary: 'Who is signed in', roles: READ, status: 200, response: S.userSchema, errors: [] },
  { method: 'post', path: '/api/auth/password', summary: 'Change one\'s own password: the current one is checked as at sign-in (same back-off); the other sessions end; audited', roles: READ, body: S.passwordChangeRequestSchema, status: 204, errors: ['PASSWORD_CHANGE_INVALID', 'PASSWORD_WEAK', 'TOO_MANY_ATTEMPTS', 'SIGNIN_BUSY', 'SIGNIN_UNAVAILABLE', 'PEOPLE_FILE_REFUSED', 'PEOPLE_FILE_UNWRITABLE', 'PERSON_NOT_FOUND', 'BODY_INVALID', 'BODY_TOO_LARGE', 'CROSS_SITE_REQUEST'] },
  // people administration (issue 18): written back to people.yaml, effective at once, audited
  { method: 'get', path: '/api/admin/people', summary: 'Everyone in people.yaml, disabled people too (never a password hash)', roles: PERMISSIONS.managePeople, status: 200, response: S.adminPeopleSchema, errors: ['PEOPLE_FILE_UNWRITABLE', 'QUERY_INVALID'],
    query: [{ name: 'contacts', description: '1: with each person\'s contact handles (personal data; default 0)', schema: z.enum(['0', '1']) }] },
  { method: 'post', path: '/api/admin/people', summary: 'Add a person: they can sign in at once with the password given, or the temporary one in the answer (shown once)', roles: PERMISSIONS.managePeople, body: S.personAddRequestSchema, status: 201, response: S.adminPersonAnswerSchema, errors: ['PERSON_INVALID', 'PERSON_EXISTS', 'PASSWORD_WEAK', 'SIGNIN_BUSY', 'PEOPLE_FILE_REFUSED', 'PEOPLE_FILE_UNWRITABLE', 'BODY_INVALID', 'BODY_TOO_LARGE', 'CROSS_SITE_REQUEST'] },
  { method: 'patch', path: '/api/admin/people/:username', summary: 'Change a person\'s name, role, cells or districts, or disable or enable them: disabling or a new role ends their sessions at once; the last enabled admin stays one', roles: PERMISSIONS.managePeople, body: S.personPatchRequestSchema, status: 200, response: S.adminPersonAnswerSchema, errors: ['PERSON_INVALID', 'PERSON_NOT_FOUND', 'LAST_ADMIN', 'PEOPLE_FILE_REFUSED', 'PEOPLE_FILE_UNWRITABLE', 'BODY_INVALID', 'BODY_TOO_LARGE', 'CROSS_SITE_REQUEST'] },
  { method: 'get', path: '/api/city', summary: 'The city: name and centre', roles: READ, status: 200, response: S.citySchema, errors: [] },
  { method: 'get', path: '/api/grid', summary: 'Grid cells as GeoJSON with live status and who answers for each', roles: READ, status: 200, response: S.gridSchema, errors: [] },
  { method: 'get', path: '/api/districts', summary: 'District outlines as GeoJSON', roles: READ, status: 200, response: S.districtsSchema, errors: [] },
  {
    method: 'get', path: '/api/devices', summary: 'Devices with their latest values (a grid worker: their cells only)', roles: READ, status: 200, response: S.devicesSchema, errors: ['QUERY_INVALID'],
    query: [{ name: 'grid', description: 'one grid cell', schema: str('cell id') }, { name: 'district', description: 'one district', schema: str('district id') }, { name: 'kind', description: 'one device kind', schema: str('device kind') }],
  },
  { method: 'get', path: '/api/devices/:id', summary: 'One device', roles: READ, status: 200, response: S.deviceSchema, errors: ['DEVICE_NOT_FOUND'] },
  { method: 'get', path: '/api/devices/:id/activity', summary: 'A device\'s page: its MQTT connection state and history (embedded broker), and its last 50 messages, stored or refused with the reason (a grid worker: their cells only)', roles: READ, status: 200, response: S.deviceActivitySchema, errors: ['DEVICE_NOT_FOUND', 'STORE_UNAVAILABLE'] },
  { method: 'post', path: '/api/devices/:id/test-reading', summary: 'Send one quiet reading as the device through the embedded broker (a one-time credential) and say whether it was stored or refused; audited, a few a minute per user', roles: PERMISSIONS.testDevices, status: 200, response: S.testReadingSchema, errors: ['DEVICE_NOT_FOUND', 'TEST_READING_UNAVAILABLE', 'TEST_READING_RATE_LIMITED', 'CROSS_SITE_REQUEST'] },
  {
    method: 'get', path: '/api/devices/:id/readings', summary: 'A device\'s readings over a time range, raw or in buckets', roles: READ, status: 200, response: S.readingsSchema,
    errors: ['DEVICE_NOT_FOUND', 'QUERY_INVALID', 'LIMIT_EXCEEDED', 'METRIC_UNKNOWN', 'STORE_UNAVAILABLE'],
    query: [{ name: 'metric', description: 'a metric of the device, or several comma-separated (default: all)', schema: z.string() }, ...range, { name: 'step', description: 'bucket width like 1m or 1h (default: raw points)', schema: z.string() }, limit('raw points per metric')],
  },
  {
    method: 'get', path: '/api/devices/:id/readings.csv', summary: 'Every raw reading of a device over a range, as a CSV file written as the client takes it (a grid worker: their cells only); audited', roles: READ, status: 200, csv: true,
    errors: ['DEVICE_NOT_FOUND', 'QUERY_INVALID', 'LIMIT_EXCEEDED', 'METRIC_UNKNOWN', 'STORE_UNAVAILABLE', 'EXPORT_BUSY'],
    query: [{ name: 'metric', description: 'one metric of the device (default: all)', schema: z.string() }, { name: 'from', description: 'start, epoch ms or ISO 8601 (default: 24 h before `to`)', schema: z.string() }, { name: 'to', description: 'end, epoch ms or ISO 8601 (default: now); at most 31 days after `from`', schema: z.string() }, ...csvParams],
  },
  {
    method: 'get', path: '/api/cells/:id/readings.csv', summary: 'Every raw reading of a grid cell\'s devices over a range, as a CSV file written as the client takes it (a grid worker: their cells only); audited', roles: READ, status: 200, csv: true,
    errors: ['GRID_NOT_FOUND', 'QUERY_INVALID', 'LIMIT_EXCEEDED', 'STORE_UNAVAILABLE', 'EXPORT_BUSY'],
    query: [{ name: 'metric', description: 'one metric (default: every metric of the cell\'s devices)', schema: z.string() }, { name: 'from', description: 'start, epoch ms or ISO 8601 (default: 24 h before `to`)', schema: z.string() }, { name: 'to', description: 'end, epoch ms or ISO 8601 (default: now); at most 31 days after `from`', schema: z.string() }, ...csvParams],
  },
  {
    method: 'get', path: '/api/cells/:id/readings', summary: 'A grid cell\'s numeric readings in buckets, one series per metric over the cell\'s devices (a grid worker: their cells only)', roles: READ, status: 200, response: S.cellReadingsSchema,
    errors: ['GRID_NOT_FOUND', 'QUERY_INVALID', 'LIMIT_EXCEEDED'],
    query: [{ name: 'metric', description: 'metrics of the cell\'s devices, comma-separated (default: all numeric ones, at most 8)', schema: z.string() }, ...range, { name: 'step', description: 'bucket width like 5m (default) or 1h', schema: z.string() }],
  },
  {
    method: 'get', path: '/api/camera-events', summary: 'Recent camera detections (type, confidence, count; never an image)', roles: READ, status: 200, response: S.cameraEventsSchema, errors: ['QUERY_INVALID', 'LIMIT_EXCEEDED'],
    query: [{ name: 'grid', description: 'one grid cell', schema: z.string() }, { name: 'district', description: 'one district', schema: z.string() }, ...range, limit('events')],
  },
  {
    method: 'get', path: '/api/replay', summary: 'The city as it was over a past range (at most 24 h in at most 1,440 frames): each cell\'s status where it changes, KPIs per frame, the alerts open at the start and every transition after (a grid worker: their cells and alerts only)',
    roles: READ, status: 200, response: S.replaySchema, errors: ['QUERY_INVALID', 'LIMIT_EXCEEDED', 'STORE_UNAVAILABLE'],
    query: [...range, { name: 'step', description: 'frame width like 10s or 1m, at least 1s (default: the finest giving at most 720 frames)', schema: z.string() }],
  },
  {
    method: 'get', path: '/api/rejections', summary: 'Refused device messages, with their reasons', roles: READ, status: 200, response: S.rejectionsSchema, errors: ['QUERY_INVALID', 'LIMIT_EXCEEDED'],
    query: [{ name: 'device', description: 'one device', schema: z.string() }, { name: 'reason', description: 'one refusal reason', schema: z.string() }, limit('rejections')],
  },
  {
    method: 'get', path: '/api/alerts', summary: 'Alerts, newest first (a grid worker: their cells only)', roles: READ, status: 200, response: S.alertsSchema, errors: ['QUERY_INVALID', 'LIMIT_EXCEEDED'],
    query: [{ name: 'state', description: 'active (default) or all', schema: z.enum(['active', 'all']) }, { name: 'severity', description: 'red, orange, yellow or blue', schema: z.string() }, { name: 'grid', description: 'one grid cell', schema: z.string() }, { name: 'district', description: 'one district', schema: z.string() }, limit('alerts')],
  },
  {
    method: 'get', path: '/api/alerts/history', summary: 'Past alerts by start time and filters, newest first, a page at a time with how many match (a grid worker: their cells and assigned alerts)', roles: READ, status: 200, response: S.historySchema,
    errors: ['QUERY_INVALID', 'LIMIT_EXCEEDED'],
    query: [...historyFilters, { name: 'offset', description: 'alerts to skip (paging)', schema: z.number().int().min(0) }, limit('alerts (at most 200)')],
  },
  {
    method: 'get', path: '/api/alerts/history.csv', summary: 'The same alerts as a CSV file, all of them (at most 100,000: more are refused, saying how many matched); audited', roles: READ, status: 200, csv: true,
    errors: ['QUERY_INVALID', 'LIMIT_EXCEEDED', 'EXPORT_BUSY'],
    query: [...historyFilters, ...csvParams],
  },
  { method: 'get', path: '/api/alerts/:id', summary: 'One alert and its history', roles: READ, status: 200, response: S.alertDetailSchema, errors: ['ALERT_NOT_FOUND'] },
  { method: 'post', path: '/api/alerts/:id/ack', summary: 'Acknowledge an alert, with an optional note', roles: ACT, body: S.alertNoteSchema, status: 200, response: S.alertActionSchema, errors: ['ALERT_NOT_FOUND', 'ALERT_RESOLVED', 'QUERY_INVALID', 'ALERT_ACTION_PENDING', 'BODY_INVALID', 'BODY_TOO_LARGE', 'CROSS_SITE_REQUEST'] },
  { method: 'post', path: '/api/alerts/:id/resolve', summary: 'Resolve an alert, saying what was done (a grid worker\'s red or orange alert waits, handled, for its supervisor\'s verification)', roles: ACT, body: S.resolveNoteSchema, status: 200, response: S.alertActionSchema, errors: ['ALERT_NOT_FOUND', 'ALERT_RESOLVED', 'NOTE_REQUIRED', 'QUERY_INVALID', 'ALERT_ACTION_PENDING', 'BODY_INVALID', 'BODY_TOO_LARGE', 'CROSS_SITE_REQUEST'] },
  { method: 'post', path: '/api/alerts/:id/verify', summary: 'Verify a handled alert (核查) and close it (结案): its district\'s supervisor, an operator or an admin, not whoever handled it', roles: PERMISSIONS.superviseAlerts, body: S.alertNoteSchema, status: 200, response: S.alertActionSchema, errors: ['ALERT_NOT_FOUND', 'ALERT_RESOLVED', 'QUERY_INVALID', 'ALERT_ACTION_PENDING', 'BODY_INVALID', 'BODY_TOO_LARGE', 'CROSS_SITE_REQUEST', 'ALERT_NOT_HANDLED'] },
  { method: 'post', path: '/api/alerts/:id/send-back', summary: 'Send a handled alert back to its assignee, saying what is still to do', roles: PERMISSIONS.superviseAlerts, body: S.resolveNoteSchema, status: 200, response: S.alertActionSchema, errors: ['ALERT_NOT_FOUND', 'ALERT_RESOLVED', 'QUERY_INVALID', 'ALERT_ACTION_PENDING', 'BODY_INVALID', 'BODY_TOO_LARGE', 'CROSS_SITE_REQUEST', 'ALERT_NOT_HANDLED', 'NOTE_REQUIRED'] },
  { method: 'post', path: '/api/alerts/:id/dispatch', summary: 'Dispatch an alert by hand to a named person (GET /api/people): they must acknowledge it, and its deadlines restart', roles: PERMISSIONS.superviseAlerts, body: S.alertDispatchRequestSchema, status: 200, response: S.alertActionSchema, errors: ['ALERT_NOT_FOUND', 'ALERT_RESOLVED', 'QUERY_INVALID', 'ALERT_ACTION_PENDING', 'BODY_INVALID', 'BODY_TOO_LARGE', 'CROSS_SITE_REQUEST', 'DISPATCH_INVALID'] },
  { method: 'get', path: '/api/people', summary: 'The people alerts can be dispatched to: names, roles, cells, districts and departments only', roles: READ, status: 200, response: S.peopleSchema, errors: [] },
  { method: 'get', path: '/api/maintenance', summary: 'Maintenance windows in force or to come', roles: READ, status: 200, response: S.maintenanceListSchema, errors: [] },
  { method: 'post', path: '/api/maintenance', summary: 'Start or schedule a maintenance window for a device, a cell or a rule (its alerts are shown, not notified)', roles: PERMISSIONS.maintenance, body: S.maintenanceRequestSchema, status: 201, response: S.maintenanceCreatedSchema, errors: ['MAINTENANCE_INVALID', 'BODY_INVALID', 'BODY_TOO_LARGE', 'CROSS_SITE_REQUEST'] },
  { method: 'delete', path: '/api/maintenance/:id', summary: 'End a maintenance window early', roles: PERMISSIONS.maintenance, status: 204, errors: ['MAINTENANCE_NOT_FOUND', 'CROSS_SITE_REQUEST'] },
  {
    method: 'get', path: '/api/scores', summary: 'Scores (考核) per grid cell or district over a period', roles: READ, status: 200, response: S.scoresSchema, errors: ['QUERY_INVALID'],
    query: [{ name: 'by', description: 'grid (default) or district', schema: z.enum(['grid', 'district']) }, ...range],
  },
  { method: 'get', path: '/api/rules', summary: 'The alert rules and their state', roles: READ, status: 200, response: S.rulesSchema, errors: [] },
  { method: 'post', path: '/api/rules/reload', summary: 'Read rules.yaml again (a bad file is refused; the last good rules stay)', roles: PERMISSIONS.reloadRules, status: 200, response: S.rulesSchema, errors: ['RULES_INVALID', 'CROSS_SITE_REQUEST'] },
  {
    method: 'get', path: '/api/audit', summary: 'The audit log, newest first', roles: PERMISSIONS.audit, status: 200, response: S.auditSchema, errors: ['QUERY_INVALID', 'LIMIT_EXCEEDED'],
    query: [{ name: 'user', description: 'one user', schema: z.string() }, { name: 'action', description: 'one action', schema: z.string() }, { name: 'before', description: 'entries older than this seq (paging)', schema: z.number().int() }, limit('entries')],
  },
  // open data: no sign-in, one UTC day per request, a per-address rate limit (contract/src/open-data.ts)
  { method: 'get', path: '/api/open', summary: 'Open data: what is published, the licence (CC BY 4.0), the aggregation, what is never published, and links (open)', roles: 'open', status: 200, response: S.openIndexSchema, errors: ['OPEN_RATE_LIMITED'] },
  {
    method: 'get', path: '/api/open/hourly.csv', summary: 'Open data: one row per UTC hour, grid cell and metric with min, mean, max and the count of readings, for one UTC day (open)', roles: 'open', status: 200, csv: true,
    errors: ['OPEN_DATE_INVALID', 'OPEN_DATE_OUT_OF_RANGE', 'OPEN_RATE_LIMITED', 'QUERY_INVALID', 'STORE_UNAVAILABLE'], query: [openDate],
  },
  {
    method: 'get', path: '/api/open/alerts-hourly.csv', summary: 'Open data: alerts that became firing per UTC hour and grid cell, by colour, for one UTC day (open)', roles: 'open', status: 200, csv: true,
    errors: ['OPEN_DATE_INVALID', 'OPEN_DATE_OUT_OF_RANGE', 'OPEN_RATE_LIMITED', 'QUERY_INVALID'], query: [openDate],
  },
  {
    method: 'get', path: '/api/open/hourly.jsonld', summary: 'Open data: the same day as NGSI-LD entities (FIWARE Smart Data Models AirQualityObserved, NoiseLevelObserved, WaterObserved, WeatherObserved, Alert; keyValues form) (open)', roles: 'open', status: 200, jsonld: true,
    errors: ['OPEN_DATE_INVALID', 'OPEN_DATE_OUT_OF_RANGE', 'OPEN_RATE_LIMITED', 'QUERY_INVALID', 'STORE_UNAVAILABLE'], query: [openDate],
  },
  {
    method: 'get', path: '/api/open/reports-hourly.csv', summary: 'Open data: residents\' reports filed per UTC hour, grid cell and category (never their texts; spam not counted), for one UTC day (open; REPORTS on)', roles: 'open', status: 200, csv: true,
    errors: ['OPEN_DATE_INVALID', 'OPEN_DATE_OUT_OF_RANGE', 'OPEN_RATE_LIMITED', 'QUERY_INVALID', 'REPORTS_OFF'], query: [openDate],
  },
  { method: 'get', path: '/api/open/conditions', summary: 'Open data: each grid cell\'s worst condition over the last hour, and open alerts by colour per district (open)', roles: 'open', status: 200, response: S.openConditionsSchema, errors: ['OPEN_RATE_LIMITED', 'STORE_UNAVAILABLE'] },
  { method: 'get', path: '/api/open/city', summary: 'Open data: the districts and grid cells (ids, names, outlines; no devices, no people) (open)', roles: 'open', status: 200, response: S.openCitySchema, errors: ['OPEN_RATE_LIMITED'] },
  {
    method: 'get', path: '/api/open/devices/:id/hourly.csv', summary: 'Open data: hourly aggregates of one device the city file marks public (never raw readings); any other id is not found (open)', roles: 'open', status: 200, csv: true,
    errors: ['DEVICE_NOT_FOUND', 'OPEN_DATE_INVALID', 'OPEN_DATE_OUT_OF_RANGE', 'OPEN_RATE_LIMITED', 'QUERY_INVALID', 'STORE_UNAVAILABLE'], query: [openDate],
  },
  // residents' reports (REPORTS, on by default; REPORTS=0: 404 CG_REPORTS_OFF): no sign-in to file one or follow it by its receipt
  { method: 'get', path: '/api/public/reports/challenge', summary: 'A proof-of-work challenge for one report (open)', roles: 'open', status: 200, response: S.reportChallengeSchema, errors: ['REPORT_RATE_LIMITED', 'REPORTS_OFF'] },
  {
    method: 'post', path: '/api/public/reports', summary: 'File a resident\'s report: its text masked, the same report within an hour folded into the first; 201 a receipt (200 when folded) (open)', roles: 'open', body: S.reportRequestSchema, status: 201, response: S.reportFiledSchema,
    errors: ['REPORT_INVALID', 'REPORT_CHALLENGE', 'REPORT_RATE_LIMITED', 'REPORTS_OFF', 'BODY_INVALID', 'BODY_TOO_LARGE'],
  },
  { method: 'get', path: '/api/public/reports/:receipt', summary: 'A report\'s status by its receipt (never its text) (open)', roles: 'open', status: 200, response: S.reportReceiptSchema, errors: ['REPORT_NOT_FOUND', 'REPORT_RATE_LIMITED', 'REPORTS_OFF'] },
  {
    method: 'get', path: '/api/reports', summary: 'Residents\' reports, newest first, with their masked texts (a grid worker: their cells only, or every report of an alert they may see)', roles: READ, status: 200, response: S.reportListSchema, errors: ['QUERY_INVALID', 'ALERT_NOT_FOUND', 'REPORTS_OFF'],
    query: [limit('reports'), { name: 'before', description: 'only reports filed before this (epoch ms), for the next page', schema: z.string() },
      { name: 'alert', description: 'only the reports that joined this alert', schema: z.string() }],
  },
  { method: 'post', path: '/api/reports/:receipt/spam', summary: 'Mark a report as spam (it then counts for nothing); audited', roles: ['operator', 'admin'], status: 200, response: S.reportMarkedSchema, errors: ['REPORT_NOT_FOUND', 'REPORTS_OFF'] },
  // device provisioning (issue 18): written back to devices.yaml, effective at once, audited
  { method: 'get', path: '/api/admin/devices', summary: 'Every device\'s configuration, disabled ones too (never a secret or hash)', roles: PERMISSIONS.manageDevices, status: 200, response: S.provisionedDeviceListSchema, errors: ['DEVICES_READ_ONLY'] },
  { method: 'post', path: '/api/admin/devices', summary: 'Add a device: it can log in at once with the secret in the answer (shown once)', roles: PERMISSIONS.manageDevices, body: S.deviceAddRequestSchema, status: 201, response: S.deviceAddedSchema, errors: ['DEVICE_INVALID', 'DEVICE_EXISTS', 'DEVICES_FILE_FAILED', 'DEVICES_READ_ONLY', 'BODY_INVALID', 'BODY_TOO_LARGE'] },
  { method: 'patch', path: '/api/admin/devices/:id', summary: 'Move (cell and place), rename, disable or enable a device; disabling closes its connections', roles: PERMISSIONS.manageDevices, body: S.deviceUpdateRequestSchema, status: 200, response: S.provisionedDeviceSchema, errors: ['DEVICE_NOT_FOUND', 'DEVICE_INVALID', 'DEVICES_FILE_FAILED', 'DEVICES_READ_ONLY', 'BODY_INVALID', 'BODY_TOO_LARGE'] },
  { method: 'delete', path: '/api/admin/devices/:id', summary: 'Remove a device: its connections are closed and its logins refused (its readings stay)', roles: PERMISSIONS.manageDevices, status: 204, errors: ['DEVICE_NOT_FOUND', 'DEVICES_FILE_FAILED', 'DEVICES_READ_ONLY'] },
  { method: 'post', path: '/api/admin/devices/:id/rotate', summary: 'A new secret (shown once); the old one keeps working for the grace period', roles: PERMISSIONS.manageDevices, body: S.deviceRotateRequestSchema, status: 200, response: S.deviceRotatedSchema, errors: ['DEVICE_NOT_FOUND', 'DEVICE_INVALID', 'DEVICES_FILE_FAILED', 'DEVICES_READ_ONLY', 'BODY_INVALID', 'BODY_TOO_LARGE'] },
  {
    method: 'post', path: '/api/admin/devices/import', summary: 'Import devices from CSV: a dry run lists every problem by line; otherwise all or nothing', roles: PERMISSIONS.manageDevices, csvBody: true, status: 200, response: S.deviceImportResultSchema,
    errors: ['DEVICES_IMPORT_INVALID', 'DEVICES_FILE_FAILED', 'DEVICES_READ_ONLY', 'BODY_INVALID', 'BODY_TOO_LARGE'],
    query: [{ name: 'dry_run', description: '1: check only, list the problems, change nothing', schema: z.enum(['1', '0', 'true', 'false']) }],
  },
];

const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');
const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/** The OpenAPI 3.1 description of the REST API (GET /api/openapi.json). */
export function openApiDocument(o: { version: string; title?: string }): Record<string, unknown> {
  // every answer and body gets a component of its own; nested schemas with an id are referenced
  const registry = z.registry<{ id: string }>();
  const idOf = new Map<z.ZodType, string>();
  const name = (route: RouteSpec, what: string) => `${route.method}${route.path.replace(/^\/api/, '').split(/[^a-zA-Z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}${what}`;
  const add = (schema: z.ZodType, fallback: string) => {
    const id = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id ?? idOf.get(schema) ?? fallback;
    idOf.set(schema, id);
    if (!registry.has(schema)) registry.add(schema, { id });
    return id;
  };
  // every schema with an id of its own (Alert, Device, ...) is a component, referenced where it is used
  for (const schema of Object.values(S)) {
    const id = schema instanceof z.ZodType ? (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id : undefined;
    if (id) add(schema, id);
  }
  for (const r of API_ROUTES) {
    if (r.response) add(r.response, name(r, 'Response'));
    if (r.body) add(r.body, name(r, 'Body'));
  }
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' }) as { schemas: Record<string, Record<string, unknown>> };
  for (const s of Object.values(schemas)) {
    // zod names each with $schema and a fragment $id; inside an OpenAPI document they only confuse viewers
    delete s.$schema;
    delete s.$id;
  }

  const errorResponse = (names: ErrorName[]) => ({
    description: names.map((n) => `${ERRORS[n].code}: ${ERRORS[n].template.replace(/%[sd]/g, '…')}`).join('\n'),
    content: { 'application/json': { schema: ref('Error') } },
  });
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of API_ROUTES) {
    const errors: ErrorName[] = [...r.errors];
    if (r.roles !== 'open') errors.push('UNAUTHENTICATED', 'FORBIDDEN');
    errors.push('INTERNAL');
    const byStatus = new Map<number, ErrorName[]>();
    for (const e of new Set(errors)) byStatus.set(ERRORS[e].status, [...byStatus.get(ERRORS[e].status) ?? [], e]);
    const params = [
      ...[...r.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } })),
      ...(r.query ?? []).map((q) => ({ name: q.name, in: 'query', required: q.required ?? false, description: q.description, schema: z.toJSONSchema(q.schema, { target: 'draft-2020-12' }) })),
    ].map((p) => {
      if ('schema' in p && p.schema && typeof p.schema === 'object') delete (p.schema as Record<string, unknown>).$schema;
      return p;
    });
    const op: Record<string, unknown> = {
      operationId: name(r, ''),
      summary: r.summary,
      description: r.roles === 'open' ? 'No sign-in needed.' : `Roles: ${r.roles.join(', ')}.`,
      'x-roles': r.roles,
      ...(r.roles === 'open' ? { security: [] } : {}),
      ...(params.length ? { parameters: params } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(idOf.get(r.body)!) } } } } : {}),
      ...(r.csvBody ? { requestBody: { required: true, content: {
        'text/csv': { schema: { type: 'string', description: 'a header line (id,kind,lng,lat, and optionally grid,name,zones,public,secret), then one device per line; zones separated by ;' } },
        'application/json': { schema: { type: 'object', required: ['csv'], properties: { csv: { type: 'string', description: 'the same file as a string (how the dashboard sends it)' } } } },
      } } } : {}),
      responses: {
        [r.status]: r.jsonld
          ? { description: 'NGSI-LD entities in the simplified (keyValues) form, each with its @context', content: { 'application/ld+json': { schema: { type: 'array', items: { type: 'object' } } } } }
          : r.csv
          ? { description: 'A CSV file: UTF-8 with a byte order mark, RFC 4180 (CRLF, quotes doubled), text starting with = + - @ prefixed with \'', content: { 'text/csv': { schema: { type: 'string' } } } }
          : r.response
            ? { description: 'OK', content: { 'application/json': { schema: ref(idOf.get(r.response)!) } } }
            : { description: 'Done; no content' },
        ...Object.fromEntries([...byStatus].sort(([a], [b]) => a - b).map(([status, names]) => [status, errorResponse(names)])),
      },
    };
    (paths[openApiPath(r.path)] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: o.title ?? 'CityGrid API', version: o.version,
      description: 'Real-time monitoring for grid-based city management. Every error answer is {"error": {"code", "message"}} with a code from the registry.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { cookie: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'the token from POST /api/auth/login' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'cg_token', description: 'set by POST /api/auth/login (writes must come from the dashboard\'s own pages)' },
      },
    },
  };
}
