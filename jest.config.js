// One jest run for the whole workspace. Tests import workspace packages from their
// sources (moduleNameMapper) so a unit test never needs a build; tests that spawn the
// add-on as a child process use the built output (`pnpm test` builds first).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/test/**/*.test.ts', '<rootDir>/tests/**/*.test.ts'],
  testPathIgnorePatterns: [
    '/node_modules/',
    '/dist/',
    '/.venv/',
    '/integration-bridge/',
    // scripts/test-all.sh runs the 7-day demo soak in a jest process of its own, beside this one.
    ...(process.env.SPS_SOAK === 'separate' ? ['/addon/test/demo-soak\\.test\\.ts$'] : []),
  ],
  modulePathIgnorePatterns: ['<rootDir>/.venv/', '/dist/'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  moduleNameMapper: {
    '^@sps/device-([a-z0-9-]+)$': '<rootDir>/packages/devices/$1/src/index.ts',
    '^@sps/(core|can|store|control|ha|tariffs|forecasts|scheduler|aggregator)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 30000,
};
