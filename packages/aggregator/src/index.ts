export * from './contracts.js';
export * from './baseline/index.js';
