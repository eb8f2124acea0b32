export * from './frame.js';
export * from './can-bus.js';
export * from './listeners.js';
export * from './connection.js';
export * from './virtual-bus.js';
export * from './open-bus.js';
