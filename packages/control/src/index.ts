export * from './safety-limits.js';
export * from './safety-guard.js';
export * from './write-rate-limiter.js';
