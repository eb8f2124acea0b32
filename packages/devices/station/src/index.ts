export * from './options.js';
export * from './member.js';
export * from './switch-timer.js';
export * from './composite.js';
export * from './factory.js';
