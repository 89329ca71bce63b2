// The REST API's answers as zod schemas: what the OpenAPI description (openapi.ts) is generated
// from. Each is checked at compile time to be exactly the TypeScript type the server's routers
// declare and the dashboard reads (api.ts, alerts.ts, auth.ts, ...), so the two cannot drift apart:
// changing a field on one side without the other fails `npm run typecheck`.
import { z } from 'zod';
import { ALERT_EVENT_TYPES, ALERT_STATES, SEVERITIES, type Alert, type MaintenanceWindow } from './alerts.js';
import type { AlertDetail, AlertText } from './alert-text.js';
import type * as Api from './api.js';
import { AUDIT_ACTIONS, type AdminPeopleResponse, type AdminPerson, type AdminPersonResponse, type AuditEntry, type LoginResponse, type PasswordChangeRequest, type UserView } from './auth.js';
import { CAMERA_EVENT_TYPES, CONDITIONS, DEVICE_KINDS } from './catalogue.js';
import { contactsSchema, ROLES } from './city.js';
import { ERRORS, type ErrorName } from './errors.js';
import { REJECTION_REASON_CODES, type Rejection, type RejectionReason } from './rejections.js';
import { matchSchema } from './rules.js';
import { DISCONNECT_REASONS, type DeviceActivityResponse, type TestReadingResponse } from './device-activity.js';
import type { OpenCity, OpenConditions, OpenIndex } from './open-data.js';
import type { CameraSocketEvent } from './socket-events.js';
import { REPORT_CATEGORIES, REPORT_STATUSES, type ReportChallenge, type ReportFiled, type ReportList, type ReportReceipt, type ReportRequest, type ReportView } from './reports.js';

/** True when A and B are the same type (each assignable to the other, optional and readonly alike). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
/** Fails to compile unless its argument is `true`. */
const same = <T extends true>(): T | undefined => undefined;

const epochMs = z.number().int().describe('epoch milliseconds');
const severity = z.enum(SEVERITIES);
const condition = z.enum(CONDITIONS);
const reason = z.enum(REJECTION_REASON_CODES as [RejectionReason, ...RejectionReason[]]);
const position = z.tuple([z.number(), z.number()]).describe('[longitude, latitude]');
const polygon = z.object({ type: z.literal('Polygon'), coordinates: z.array(z.array(position)) });
const multiPolygon = z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(z.array(z.array(position))) });
const area = z.union([polygon, multiPolygon]);
const feature = <P extends z.ZodType>(properties: P) => z.object({ type: z.literal('Feature'), properties, geometry: area });
const collection = <P extends z.ZodType>(properties: P) => z.object({ type: z.literal('FeatureCollection'), features: z.array(feature(properties)) });

export const apiErrorSchema = z.object({
  error: z.object({ code: z.enum(Object.values(ERRORS).map((e) => e.code) as [(typeof ERRORS)[ErrorName]['code'], ...(typeof ERRORS)[ErrorName]['code'][]]), message: z.string() }),
}).meta({ id: 'Error' });
same<Same<z.infer<typeof apiErrorSchema>, Api.ApiError>>();

const componentStatus = z.enum(['ok', 'degraded', 'down', 'not_configured']);
export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  uptimeS: z.number(),
  broker: z.object({ status: componentStatus, mode: z.enum(['embedded', 'external', 'cluster']), connected: z.boolean() }),
  cluster: z.object({ replica: z.string(), partitions: z.array(z.number().int()) }).optional(),
  store: z.object({ status: componentStatus, kind: z.enum(['sqlite', 'influx']), detail: z.string().optional() }),
  rules: z.object({ status: componentStatus, detail: z.string().optional() }),
  people: z.object({ status: componentStatus, detail: z.string().optional() }).optional(),
  devices: z.object({ status: componentStatus, detail: z.string().optional() }).optional(),
  ingest: z.object({ received: z.number(), stored: z.number(), rejected: z.number() }),
}).meta({ id: 'Health' });
same<Same<z.infer<typeof healthSchema>, Api.HealthResponse>>();

