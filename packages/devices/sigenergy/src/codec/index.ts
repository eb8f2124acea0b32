export * from './register-block.js';
export * from './states.js';
export * from './pv-quirk.js';
export * from './inverter.js';
export * from './plant.js';
