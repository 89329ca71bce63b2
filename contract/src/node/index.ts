// Node-only helpers (file system): not for the browser bundle.
export * from './city-loader.js';
