export * from './cbl.js';
export * from './holidays.js';
export * from './performance.js';
export * from './tracker.js';
export { importIntegralWms } from './import-integral.js';
