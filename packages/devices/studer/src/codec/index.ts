export * from './identifier.js';
export * from './frames.js';
export * from './objects.js';
