export * from './ids.js';
export * from './bits.js';
export * from './frames.js';
export * from './readings.js';
export * from './encode.js';
