// Two projects: `unit` needs nothing running; `integration` talks to the real local Kafka (and Redis).
const moduleNameMapper = {
  '^@partita/(job|enqueuer|worker|state)$': '<rootDir>/packages/$1/src/index.ts',
};
const transform = {
  // Type checking is tsc's job (npm run build); the test transform only strips types.
  '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: '<rootDir>/tsconfig.base.json' }],
};
const common = { rootDir: __dirname, testEnvironment: 'node', transform, moduleNameMapper };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{packages,apps}/*/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{packages,apps}/*/test/integration/**/*.test.ts'],
      testTimeout: 120000,
    },
  ],
};
