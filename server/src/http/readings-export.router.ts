// Readings as CSV files (issue 15 step 4): GET /api/devices/:id/readings.csv and /api/cells/:id/readings.csv
// write every raw reading of a device, or of each device of a cell, over at most READINGS_CSV_MAX_RANGE_MS
// (31 days), streamed from the store (TimeSeriesStore.streamReadings) a chunk at a time and written as the
// client takes it: when the socket's buffer is full the read waits for 'drain', and when the client goes
// the read stops. Memory stays flat however many rows (a test streams a million). Rows come device by
// device (by id), metric by metric, each in time order. A grid worker exports only their own cells:
// another cell's device answers 404 as an unknown one does (devices.router.ts), another cell 403
// (cells.router.ts). Exports are audited with what was asked and how many rows went.
import { Router, type Request, type Response } from 'express';
import { READINGS_CSV_MAX_RANGE_MS, metricsOf, type DeviceKind } from '@citygrid/contract';
import { sessionOf } from '../auth/middleware.js';
import { readScope } from '../auth/scope.js';
import { Errors } from '../errors.js';
import type { RawPoint } from '@citygrid/contract';
import type { ReadingsChunk } from '../stores/store.js';
import type { AppDeps } from './app.js';
import { readableCell } from './cells.router.js';
import { CsvResponse, ZonedClock, csvField, writeNumber } from './csv.js';
import type { ExportSlots } from './export-slots.js';
import { readingHeader } from './history-csv.js';
import { csvOptions } from './history-query.js';
import { optionalString, rangeParams } from './query.js';

const DAY = 86_400_000; // ms

interface Source { device: string; kind: DeviceKind; metrics: string[] }

const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace(/[-:]/g, '');

export function readingsExportRouter({ city, store, auth, logger }: AppDeps, slots: ExportSlots): Router {
  const router = Router();

  /** The rows of each source in turn, as the store streams them. */
  async function* readings(sources: Source[], from: number, to: number): AsyncGenerator<ReadingsChunk & { device: string }> {
    for (const s of sources) {
      for await (const chunk of store.streamReadings({ device: s.device, kind: s.kind, metrics: s.metrics, from, to })) yield { ...chunk, device: s.device };
    }
  }

  async function send(req: Request, res: Response, target: string, sources: Source[]): Promise<void> {
    const { username } = sessionOf(req).user;
    const q = req.query as Record<string, unknown>;
    const { from, to } = rangeParams(q, { defaultMs: DAY, maxMs: READINGS_CSV_MAX_RANGE_MS, now: Date.now(), what: 'readings are exported' });
    const { lang, tz } = csvOptions(q);
    const release = slots.take(username);
    const rows = readings(sources, from, to);
    let first: IteratorResult<ReadingsChunk & { device: string }>;
    try {
      first = await rows.next(); // before the file begins: a store that cannot answer is still a JSON error
    } catch (err) {
      release();
      throw Errors.STORE_UNAVAILABLE((err as Error).message.slice(0, 200));
    }
    const csv = new CsvResponse(req, res, `readings-${target}-${stamp(from)}-${stamp(to)}.csv`);
    const clock = new ZonedClock(tz);
    const units = new Map<string, string>();
    const unitOf = (device: string, metric: string) => {
      const key = `${device}\0${metric}`;
      let unit = units.get(key);
      if (unit === undefined) {
        const spec = metricsOf(city.devicesById.get(device)!.kind)[metric];
        unit = spec?.type === 'number' ? spec.unit : '';
        units.set(key, unit);
      }
      return unit;
    };
    try {
      await csv.row(readingHeader(lang, tz));
      for (let next = first; !next.done && csv.open; next = await rows.next()) {
        const { device, metric, points } = next.value;
        // the fields a chunk shares, made once: a row is then its time, its ts and its value, written
        // straight into the response's buffer (a million rows: no string, closure or promise each)
        const middle = Buffer.from(`,${csvField(device)},${csvField(metric)},`);
        const end = Buffer.from(`,${csvField(unitOf(device, metric))}\r\n`);
        const most = 19 + 1 + 24 + middle.length + 32 + end.length;
        let p!: RawPoint;
        const row = (buf: Buffer, at: number): number => {
          let pos = clock.write(buf, at, p.ts);
          buf[pos++] = 0x2c; // ,
          pos = writeNumber(buf, pos, p.ts);
          pos += middle.copy(buf, pos);
          pos = writeNumber(buf, pos, p.value);
          return pos + end.copy(buf, pos);
        };
        for (p of points) if (csv.add(most, row)) await csv.flush();
      }
      await csv.end();
    } catch (err) {
      logger.error({ err, user: username, target }, 'readings export failed after it began; the connection was cut');
      csv.abort();
    } finally {
      await rows.return(undefined); // stops the store's read when the client left early
      release();
      const metrics = [...new Set(sources.flatMap((s) => s.metrics))].join(',');
      auth.audit.record({ user: username, action: 'export', target, note: `${Math.max(0, csv.rows - 1)} readings${csv.open ? '' : ' (cut short: the client left or the read failed)'}; ${new Date(from).toISOString()}..${new Date(to).toISOString()}; ${sources.length} device(s): ${metrics || '(no metrics)'}; ${lang}, ${tz}` });
    }
  }

  router.get('/devices/:id/readings.csv', async (req, res) => {
    const id = String(req.params.id ?? '');
    const device = city.devicesById.get(id);
    if (!device || !readScope(sessionOf(req).user, city).device(device.id)) throw Errors.DEVICE_NOT_FOUND(id.slice(0, 64));
    const specs = metricsOf(device.kind);
    const metric = optionalString(req.query as Record<string, unknown>, 'metric');
    if (metric !== undefined && !Object.hasOwn(specs, metric)) {
      throw Errors.METRIC_UNKNOWN(device.id, device.kind, metric, Object.keys(specs).join(', ') || '(none: cameras send events)');
    }
    await send(req, res, device.id, [{ device: device.id, kind: device.kind, metrics: metric ? [metric] : Object.keys(specs) }]);
  });

  router.get('/cells/:id/readings.csv', async (req, res) => {
    const cell = readableCell(req, city, 'exports');
    const metric = optionalString(req.query as Record<string, unknown>, 'metric');
    const devices = city.devices.filter((d) => d.grid === cell.id).sort((a, b) => (a.id < b.id ? -1 : 1));
    const sources = devices
      .map((d) => ({ device: d.id, kind: d.kind, metrics: Object.keys(metricsOf(d.kind)).filter((m) => metric === undefined || m === metric) }))
      .filter((s) => s.metrics.length > 0);
    if (metric !== undefined && sources.length === 0) {
      const known = [...new Set(devices.flatMap((d) => Object.keys(metricsOf(d.kind))))];
      throw Errors.QUERY_INVALID('metric', `no device of ${cell.id} measures "${metric}"; they measure: ${known.join(', ') || '(nothing: cameras send events)'}`);
    }
    await send(req, res, cell.id, sources);
  });

  return router;
}