export const deviceSchema = z.object({
  id: z.string(), kind: z.enum(DEVICE_KINDS), name: z.string().optional(), grid: z.string(), district: z.string(), location: position,
  online: z.boolean(), lastSeen: epochMs.nullable(),
  latest: z.record(z.string(), z.object({ value: z.union([z.number(), z.boolean()]), ts: epochMs })),
  condition,
}).meta({ id: 'Device' });
same<Same<z.infer<typeof deviceSchema>, Api.DeviceView>>();
export const devicesSchema = z.object({ devices: z.array(deviceSchema) }).meta({ id: 'DevicesResponse' });
same<Same<z.infer<typeof devicesSchema>, Api.DevicesResponse>>();

const rawPoint = z.object({ ts: epochMs, value: z.number() });
const bucketPoint = z.object({ ts: epochMs, mean: z.number(), min: z.number(), max: z.number(), count: z.number().int() });
export const readingsSchema = z.object({
  device: z.string(), from: epochMs, to: epochMs, step: z.number().nullable(),
  series: z.array(z.object({ metric: z.string(), unit: z.string().optional(), points: z.union([z.array(rawPoint), z.array(bucketPoint)]) })),
}).meta({ id: 'Readings' });
same<Same<z.infer<typeof readingsSchema>, Api.ReadingsResponse>>();

export const cellReadingsSchema = z.object({
  grid: z.string(), from: epochMs, to: epochMs, step: z.number().describe('bucket width, ms'),
  series: z.array(z.object({ metric: z.string(), kind: z.enum(DEVICE_KINDS), unit: z.string(), devices: z.array(z.string()), points: z.array(bucketPoint) })),
}).meta({ id: 'CellReadings', description: 'each metric of the cell over all its devices that measure it: per bucket the count-weighted mean, the lowest min, the highest max' });
same<Same<z.infer<typeof cellReadingsSchema>, Api.CellReadingsResponse>>();

export const rejectionSchema = z.object({
  ts: epochMs, device: z.string().nullable(), topic: z.string().nullable(), reason, message: z.string(), by: z.enum(['broker', 'server']),
  seq: z.number().optional(), count: z.number().int().optional(), preAuth: z.boolean().optional(),
  gateway: z.string().optional().describe('the gateway that sent the message on the device\'s behalf; it is told too'),
}).meta({ id: 'Rejection' });
same<Same<z.infer<typeof rejectionSchema>, Rejection>>();
export const rejectionsSchema = z.object({ total: z.number().int(), byReason: z.partialRecord(reason, z.number().int()), items: z.array(rejectionSchema) }).meta({ id: 'RejectionsResponse' });
same<Same<z.infer<typeof rejectionsSchema>, Api.RejectionsResponse>>();

const seconds = z.number().nullable();
export const scoreSchema = z.object({
  id: z.string(), alerts: z.number().int(), bySeverity: z.record(severity, z.number().int()), acknowledged: z.number().int(), resolved: z.number().int(),
  ackMedianS: seconds, ackP90S: seconds, resolveMedianS: seconds, resolveP90S: seconds, ackedInTime: z.number().nullable(), escalated: z.number().int(),
  inResolveDeadline: z.number().int(), pastResolveDeadline: z.number().int(), resolvedInTime: z.number().nullable(),
  reportsClosed: z.number().int().optional().describe('residents\' reports closed in the period, spam not counted (only when REPORTS is on)'),
  reportCloseMedianMs: z.number().nullable().optional().describe('their median time from filed to closed, ms (only when REPORTS is on)'),
}).meta({ id: 'Score' });
same<Same<z.infer<typeof scoreSchema>, Api.Score>>();
export const scoresSchema = z.object({ from: epochMs, to: epochMs, by: z.enum(['grid', 'district']), scores: z.array(scoreSchema) }).meta({ id: 'ScoresResponse' });
same<Same<z.infer<typeof scoresSchema>, Api.ScoresResponse>>();

const personRef = z.object({ username: z.string(), name: z.string() });
const gridCellProperties = z.object({
  id: z.string(), name: z.string(), name_en: z.string().optional(), district: z.string(),
  status: z.object({ devices: z.number().int(), online: z.number().int(), condition: z.union([condition, z.enum(['offline', 'none'])]) }),
  people: z.object({ workers: z.array(personRef), supervisors: z.array(personRef) }).optional(),
});
export const gridSchema = collection(gridCellProperties).meta({ id: 'Grid' });
same<Same<z.infer<typeof gridSchema>, Api.GridResponse>>();
export const districtsSchema = collection(z.object({ id: z.string(), name: z.string(), name_en: z.string().optional() })).meta({ id: 'Districts' });
same<Same<z.infer<typeof districtsSchema>, Api.DistrictsResponse>>();
export const citySchema = z.object({ name: z.string(), name_en: z.string().optional(), center: position.optional() }).meta({ id: 'City' });
same<Same<z.infer<typeof citySchema>, Api.CityResponse>>();

