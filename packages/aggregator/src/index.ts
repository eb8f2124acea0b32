export * from './contracts.js';
export * from './sharing/index.js';
