// A day's open data as NGSI-LD entities following the FIWARE Smart Data Models, in the simplified
// (keyValues) representation their JSON Schemas describe: one entity per grid cell and hour for each
// model, its attributes the hour's mean where the model has an attribute for the metric (converted to
// the model's unit), every metric's min/mean/max/count in its own unit under `cityGridHourlyStatistics`,
// and one Alert entity per cell, hour, colour and category with the number of alerts that fired (no
// alert texts, no notes, no names). Models:
//   AirQualityObserved  https://github.com/smart-data-models/dataModel.Environment/tree/master/AirQualityObserved
//   NoiseLevelObserved  https://github.com/smart-data-models/dataModel.Environment/tree/master/NoiseLevelObserved
//   WaterObserved       https://github.com/smart-data-models/dataModel.Environment/tree/master/WaterObserved
//   WeatherObserved     https://github.com/smart-data-models/dataModel.Weather/tree/master/WeatherObserved
//   Alert               https://github.com/smart-data-models/dataModel.Alert/tree/master/Alert
import { SEVERITY_LEVEL, type Position, type SensorKind, type Severity } from '@citygrid/contract';
import type { City, GridCell } from '@citygrid/contract/node';
import { metaOf, type AlertCategory, type CellMetricRow, type DayData } from './service.js';
import { HOUR_MS } from './dates.js';

export const NGSI_LD_CONTEXT = [
  'https://smartdatamodels.org/context.jsonld',
  'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld',
] as const;

export const AGGREGATION_NOTE = 'Hourly aggregate per grid cell over every reading of the cell\'s devices in the UTC hour [dateObservedFrom, dateObservedTo): model attributes hold the mean (in the model\'s unit); cityGridHourlyStatistics holds min, mean, max and count per metric in CityGrid\'s units.';

type ModelType = 'AirQualityObserved' | 'NoiseLevelObserved' | 'WaterObserved' | 'WeatherObserved';

/** Which model each sensor kind's readings go to; kinds without a fitting model are only in the CSV. */
export const MODEL_OF: Partial<Record<SensorKind, ModelType>> = {
  air_quality: 'AirQualityObserved',
  noise: 'NoiseLevelObserved',
  water_level: 'WaterObserved',
  weather: 'WeatherObserved',
  rainfall: 'WeatherObserved',
};

/** A metric's attribute in its model, and how its value converts to the model's unit. */
export const ATTRIBUTE_OF: Record<string, { name: string; convert: (v: number) => number }> = {
  pm25: { name: 'pm25', convert: (v) => v },
  pm10: { name: 'pm10', convert: (v) => v },
  no2: { name: 'no2', convert: (v) => v },
  o3: { name: 'o3', convert: (v) => v },
  laeq: { name: 'LAeq', convert: (v) => v },
  level_cm: { name: 'height', convert: (v) => v / 100 }, // metres
  temp_c: { name: 'temperature', convert: (v) => v },
  humidity_pct: { name: 'relativeHumidity', convert: (v) => v / 100 }, // 0..1
  wind_m_s: { name: 'windSpeed', convert: (v) => v },
  mm_h: { name: 'precipitation', convert: (v) => v }, // mm/h = litres per m² per hour
};

/** The FIWARE Alert model's severities for China's four colours. */
const SEVERITY: Record<Severity, 'critical' | 'high' | 'medium' | 'low'> = { red: 'critical', orange: 'high', yellow: 'medium', blue: 'low' };
const SUBCATEGORY: Partial<Record<AlertCategory, string>> = { traffic: 'hazardOnRoad' };

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** The city's name in URNs: lowercase letters, digits and dashes. */
export function citySlug(city: City): string {
  const slug = (metaOf(city).name_en ?? city.name).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return slug || 'city';
}

/** The centroid of a cell's outer ring (area-weighted; the vertex mean for a degenerate ring). */
export function centroid(cell: GridCell): Position {
  const ring = cell.feature.geometry.coordinates[0]!;
  let a = 0; let x = 0; let y = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    const f = xj * yi - xi * yj;
    a += f; x += (xj + xi) * f; y += (yj + yi) * f;
  }
  if (Math.abs(a) < 1e-15) {
    const n = ring.length;
    return [ring.reduce((s, p) => s + p[0], 0) / n, ring.reduce((s, p) => s + p[1], 0) / n];
  }
  return [round(x / (3 * a)), round(y / (3 * a))];
}
const round = (v: number) => Math.round(v * 1e6) / 1e6;

export function ngsiLdEntities(data: DayData, city: City, attribution: string): Record<string, unknown>[] {
  const slug = citySlug(city);
  const where = (cellId: string) => {
    const cell = city.cellsById.get(cellId)!;
    return {
      location: { type: 'Point', coordinates: centroid(cell) },
      areaServed: cell.id,
      refPointOfInterest: `urn:ngsi-ld:PointOfInterest:${slug}:${cell.id}`,
    };
  };
  const entities = new Map<string, Record<string, unknown>>();
  const stats = new Map<string, Record<string, unknown>>();
  for (const r of data.metrics) {
    const type = MODEL_OF[r.kind];
    if (!type) continue;
    const id = `urn:ngsi-ld:${type}:${slug}:${r.cell}:${iso(r.hour)}`;
    let e = entities.get(id);
    if (!e) {
      const from = iso(r.hour);
      const to = iso(r.hour + HOUR_MS);
      e = {
        id, type,
        // NoiseLevelObserved's dateObserved is the ISO 8601 interval; the others' the start of the hour
        dateObserved: type === 'NoiseLevelObserved' ? `${from}/${to}` : from,
        dateObservedFrom: from, dateObservedTo: to,
        ...where(r.cell),
        dataProvider: attribution,
        source: 'CityGrid',
        cityGridAggregation: AGGREGATION_NOTE,
      };
      entities.set(id, e);
      stats.set(id, {});
      e.cityGridHourlyStatistics = stats.get(id);
    }
    const attribute = ATTRIBUTE_OF[r.metric];
    if (attribute) e[attribute.name] = attribute.convert(r.mean);
    stats.get(id)![r.metric] = statistics(r);
  }
  const out: Record<string, unknown>[] = [...entities.values()].map((e) => ({ '@context': [...NGSI_LD_CONTEXT], ...e }));
  for (const a of data.alerts) {
    const from = iso(a.hour);
    out.push({
      '@context': [...NGSI_LD_CONTEXT],
      id: `urn:ngsi-ld:Alert:${slug}:${a.cell}:${from}:${a.severity}:${a.category}`,
      type: 'Alert',
      category: a.category,
      ...(SUBCATEGORY[a.category] ? { subCategory: SUBCATEGORY[a.category] } : {}),
      severity: SEVERITY[a.severity],
      description: `${a.count} ${a.severity} (level ${SEVERITY_LEVEL[a.severity]}) ${a.category} alert${a.count === 1 ? '' : 's'} fired in grid cell ${a.cell} in this hour`,
      dateIssued: from, validFrom: from, validTo: iso(a.hour + HOUR_MS),
      alertSource: `urn:ngsi-ld:CityGrid:${slug}`,
      ...where(a.cell),
      dataProvider: attribution,
      data: { alertsFired: a.count, colour: a.severity, level: SEVERITY_LEVEL[a.severity] },
      cityGridAggregation: 'The number of alerts of this colour and category that became firing in this grid cell in the UTC hour [validFrom, validTo).',
    });
  }
  return out;
}

function statistics(r: CellMetricRow) {
  return { unit: r.unit, min: r.min, mean: r.mean, max: r.max, count: r.count };
}
