/** `npm run test:faults`: the fault suite (test/faults/*.fault.ts), apart from `npm test`. It starts what it needs. */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.fault.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  testTimeout: 420000,
  verbose: true,
  // The suite's child processes and sockets are stopped in afterAll; never let a stray handle hold CI.
  forceExit: true,
};