// An alert's texts: the detail as a key and parameters, title and guidance in both languages (alert-text.ts).
const metric = z.string();
const unit = z.string();
const levelParams = z.object({ metric, value: z.union([z.number(), z.boolean()]), unit, side: z.enum(['above', 'below']), level: z.number(), hold_ms: z.number() });
const compositeSignal = z.union([z.object({ rule: z.string() }), z.object({ camera: z.enum(CAMERA_EVENT_TYPES), count: z.number() })]);
export const alertDetailKeySchema = z.discriminatedUnion('key', [
  z.object({ key: z.literal('threshold.active'), params: levelParams }),
  z.object({ key: z.literal('threshold.pending'), params: levelParams }),
  z.object({ key: z.literal('rate.active'), params: z.object({ metric, change: z.number(), unit, per_ms: z.number() }) }),
  z.object({ key: z.literal('absence.offline'), params: z.record(z.string(), z.never()) }),
  z.object({ key: z.literal('absence.silent'), params: z.object({ silent_ms: z.number(), since_start: z.boolean() }) }),
  z.object({ key: z.literal('frozen.active'), params: z.object({ metric, value: z.number(), unit, unchanged_ms: z.number(), readings: z.number() }) }),
  z.object({ key: z.literal('anomaly.active'), params: z.object({ metric, value: z.number(), unit, mean: z.number(), std: z.number(), z: z.number(), alert_z: z.number() }) }),
  z.object({ key: z.literal('forecast.active'), params: z.object({ metric, level: z.number(), unit, eta_min: z.number(), value: z.number(), slope_per_min: z.number() }) }),
  z.object({ key: z.literal('camera.active'), params: z.object({ event: z.enum(CAMERA_EVENT_TYPES), count: z.number(), window_ms: z.number(), cameras: z.number() }) }),
  z.object({ key: z.literal('refusals.active'), params: z.object({ count: z.number(), window_ms: z.number(), reasons: z.array(z.string()) }) }),
  z.object({ key: z.literal('reports.active'), params: z.object({ category: z.enum(REPORT_CATEGORIES), count: z.number(), window_ms: z.number(), corroborated: z.string().optional() }) }),
  z.object({ key: z.literal('composite.active'), params: z.object({ signals: z.array(compositeSignal), within_ms: z.number() }) }),
]);
same<Same<z.infer<typeof alertDetailKeySchema>, AlertDetail>>();
const localized = z.object({ 'zh-CN': z.string(), en: z.string() });
export const alertTextSchema = z.object({ title: localized, detail: alertDetailKeySchema.nullable(), guidance: localized });
same<Same<z.infer<typeof alertTextSchema>, AlertText>>();

