export * from './codec/index.js';
export * from './client.js';
export * from './connection.js';
export * from './commands.js';
export * from './entities.js';
export * from './adapter.js';
export * from './simulator/physics.js';
export * from './simulator/simulator.js';
