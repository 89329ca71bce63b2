// Every REST call the dashboard makes, in one place.
import type {
  DevicesResponse, HealthResponse, ReadingsResponse, RejectionsResponse,
} from '@citygrid/contract';
import { getJson } from './http';
import type { CityResponse, DistrictsResponse, GridResponse } from './types';

export interface ReadingsQuery { metric: string; from: number; to: number; step?: string }

export const api = {
  health: (signal?: AbortSignal) => getJson<HealthResponse>('/api/health', signal),
  city: (signal?: AbortSignal) => getJson<CityResponse>('/api/city', signal),
  grid: (signal?: AbortSignal) => getJson<GridResponse>('/api/grid', signal),
  districts: (signal?: AbortSignal) => getJson<DistrictsResponse>('/api/districts', signal),
  devices: (signal?: AbortSignal) => getJson<DevicesResponse>('/api/devices', signal),
  rejections: (signal?: AbortSignal) => getJson<RejectionsResponse>('/api/rejections', signal),
  readings(device: string, q: ReadingsQuery, signal?: AbortSignal) {
    const params = new URLSearchParams({ metric: q.metric, from: String(q.from), to: String(q.to) });
    if (q.step) params.set('step', q.step);
    return getJson<ReadingsResponse>(`/api/devices/${encodeURIComponent(device)}/readings?${params}`, signal);
  },
};
