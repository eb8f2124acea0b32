export * from './codec/index.js';
export * from './connection.js';
export * from './entities.js';
export * from './adapter.js';
export * from './simulator/physics.js';
export * from './simulator/simulator.js';
export * from './simulator/loopback.js';
