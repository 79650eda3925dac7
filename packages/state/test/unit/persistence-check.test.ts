import { firstWarningFor, persistenceWarning, readPersistence } from '../../src/redis/persistence-check';

/** A Redis double answering CONFIG GET from `config` (or refusing it) and INFO persistence with `info`. */
function redis(config: Record<string, string> | 'disabled', info = '') {
  return {
    config: (_: 'GET', parameter: string) => {
      if (config === 'disabled') return Promise.reject(new Error("ERR unknown command 'CONFIG'"));
      return Promise.resolve(parameter in config ? [parameter, config[parameter]] : []);
    },
    info: () => Promise.resolve(info),
  };
}

describe('readPersistence', () => {
  it.each([
    [{ appendonly: 'no', save: '' }, false, 'appendonly no, save ""'],
    [{ appendonly: 'yes', save: '' }, true, 'appendonly yes'],
    [{ appendonly: 'no', save: '3600 1 300 100 60 10000' }, true, 'save "3600 1'],
  ])('CONFIG GET %j → persistent %s', async (config, persistent, detail) => {
    const result = await readPersistence(redis(config));
    expect(result.persistent).toBe(persistent);
    expect(result.detail).toContain(detail);
  });

  it('falls back to INFO persistence where CONFIG is disabled (managed Redis)', async () => {
    expect((await readPersistence(redis('disabled', '# Persistence\r\naof_enabled:1\r\nrdb_saves:0\r\n'))).persistent).toBe(true);
    expect((await readPersistence(redis('disabled', '# Persistence\r\naof_enabled:0\r\nrdb_saves:3\r\n'))).persistent).toBe(true);
    // No AOF and no snapshot taken yet: snapshots may still be configured, so it cannot tell (and does not warn).
    expect((await readPersistence(redis('disabled', '# Persistence\r\naof_enabled:0\r\nrdb_saves:0\r\n'))).persistent).toBeUndefined();
  });

  it('never rejects', async () => {
    const broken = { config: async () => Promise.reject(new Error('down')), info: async () => Promise.reject(new Error('down')) };
    expect(await readPersistence(broken)).toEqual({ persistent: undefined, detail: 'CONFIG and INFO unavailable' });
  });
});

describe('persistenceWarning', () => {
  it('warns only for a Redis known to keep nothing, naming it, what is lost and the fix', () => {
    const warning = persistenceWarning({ persistent: false, detail: 'appendonly no, save ""' }, '10.0.0.5:6379');
    expect(warning).toMatch(
      /^\[partita:state\] Redis at 10\.0\.0\.5:6379 has no persistence \(appendonly no, save ""\): job state .* is lost when it restarts/,
    );
    expect(warning).toMatch(/enable AOF \(appendonly yes\) or RDB snapshots \(save\)/);
    expect(persistenceWarning({ persistent: true, detail: '' }, 'x')).toBeUndefined();
    expect(persistenceWarning({ persistent: undefined, detail: '' }, 'x')).toBeUndefined();
  });

  it('firstWarningFor: once per Redis in a process', () => {
    expect(firstWarningFor('unit-test-redis:1')).toBe(true);
    expect(firstWarningFor('unit-test-redis:1')).toBe(false);
    expect(firstWarningFor('unit-test-redis:2')).toBe(true);
  });
});
