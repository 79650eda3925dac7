// @partita/state is an optional peer dependency: asking for job state without it installed says so.
describe('job state without @partita/state installed', () => {
  afterEach(() => {
    jest.resetModules();
    jest.dontMock('@partita/state');
  });

  function withoutStatePackage(): void {
    jest.doMock('@partita/state', () => {
      const error = new Error("Cannot find module '@partita/state' from 'queue-state.ts'") as NodeJS.ErrnoException;
      error.code = 'MODULE_NOT_FOUND';
      throw error;
    });
  }

  test('a Queue with a state option fails with StateModuleMissingError naming the package and the way out', () => {
    withoutStatePackage();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Queue, StateModuleMissingError } = require('../../src') as typeof import('../../src');
    let thrown: unknown;
    try {
      new Queue('orders', { state: { redis: 'redis://127.0.0.1:6379' } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StateModuleMissingError);
    expect((thrown as Error).message).toMatch(/npm install @partita\/state/);
    expect((thrown as Error).message).toMatch(/PARTITA_REDIS_URL/);
  });

  test('a Queue without state never loads the package', () => {
    withoutStatePackage();
    const saved = process.env.PARTITA_REDIS_URL;
    delete process.env.PARTITA_REDIS_URL;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Queue } = require('../../src') as typeof import('../../src');
      const queue = new Queue('orders');
      expect(queue.name).toBe('orders');
      return queue.close();
    } finally {
      if (saved !== undefined) process.env.PARTITA_REDIS_URL = saved;
    }
  });

  test('another failure while loading it is not mistaken for a missing package', () => {
    jest.doMock('@partita/state', () => {
      throw new SyntaxError('Unexpected token');
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Queue } = require('../../src') as typeof import('../../src');
    expect(() => new Queue('orders', { state: { redis: 'redis://127.0.0.1:6379' } })).toThrow(SyntaxError);
  });
});
