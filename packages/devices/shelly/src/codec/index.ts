export * from './digest.js';
export * from './rpc-frame.js';
export * from './device-info.js';
export * from './state.js';
export * from './gen2-status.js';
export * from './gen1-status.js';
export * from './readings.js';
