// The sensor catalogue: kinds, their metrics, units, plausible ranges and condition levels.

export const SENSOR_KINDS = [
  'air_quality', 'noise', 'water_level', 'rainfall', 'traffic', 'manhole_cover',
  'gas', 'streetlight', 'waste_bin', 'bridge', 'weather',
] as const;
export type SensorKind = (typeof SENSOR_KINDS)[number];
export const DEVICE_KINDS = [...SENSOR_KINDS, 'camera'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export const CAMERA_EVENT_TYPES = [
  'illegal_parking', 'crowding', 'road_obstruction', 'stalled_vehicle',
  'smoke_fire', 'garbage_overflow', 'street_vending', 'waterlogging',
] as const;
export type CameraEventType = (typeof CAMERA_EVENT_TYPES)[number];

/**
 * `warn` / `alarm` mark the street condition shown on the map before any alert
 * rule is written (from national standards where one exists, e.g. GB 3095 for
 * PM2.5, GB 3096 for night noise). For `direction: 'below'` metrics low is bad.
 */
export interface NumberMetric {
  type: 'number';
  unit: string;
  min: number;
  max: number;
  warn?: number;
  alarm?: number;
  direction?: 'above' | 'below';
}
export interface BooleanMetric {
  type: 'boolean';
  /** The value that means trouble (an open manhole cover). */
  alarmWhen?: boolean;
}
export type MetricSpec = NumberMetric | BooleanMetric;

export const CATALOGUE: Record<SensorKind, Record<string, MetricSpec>> = {
  air_quality: {
    pm25: { type: 'number', unit: 'µg/m³', min: 0, max: 1000, warn: 75, alarm: 150 },
    pm10: { type: 'number', unit: 'µg/m³', min: 0, max: 2000, warn: 150, alarm: 350 },
    no2: { type: 'number', unit: 'µg/m³', min: 0, max: 2000, warn: 200, alarm: 700 },
    o3: { type: 'number', unit: 'µg/m³', min: 0, max: 1200, warn: 200, alarm: 400 },
  },
  noise: {
    laeq: { type: 'number', unit: 'dB(A)', min: 20, max: 140, warn: 70, alarm: 85 },
  },
  water_level: {
    level_cm: { type: 'number', unit: 'cm', min: 0, max: 500, warn: 15, alarm: 30 },
  },
  rainfall: {
    mm_h: { type: 'number', unit: 'mm/h', min: 0, max: 300, warn: 16, alarm: 50 },
  },
  traffic: {
    flow: { type: 'number', unit: 'veh/min', min: 0, max: 300 },
    speed: { type: 'number', unit: 'km/h', min: 0, max: 200, warn: 20, alarm: 8, direction: 'below' },
    occupancy: { type: 'number', unit: '%', min: 0, max: 100, warn: 60, alarm: 85 },
  },
  manhole_cover: {
    tilt_deg: { type: 'number', unit: '°', min: 0, max: 180, warn: 5, alarm: 15 },
    open: { type: 'boolean', alarmWhen: true },
  },
  gas: {
    ch4: { type: 'number', unit: '%LEL', min: 0, max: 100, warn: 10, alarm: 25 },
  },
  streetlight: {
    on: { type: 'boolean' },
    power_w: { type: 'number', unit: 'W', min: 0, max: 1000 },
  },
  waste_bin: {
    fill_pct: { type: 'number', unit: '%', min: 0, max: 100, warn: 80, alarm: 95 },
  },
  bridge: {
    strain_ue: { type: 'number', unit: 'µε', min: -3000, max: 3000, warn: 800, alarm: 1500 },
    vibration_mm_s: { type: 'number', unit: 'mm/s', min: 0, max: 500, warn: 10, alarm: 25 },
  },
  weather: {
    temp_c: { type: 'number', unit: '°C', min: -50, max: 60, warn: 37, alarm: 40 },
    humidity_pct: { type: 'number', unit: '%', min: 0, max: 100 },
    wind_m_s: { type: 'number', unit: 'm/s', min: 0, max: 75, warn: 13.9, alarm: 20.8 },
  },
};

export function isSensorKind(kind: string): kind is SensorKind {
  return (SENSOR_KINDS as readonly string[]).includes(kind);
}

export function metricsOf(kind: DeviceKind): Record<string, MetricSpec> {
  return kind === 'camera' ? {} : CATALOGUE[kind];
}

/** A device's street condition from its latest values: what colours the map. */
export const CONDITIONS = ['ok', 'warn', 'alarm'] as const;
export type Condition = (typeof CONDITIONS)[number];

export function conditionOfMetric(spec: MetricSpec, value: number | boolean): Condition {
  if (spec.type === 'boolean') {
    return spec.alarmWhen !== undefined && value === spec.alarmWhen ? 'alarm' : 'ok';
  }
  if (typeof value !== 'number') return 'ok';
  // no closure here: this runs for every reading (a closure per call showed in the issue 16 profile)
  if (pastLevel(spec, value, spec.alarm)) return 'alarm';
  if (pastLevel(spec, value, spec.warn)) return 'warn';
  return 'ok';
}

function pastLevel(spec: NumberMetric, value: number, level: number | undefined): boolean {
  return level !== undefined && (spec.direction === 'below' ? value <= level : Math.abs(value) >= level);
}

const RANK: Record<Condition, number> = { ok: 0, warn: 1, alarm: 2 };
export function worstCondition(conditions: Iterable<Condition>): Condition {
  let worst: Condition = 'ok';
  for (const c of conditions) if (RANK[c] > RANK[worst]) worst = c;
  return worst;
}

export function conditionOf(kind: DeviceKind, metrics: Record<string, number | boolean>): Condition {
  const specs = metricsOf(kind);
  let worst: Condition = 'ok';
  for (const name in metrics) {
    const spec = specs[name];
    if (!spec) continue;
    const c = conditionOfMetric(spec, metrics[name]!);
    if (RANK[c] > RANK[worst]) worst = c;
  }
  return worst;
}
