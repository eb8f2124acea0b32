export * from './readings.js';
export * from './commands.js';
export * from './entities.js';
export * from './errors.js';
export * from './events.js';
export * from './device.js';
export * from './clock.js';
