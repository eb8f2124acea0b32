export * from './word.js';
export * from './config.js';
export * from './identity.js';
export * from './measurement.js';