export const alertSchema = z.object({
  id: z.string(), rule: z.string(), ruleKind: z.string(), severity, key: z.string(), devices: z.array(z.string()), grid: z.string(), district: z.string(),
  message: z.string(), guidance: z.string(), text: alertTextSchema.optional(), values: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])),
  state: z.enum(ALERT_STATES), startedAt: epochMs, firedAt: epochMs.nullable().optional(), updatedAt: epochMs,
  acknowledgedAt: epochMs.nullable(), acknowledgedBy: z.string().nullable(), resolvedAt: epochMs.nullable(), resolvedBy: z.string().nullable(),
  handledAt: epochMs.nullable().optional(), handledBy: z.string().nullable().optional(), resolveDeadline: epochMs.nullable().optional(),
  dispatchedBy: z.string().nullable().optional(), dispatchedAt: epochMs.nullable().optional(),
  escalation: z.union([z.literal(0), z.literal(1), z.literal(2)]), assignees: z.array(z.string()), ackDeadline: epochMs, suppressed: z.boolean(),
  parts: z.array(z.string()).optional(), partOf: z.string().nullable().optional(), reraises: z.string().nullable().optional(), flapping: z.boolean().optional(), reports: z.array(z.string()).optional(),
}).meta({ id: 'Alert' });
same<Same<z.infer<typeof alertSchema>, Alert>>();
export const alertsSchema = z.object({ alerts: z.array(alertSchema) }).meta({ id: 'AlertsResponse' });
same<Same<z.infer<typeof alertsSchema>, Api.AlertsResponse>>();
const historyEntry = z.object({ seq: z.number().int(), ts: epochMs, type: z.enum(ALERT_EVENT_TYPES), actor: z.string(), note: z.string().nullable(), to: z.array(z.string()).optional() });
export const alertDetailSchema = z.object({ alert: alertSchema, history: z.array(historyEntry), omitted: z.number().int().optional() }).meta({ id: 'AlertDetailResponse' });
same<Same<z.infer<typeof alertDetailSchema>, Api.AlertDetailResponse>>();
export const alertActionSchema = z.object({ alert: alertSchema }).meta({ id: 'AlertActionResponse' });
same<Same<z.infer<typeof alertActionSchema>, Api.AlertActionResponse>>();
export const alertDispatchRequestSchema = z.object({ to: z.string().max(64), note: z.string().max(2000).optional() }).meta({ id: 'AlertDispatchRequest' });
same<Same<z.infer<typeof alertDispatchRequestSchema>, Api.AlertDispatchRequest>>();
export const dispatchTargetSchema = z.object({
  username: z.string(), name: z.string(), role: z.enum(ROLES), grids: z.array(z.string()), districts: z.array(z.string()), department: z.string().nullable(),
}).meta({ id: 'DispatchTarget' });
export const peopleSchema = z.object({ people: z.array(dispatchTargetSchema) }).meta({ id: 'PeopleResponse' });
same<Same<z.infer<typeof peopleSchema>, Api.PeopleResponse>>();

// people administration (issue 18)
export const adminPersonSchema = z.object({
  username: z.string(), name: z.string(), role: z.enum(ROLES), grids: z.array(z.string()), districts: z.array(z.string()),
  department: z.string().optional(), contacts: contactsSchema.optional(), disabled: z.boolean(),
}).meta({ id: 'AdminPerson' });
same<Same<z.infer<typeof adminPersonSchema>, AdminPerson>>();
export const adminPeopleSchema = z.object({ people: z.array(adminPersonSchema) }).meta({ id: 'AdminPeopleResponse' });
same<Same<z.infer<typeof adminPeopleSchema>, AdminPeopleResponse>>();
export const adminPersonAnswerSchema = z.object({ person: adminPersonSchema, temporaryPassword: z.string().optional().describe('made here when no password was given: shown this once') }).meta({ id: 'AdminPersonResponse' });
same<Same<z.infer<typeof adminPersonAnswerSchema>, AdminPersonResponse>>();
export const personAddRequestSchema = z.object({
  username: z.string().describe('[a-z0-9][a-z0-9._-]{0,63}'), name: z.string(), role: z.enum(ROLES),
  grids: z.array(z.string()).optional(), districts: z.array(z.string()).optional(), department: z.string().optional(), contacts: contactsSchema.optional(),
  password: z.string().optional().describe('at least 10 characters, at most 72 bytes; none: a temporary password is made and answered once'),
}).meta({ id: 'PersonAddRequest' });
export const personPatchRequestSchema = z.object({
  name: z.string().optional(), role: z.enum(ROLES).optional(), grids: z.array(z.string()).optional(), districts: z.array(z.string()).optional(),
  disabled: z.boolean().optional().describe('true: their sessions end and sign-in is refused; false: enabled again'),
}).meta({ id: 'PersonPatchRequest' });
export const passwordChangeRequestSchema = z.object({ current: z.string(), password: z.string() }).meta({ id: 'PasswordChangeRequest' });
same<Same<z.infer<typeof passwordChangeRequestSchema>, PasswordChangeRequest>>();

export const maintenanceWindowSchema = z.object({
  id: z.string(), target: z.union([z.object({ device: z.string() }), z.object({ grid: z.string() }), z.object({ rule: z.string() })]), by: z.string(), reason: z.string(), from: epochMs, until: epochMs,
}).meta({ id: 'MaintenanceWindow' });
same<Same<z.infer<typeof maintenanceWindowSchema>, MaintenanceWindow>>();
export const maintenanceListSchema = z.object({ windows: z.array(maintenanceWindowSchema) }).meta({ id: 'MaintenanceListResponse' });
same<Same<z.infer<typeof maintenanceListSchema>, Api.MaintenanceListResponse>>();
export const maintenanceCreatedSchema = z.object({ window: maintenanceWindowSchema }).meta({ id: 'MaintenanceCreatedResponse' });
same<Same<z.infer<typeof maintenanceCreatedSchema>, Api.MaintenanceCreatedResponse>>();

