export { startSystem, type RunningSystem } from './system.js';
export { loadServerConfig, type ServerConfig } from './config.js';
export { buildApp, type AppDeps } from './http/app.js';
export { SqliteStore } from './stores/sqlite.store.js';
export { InfluxStore } from './stores/influx/influx.store.js';
export type { TimeSeriesStore, StoredReading, StoredCameraEvent } from './stores/store.js';
export { createAuth, type Auth, type AuthOptions } from './auth/index.js';
