export * from './register-block.js';
export * from './models.js';
export * from './status.js';
export * from './identity.js';
export * from './readings.js';
