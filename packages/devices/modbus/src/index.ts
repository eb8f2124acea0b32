export * from './client.js';
export * from './register-block.js';
