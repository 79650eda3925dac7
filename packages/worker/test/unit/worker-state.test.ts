// @partita/state is an optional peer dependency: asking for job state without it installed says so.
describe('job state without @partita/state installed', () => {
  afterEach(() => {
    jest.resetModules();
    jest.dontMock('@partita/state');
  });

  function withoutStatePackage(): void {
    jest.doMock('@partita/state', () => {
      const error = new Error("Cannot find module '@partita/state' from 'worker-state.ts'") as NodeJS.ErrnoException;
      error.code = 'MODULE_NOT_FOUND';
      throw error;
    });
  }

  type Loaded = {
    openWorkerState: typeof import('../../src/worker-state').openWorkerState;
    StateModuleMissingError: typeof import('../../src/errors').StateModuleMissingError;
  };
  function load(): Loaded {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { openWorkerState } = require('../../src/worker-state') as typeof import('../../src/worker-state');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { StateModuleMissingError } = require('../../src/errors') as typeof import('../../src/errors');
    return { openWorkerState, StateModuleMissingError };
  }

  const source = { on: () => undefined, off: () => undefined } as unknown as Parameters<Loaded['openWorkerState']>[0];

  test('asking for state fails with StateModuleMissingError naming the package and the way out', () => {
    withoutStatePackage();
    const { openWorkerState, StateModuleMissingError } = load();
    let thrown: unknown;
    try {
      openWorkerState(source, { redis: 'redis://127.0.0.1:6379' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StateModuleMissingError);
    expect((thrown as Error).message).toMatch(/npm install @partita\/state/);
    expect((thrown as Error).message).toMatch(/PARTITA_REDIS_URL/);
  });

  test('without state asked for, the package is never loaded', () => {
    withoutStatePackage();
    const saved = process.env.PARTITA_REDIS_URL;
    delete process.env.PARTITA_REDIS_URL;
    try {
      const { openWorkerState } = load();
      expect(openWorkerState(source, undefined)).toBeUndefined();
      expect(openWorkerState(source, false)).toBeUndefined();
    } finally {
      if (saved !== undefined) process.env.PARTITA_REDIS_URL = saved;
    }
  });

  test('another failure while loading it is not mistaken for a missing package', () => {
    jest.doMock('@partita/state', () => {
      throw new SyntaxError('Unexpected token');
    });
    const { openWorkerState } = load();
    expect(() => openWorkerState(source, { redis: 'redis://127.0.0.1:6379' })).toThrow(SyntaxError);
  });
});
