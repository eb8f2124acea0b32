export * from './codec/index.js';
export * from './client.js';
