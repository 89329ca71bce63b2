// Every REST call the dashboard makes, in one place.
// Every answer's type is the contract's, the same the server's routers declare.
import type {
  AlertActionResponse, AlertDetailResponse, AlertsResponse, AuditResponse, CameraEventsResponse, CellReadingsResponse, CityResponse, DevicesResponse,
  DistrictsResponse, GridResponse, HealthResponse, LoginResponse, MaintenanceCreatedResponse, MaintenanceListResponse,
  MaintenanceRequest, PeopleResponse, ReadingsResponse, RejectionsResponse, ReportList, RulesResponse, ScoresResponse, UserView,
} from '@citygrid/contract';
import { deleteJson, getJson, patchJson, postJson } from './http';
import type { DeviceImportResult, DeviceKind, ProvisionedDevice, ProvisionedDeviceList } from '@citygrid/contract';
import type { AdminPeopleResponse, AdminPersonResponse, PasswordChangeRequest, Role } from '@citygrid/contract';

/** POST /api/admin/people: no password, and a temporary one comes back once. */
export interface PersonAddBody { username: string; name: string; role: Role; grids?: string[]; districts?: string[]; password?: string }
export interface PersonPatchBody { name?: string; role?: Role; grids?: string[]; districts?: string[]; disabled?: boolean }

/** POST /api/admin/devices: no secret, and a generated one comes back once. */
export interface DeviceAddBody { id: string; kind: DeviceKind; location: [number, number]; grid?: string; name?: string }
export interface DevicePatchBody { name?: string | null; grid?: string; location?: [number, number]; disabled?: boolean }

export interface ReadingsQuery { metric: string; from: number; to: number; step?: string }
/** GET /api/reports: newest first; `alert`: only the reports that joined that alert. */
export interface ReportsQuery { alert?: string; limit?: number; before?: number }
export interface AlertsQuery { state?: 'active' | 'all'; grid?: string; district?: string; severity?: string; limit?: number }

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
const id = (s: string) => encodeURIComponent(s);

export const api = {
  // device provisioning (administrators): effective at once, written back to devices.yaml
  adminDevices: (signal?: AbortSignal) => getJson<ProvisionedDeviceList>('/api/admin/devices', signal),
  addDevice: (body: DeviceAddBody) => postJson<{ device: ProvisionedDevice; secret: string }>('/api/admin/devices', body),
  changeDevice: (device: string, body: DevicePatchBody) => patchJson<ProvisionedDevice>(`/api/admin/devices/${id(device)}`, body),
  removeDevice: (device: string) => deleteJson<null>(`/api/admin/devices/${id(device)}`),
  rotateDevice: (device: string, graceSeconds: number) => postJson<{ secret: string; previousSecretUntil: string | null }>(`/api/admin/devices/${id(device)}/rotate`, { grace_seconds: graceSeconds }),
  importDevices: (csv: string, dryRun: boolean) => postJson<DeviceImportResult>(`/api/admin/devices/import${dryRun ? '?dry_run=1' : ''}`, { csv }),
  health: (signal?: AbortSignal) => getJson<HealthResponse>('/api/health', signal),
  city: (signal?: AbortSignal) => getJson<CityResponse>('/api/city', signal),
  grid: (signal?: AbortSignal) => getJson<GridResponse>('/api/grid', signal),
  districts: (signal?: AbortSignal) => getJson<DistrictsResponse>('/api/districts', signal),
  devices: (signal?: AbortSignal) => getJson<DevicesResponse>('/api/devices', signal),
  rejections: (signal?: AbortSignal) => getJson<RejectionsResponse>('/api/rejections', signal),
  readings(device: string, q: ReadingsQuery, signal?: AbortSignal) {
    return getJson<ReadingsResponse>(`/api/devices/${id(device)}/readings${query({ ...q })}`, signal);
  },
  cellReadings(cell: string, q: { from: number; to: number; step: string; metric?: string }, signal?: AbortSignal) {
    return getJson<CellReadingsResponse>(`/api/cells/${id(cell)}/readings${query({ ...q })}`, signal);
  },

  login: (username: string, password: string) => postJson<LoginResponse>('/api/auth/login', { username, password }),
  refresh: () => postJson<LoginResponse>('/api/auth/refresh'),
  logout: () => postJson<unknown>('/api/auth/logout'),
  me: (signal?: AbortSignal) => getJson<UserView>('/api/auth/me', signal),
  changePassword: (body: PasswordChangeRequest) => postJson<null>('/api/auth/password', body),
  adminPeople: (signal?: AbortSignal) => getJson<AdminPeopleResponse>('/api/admin/people', signal),
  addPerson: (body: PersonAddBody) => postJson<AdminPersonResponse>('/api/admin/people', body),
  updatePerson: (username: string, body: PersonPatchBody) => patchJson<AdminPersonResponse>(`/api/admin/people/${id(username)}`, body),

  alerts: (q: AlertsQuery = {}, signal?: AbortSignal) => getJson<AlertsResponse>(`/api/alerts${query({ ...q })}`, signal),
  alert: (alertId: string, signal?: AbortSignal) => getJson<AlertDetailResponse>(`/api/alerts/${id(alertId)}`, signal),
  ack: (alertId: string, note?: string) => postJson<AlertActionResponse>(`/api/alerts/${id(alertId)}/ack`, note ? { note } : {}),
  resolve: (alertId: string, note: string) => postJson<AlertActionResponse>(`/api/alerts/${id(alertId)}/resolve`, { note }),
  verify: (alertId: string, note?: string) => postJson<AlertActionResponse>(`/api/alerts/${id(alertId)}/verify`, note ? { note } : {}),
  sendBack: (alertId: string, note: string) => postJson<AlertActionResponse>(`/api/alerts/${id(alertId)}/send-back`, { note }),
  dispatch: (alertId: string, to: string, note?: string) => postJson<AlertActionResponse>(`/api/alerts/${id(alertId)}/dispatch`, note ? { to, note } : { to }),
  people: (signal?: AbortSignal) => getJson<PeopleResponse>('/api/people', signal),
  audit: (limit = 200, signal?: AbortSignal) => getJson<AuditResponse>(`/api/audit${query({ limit })}`, signal),
  scores: (by: 'grid' | 'district', from: number, to: number, signal?: AbortSignal) =>
    getJson<ScoresResponse>(`/api/scores${query({ by, from, to })}`, signal),
  cameraEvents: (grid: string | undefined, limit = 50, signal?: AbortSignal, range?: { from: number; to: number }) =>
    getJson<CameraEventsResponse>(`/api/camera-events${query({ grid, limit, ...range })}`, signal),
  rules: (signal?: AbortSignal) => getJson<RulesResponse>('/api/rules', signal),
  maintenance: (signal?: AbortSignal) => getJson<MaintenanceListResponse>('/api/maintenance', signal),
  startMaintenance: (body: MaintenanceRequest) => postJson<MaintenanceCreatedResponse>('/api/maintenance', body),
  endMaintenance: (windowId: string, note?: string) => deleteJson<null>(`/api/maintenance/${id(windowId)}`, note ? { note } : {}),
  /** Residents' reports as signed-in users see them (masked texts; a grid worker: their cells' only). */
  reports: (q: ReportsQuery = {}, signal?: AbortSignal) => getJson<ReportList>(`/api/reports${query({ ...q })}`, signal),
  /** The city as it was over a past range (the control room's replay). */
  replay: (q: { from: number; to: number; step?: string }, signal?: AbortSignal) =>
    getJson<import('@citygrid/contract').ReplayResponse>(`/api/replay${query({ ...q })}`, signal),
};
