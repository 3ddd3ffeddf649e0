/** Jest runs against the real Temporal dev server, a real PostgreSQL 15 and a real SMTP receiver.
 *  test/global-setup.ts starts the first two (or uses TEST_DATABASE_URL / TEST_TEMPORAL_ADDRESS when given). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 120000,
  verbose: true,
};