export const auditEntrySchema = z.object({
  seq: z.number().int(), ts: epochMs, user: z.string(), action: z.enum(AUDIT_ACTIONS), target: z.string().nullable(), note: z.string().nullable(),
}).meta({ id: 'AuditEntry' });
same<Same<z.infer<typeof auditEntrySchema>, AuditEntry>>();
export const auditSchema = z.object({ entries: z.array(auditEntrySchema) }).meta({ id: 'AuditResponse' });
same<Same<z.infer<typeof auditSchema>, Api.AuditResponse>>();

const historyNote = z.object({ ts: epochMs, actor: z.string(), note: z.string() });
export const historySchema = z.object({
  from: epochMs, to: epochMs, total: z.number().int().describe('alerts matching the filters in all'), offset: z.number().int(), limit: z.number().int(),
  items: z.array(z.object({ alert: alertSchema, notes: z.number().int().describe('notes people wrote on its events'), lastNote: historyNote.nullable() })),
}).meta({ id: 'HistoryResponse' });
same<Same<z.infer<typeof historySchema>, Api.HistoryResponse>>();

export const cameraEventSchema = z.object({
  device: z.string(), grid: z.string(), district: z.string(), ts: epochMs, type: z.enum(CAMERA_EVENT_TYPES), confidence: z.number(), count: z.number().int(), zone: z.string().optional(),
}).meta({ id: 'CameraEvent', description: 'A camera detection: type, confidence and count. Never an image.' });
same<Same<z.infer<typeof cameraEventSchema>, CameraSocketEvent>>();
export const cameraEventsSchema = z.object({ events: z.array(cameraEventSchema) }).meta({ id: 'CameraEventsResponse' });
same<Same<z.infer<typeof cameraEventsSchema>, Api.CameraEventsResponse>>();

const levels = z.object({ above: z.number().optional(), below: z.number().optional(), clear_below: z.number().optional(), clear_above: z.number().optional(), crosses: z.number().optional() });
export const ruleStatusSchema = z.object({
  id: z.string(), kind: z.string(), severity, devices: z.number().int(), active: z.number().int(), lastEvaluation: epochMs.nullable(),
  match: matchSchema.optional(), metric: z.string().optional(), levels,
}).meta({ id: 'RuleStatus' });
same<Same<z.infer<typeof ruleStatusSchema>, Api.RuleStatusView>>();
export const rulesSchema = z.object({ status: componentStatus, detail: z.string().optional(), rules: z.array(ruleStatusSchema) }).meta({ id: 'RulesResponse' });
same<Same<z.infer<typeof rulesSchema>, Api.RulesResponse>>();

export const userSchema = z.object({ username: z.string(), name: z.string(), role: z.enum(ROLES), grids: z.array(z.string()), districts: z.array(z.string()) }).meta({ id: 'User' });
same<Same<z.infer<typeof userSchema>, UserView>>();
export const loginSchema = z.object({ token: z.string(), expiresAt: epochMs, user: userSchema }).meta({ id: 'Login' });
same<Same<z.infer<typeof loginSchema>, LoginResponse>>();

const cellCondition = z.union([condition, z.enum(['offline', 'none'])]);
const count = z.number().int();
export const replaySchema = z.object({
  from: epochMs.describe('start of the first frame: from rounded down to a multiple of step'), to: epochMs, step: count.describe('frame width, ms'), buckets: count.describe('frames'),
  sensors: count.describe('devices with readings in the cells replayed (cameras send events, not readings)'),
  cells: z.record(z.string(), z.array(z.tuple([count, cellCondition, count, count, count, count])))
    .describe('per cell, its status from a frame on until its next change: [frame, condition, sensors, online, alarm, warn]'),
  online: z.array(count).describe('per frame: sensors online (reported within the last 10 min)'),
  readings: z.array(count).describe('per frame: readings stored'),
  alerts: z.array(alertSchema).describe('the alerts open at from, as they were then'),
  events: z.array(z.object({ seq: count, ts: epochMs, type: z.enum(ALERT_EVENT_TYPES), actor: z.string(), note: z.string().nullable(), alert: alertSchema }))
    .describe('every alert transition in the range (not the periodic updated), oldest first, with the alert as it was after it'),
}).meta({ id: 'ReplayResponse', description: 'the city as it was over a past range, from the stored readings (downsampled) and the alert log' });
same<Same<z.infer<typeof replaySchema>, import('./replay.js').ReplayResponse>>();

