// Three projects: `unit` needs nothing running; `integration` and `chaos` talk to the real local Kafka
// (and Redis); `chaos` also stops brokers and kills processes, so it runs last, on its own.
// Packages resolve to their sources, entry points as the `exports` maps name them.
const moduleNameMapper = {
  '^@partita/(job|kafka|enqueuer|worker|state)$': '<rootDir>/packages/$1/src/index.ts',
  '^@partita/(job|kafka|enqueuer|worker|state)/([a-z-]+)$': '<rootDir>/packages/$1/src/subpaths/$2.ts',
};
const transform = {
  // Type checking is tsc's job (npm run build); with isolatedModules ts-jest only strips types.
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
};
const common = { rootDir: __dirname, testEnvironment: 'node', transform, moduleNameMapper };

module.exports = {
  // Integration tests wait on a real broker and real worker processes.
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{packages,apps}/*/test/unit/**/*.test.ts', '<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{packages,apps}/*/test/integration/**/*.test.ts', '<rootDir>/test/integration/**/*.test.ts'],
    },
    // Faults and hostile input driven from outside: killed brokers and workers, raw bytes, closed pipes.
    { ...common, displayName: 'chaos', testMatch: ['<rootDir>/test/chaos/**/*.test.ts'] },
  ],
};
