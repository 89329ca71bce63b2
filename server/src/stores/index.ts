// Chooses the time-series store from STORE: the embedded SQLite file, or InfluxDB with its spool.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import { InfluxStore } from './influx/influx.store.js';
import { SqliteStore } from './sqlite.store.js';
import type { TimeSeriesStore } from './store.js';

export async function createStore(config: ServerConfig, metrics: Metrics, logger: Logger, onStored: (readings: number) => void): Promise<TimeSeriesStore> {
  const log = logger.child({ stage: 'store' });
  const onWritten = (readings: number, events: number) => {
    onStored(readings);
    metrics.readingsStored.inc(readings);
    metrics.eventsStored.inc(events);
  };
  if (config.store === 'sqlite') {
    return new SqliteStore({
      path: join(config.dataDir, 'citygrid.db'),
      onWritten,
      onError: (err) => {
        metrics.storeErrors.inc();
        log.error({ err }, 'store write failed; will retry');
      },
    });
  }
  const store = new InfluxStore({
    url: config.influx.url!, token: config.influx.token, database: config.influx.database,
    spoolDir: join(config.dataDir, 'spool'), spoolMaxBytes: config.spoolMaxBytes, retentionMs: config.retentionMs,
    logger, onWritten,
    onRefused: (n) => metrics.storePointsRefused.inc(n),
    onDropped: (n) => metrics.storePointsDropped.inc(n),
  });
  await store.init();
  return store;
}
