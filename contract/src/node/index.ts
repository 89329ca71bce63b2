// Node-only helpers (file system): not for the browser bundle.
export * from './city-loader.js';
export * from './demo-guard.js';
export * from './city-writer.js';
