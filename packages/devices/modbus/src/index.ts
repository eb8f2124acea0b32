export * from './client.js';
export * from './register-block.js';
export * from './simulator-server.js';