// ---- open data (GET /api/open/..., no sign-in) ----
const licence = z.object({ name: z.string(), url: z.string(), attribution: z.string() });
export const openIndexSchema = z.object({
  name: z.string(),
  city: z.object({ name: z.string(), name_en: z.string().optional() }),
  licence,
  aggregation: z.object({
    period: z.literal('PT1H'), spatialUnit: z.literal('grid cell'), timeZone: z.literal('UTC'),
    metrics: z.string(), alerts: z.string(), reports: z.string().optional(), days: z.string(),
  }),
  neverPublished: z.array(z.string()),
  limits: z.object({ requestsPerMinute: z.number().int(), daysPerRequest: z.literal(1), maxDaysBack: z.number().int() }),
  publicDevices: z.array(z.string()).describe('devices the city file marks public: their own hourly aggregates are published'),
  links: z.array(z.object({ rel: z.string(), href: z.string(), type: z.string(), title: z.string() })),
}).meta({ id: 'OpenIndex', description: 'what the open data publishes, how it is aggregated, under which licence, what it never publishes, and where' });
same<Same<z.infer<typeof openIndexSchema>, OpenIndex>>();
export const openConditionsSchema = z.object({
  generatedAt: epochMs,
  window: z.object({ from: epochMs, to: epochMs }).describe('the last hour'),
  licence,
  city: z.object({ name: z.string(), name_en: z.string().optional() }),
  cells: z.array(z.object({ id: z.string(), district: z.string(), condition: condition.nullable().describe('the worst condition of any reading of the cell\'s devices in the window; null when none reported') })),
  districts: z.array(z.object({
    id: z.string(), name: z.string(), name_en: z.string().optional(),
    openAlerts: z.object({ red: z.number().int(), orange: z.number().int(), yellow: z.number().int(), blue: z.number().int() }).describe('alerts firing, acknowledged, dispatched or handled now (not pending, not resolved)'),
  })),
}).meta({ id: 'OpenConditions', description: 'the public city conditions page: each cell\'s condition over the last hour, open alerts by colour per district' });
same<Same<z.infer<typeof openConditionsSchema>, OpenConditions>>();
export const openCitySchema = z.object({
  name: z.string(), name_en: z.string().optional(), center: position.optional(),
  districts: collection(z.object({ id: z.string(), name: z.string(), name_en: z.string().optional() })),
  cells: collection(z.object({ id: z.string(), name: z.string(), name_en: z.string().optional(), district: z.string() })),
}).meta({ id: 'OpenCity', description: 'the districts and grid cells with their names and outlines: no devices, no people' });
same<Same<z.infer<typeof openCitySchema>, OpenCity>>();

