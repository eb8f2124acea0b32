export * from './units.js';
export * from './entity-access.js';
export * from './ha-battery.js';
export * from './ha-ev-charger.js';
export * from './ha-switch.js';