// ---- request bodies ----
// residents' reports (contract/src/reports.ts)
const reportCategory = z.enum(REPORT_CATEGORIES);
const reportStatus = z.enum(REPORT_STATUSES);
const masked = z.object({ phone: z.number().int(), id: z.number().int(), plate: z.number().int(), email: z.number().int() });
export const reportChallengeSchema = z.object({ challenge: z.string(), difficulty: z.number().int(), expiresAt: epochMs }).meta({ id: 'ReportChallenge' });
same<Same<z.infer<typeof reportChallengeSchema>, ReportChallenge>>();
const reportReceiptShape = {
  receipt: z.string(), status: reportStatus, category: reportCategory, cell: z.string(), district: z.string(), filedAt: epochMs,
  closedAt: epochMs.nullable(), outcome: z.string().nullable().describe('what was done, when closed (masked)'),
};
export const reportReceiptSchema = z.object(reportReceiptShape).meta({ id: 'ReportReceipt' });
same<Same<z.infer<typeof reportReceiptSchema>, ReportReceipt>>();
export const reportFiledSchema = z.object({ ...reportReceiptShape, text: z.string(), masked, folded: z.boolean() }).meta({ id: 'ReportFiled' });
same<Same<z.infer<typeof reportFiledSchema>, ReportFiled>>();
const reportView = z.object({ ...reportReceiptShape, text: z.string(), copies: z.number().int(), spamBy: z.string().nullable(), spamAt: epochMs.nullable(), alertId: z.string().nullable() });
same<Same<z.infer<typeof reportView>, ReportView>>();
export const reportListSchema = z.object({ reports: z.array(reportView) }).meta({ id: 'ReportList' });
same<Same<z.infer<typeof reportListSchema>, ReportList>>();
export const reportMarkedSchema = z.object({ report: reportView }).meta({ id: 'ReportMarked' });
export const reportRequestSchema = z.object({
  category: reportCategory, text: z.string().min(1).describe('at most 500 characters; phone numbers, ID numbers, plates and e-mail addresses are masked before it is kept'),
  cell: z.string().optional().describe('a grid cell id'), location: z.tuple([z.number(), z.number()]).optional().describe('[longitude, latitude]: the cell it lies in'),
  challenge: z.string().describe('from GET /api/public/reports/challenge'), nonce: z.string().describe('SHA-256 of "<challenge>:<nonce>" starts with `difficulty` zero bits'),
}).meta({ id: 'ReportRequest', description: 'give cell or location' });
same<Same<z.infer<typeof reportRequestSchema>, ReportRequest>>();

export const loginRequestSchema = z.object({ username: z.string().min(1).max(64), password: z.string().min(1) }).meta({ id: 'LoginRequest' });
export const alertNoteSchema = z.object({ note: z.string().max(2000).optional() }).meta({ id: 'AckRequest' });
export const resolveNoteSchema = z.object({ note: z.string().min(1).max(2000) }).meta({ id: 'ResolveRequest' });
export const maintenanceRequestSchema = z.object({
  device: z.string().optional(), grid: z.string().optional(), rule: z.string().optional().describe('a rule id: every alert of that rule'),
  from: z.union([epochMs, z.string()]).optional().describe('when it starts (epoch ms or ISO 8601), now when left out; at most 30 days ahead'),
  for: z.string().optional().describe('a duration like 30m or 2h, counted from the start'),
  until: z.union([epochMs, z.string()]).optional().describe('when it ends (epoch ms or ISO 8601)'), reason: z.string().min(1).max(500),
}).meta({ id: 'MaintenanceRequest', description: 'give exactly one of device, grid or rule, and one of for or until; a window lasts at most 30 days' });

// ---- device provisioning (issue 18): GET/POST/PATCH/DELETE /api/admin/devices ----
export const provisionedDeviceSchema = z.object({
  id: z.string(), kind: z.enum(DEVICE_KINDS), location: position, grid: z.string(), district: z.string(),
  name: z.string().optional(), zones: z.array(z.string()).optional(), public: z.boolean().optional(),
  disabled: z.boolean().describe('its logins and messages are refused while true'),
  children: z.array(z.string()).optional().describe('a gateway: the devices it publishes for'),
  gateway: z.string().optional().describe('a gateway\'s child: its gateway'),
  previousSecretUntil: z.string().nullable().describe('after a rotation: until when the previous secret is still accepted (ISO 8601)'),
}).meta({ id: 'ProvisionedDevice', description: 'a device\'s configuration as devices.yaml holds it, never its secret or hash' });
export type ProvisionedDevice = z.infer<typeof provisionedDeviceSchema>;
export const provisionedDeviceListSchema = z.object({ devices: z.array(provisionedDeviceSchema) }).meta({ id: 'ProvisionedDeviceList' });
export type ProvisionedDeviceList = z.infer<typeof provisionedDeviceListSchema>;
const secretShownOnce = z.string().describe('shown this once: CityGrid keeps only its scrypt hash');
export const deviceAddedSchema = z.object({ device: provisionedDeviceSchema, secret: secretShownOnce }).meta({ id: 'DeviceAdded' });
export const deviceRotatedSchema = z.object({
  secret: secretShownOnce,
  previousSecretUntil: z.string().nullable().describe('the old secret is accepted until then (null: refused at once); connections still using it are then closed'),
}).meta({ id: 'DeviceRotated' });
export const deviceAddRequestSchema = z.object({
  id: z.string().describe('[a-z0-9][a-z0-9-]{0,63}'), kind: z.enum(DEVICE_KINDS), location: position,
  grid: z.string().optional().describe('its grid cell (default: the cell the location lies in)'), name: z.string().optional(),
  zones: z.array(z.string()).optional().describe('cameras only'), public: z.boolean().optional(),
  secret: z.string().optional().describe('16 to 256 characters; leave it out to have a random one generated'),
}).meta({ id: 'DeviceAddRequest' });
export const deviceUpdateRequestSchema = z.object({
  name: z.string().nullable().optional(), grid: z.string().optional(), location: position.optional(), disabled: z.boolean().optional(),
  public: z.boolean().optional(), zones: z.array(z.string()).nullable().optional(),
  children: z.array(z.string()).nullable().optional().describe('make it a gateway for these devices (null: none)'),
}).meta({ id: 'DeviceUpdateRequest', description: 'only what changes; moving to another cell needs a location inside it' });
export const deviceRotateRequestSchema = z.object({
  grace_seconds: z.number().int().min(0).max(604800).optional().describe('how long the old secret stays valid, in seconds (default 600: 10 minutes; 0: refused at once; at most 7 days)'),
}).meta({ id: 'DeviceRotateRequest' });
export const deviceImportResultSchema = z.object({
  dryRun: z.boolean(), rows: z.number().int(),
  problems: z.array(z.object({ line: z.number().int(), id: z.string().optional(), problem: z.string() })).describe('every problem, by the line of the file (the header is line 1)'),
  secrets: z.array(z.object({ id: z.string(), secret: secretShownOnce })).optional().describe('applied: the generated secrets, shown this once'),
}).meta({ id: 'DeviceImportResult' });
export type DeviceImportResult = z.infer<typeof deviceImportResultSchema>;

// a device's page (issue 18): connection history, last messages, test reading
const mqttTransport = z.enum(['tcp', 'tls', 'ws']);
const connectionBase = { ts: epochMs, device: z.string(), address: z.string(), transport: mqttTransport, clientId: z.string() };
export const deviceActivitySchema = z.object({
  device: z.string(),
  connectionsKept: z.boolean().describe('false when this server does not host the broker (MQTT_URL, cluster mode)'),
  state: z.object({
    online: z.boolean(), since: epochMs.nullable(), address: z.string().nullable(), transport: mqttTransport.nullable(), clientId: z.string().nullable(), connections: z.number().int(),
  }),
  connections: z.array(z.discriminatedUnion('type', [
    z.object({ ...connectionBase, type: z.literal('connect'), clean: z.boolean(), test: z.literal(true).optional() }),
    z.object({
      ...connectionBase, type: z.literal('disconnect'), reason: z.enum(DISCONNECT_REASONS), detail: z.string().optional(),
      will: z.object({ topic: z.string(), payload: z.string() }).optional(), test: z.literal(true).optional(),
    }),
    z.object({ ...connectionBase, type: z.literal('refused'), message: z.string(), count: z.number().int().optional() }),
  ])).describe('newest first, at most 20'),
  messages: z.array(z.discriminatedUnion('outcome', [
    z.object({ ts: epochMs, outcome: z.literal('accepted'), metrics: z.record(z.string(), z.union([z.number(), z.boolean()])), event: z.enum(CAMERA_EVENT_TYPES).optional() }),
    z.object({
      ts: epochMs, outcome: z.literal('refused'), reason, message: z.string(), by: z.enum(['broker', 'server']), topic: z.string().nullable(),
      seq: z.number().optional(), count: z.number().int().optional(), preAuth: z.boolean().optional(),
    }),
  ])).describe('newest first, at most 50: stored readings and refusals merged'),
  testReading: z.boolean(),
}).meta({ id: 'DeviceActivity' });
same<Same<z.infer<typeof deviceActivitySchema>, DeviceActivityResponse>>();
export const testReadingSchema = z.object({
  device: z.string(), outcome: z.enum(['accepted', 'refused']),
  sent: z.object({ ts: epochMs, metrics: z.record(z.string(), z.union([z.number(), z.boolean()])) }),
  reason: reason.optional(), message: z.string().optional(), tookMs: z.number(),
}).meta({ id: 'TestReading' });
same<Same<z.infer<typeof testReadingSchema>, TestReadingResponse>>();
