import { Settled } from '../../src/engine/settled';

describe('Settled', () => {
  it('resolves at once when the condition already holds', async () => {
    await expect(new Settled().wait(() => true, 10_000)).resolves.toBe(true);
  });

  it('resolves when notified after the condition came true, without waiting for the timeout', async () => {
    const settled = new Settled();
    let running = 2;
    const done = settled.wait(() => running === 0, 60_000);
    running = 1;
    settled.notify();
    running = 0;
    settled.notify();
    await expect(done).resolves.toBe(true);
  });

  it('resolves false at the timeout when the condition never holds', async () => {
    const settled = new Settled();
    const started = Date.now();
    await expect(settled.wait(() => false, 30)).resolves.toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    // The waiter is gone: a later notify finds nothing to re-check.
    settled.notify();
  });

  it('wakes only the waiters whose condition holds', async () => {
    const settled = new Settled();
    const state = { a: false, b: false };
    const a = settled.wait(() => state.a, 60_000);
    const b = settled.wait(() => state.b, 50);
    state.a = true;
    settled.notify();
    await expect(a).resolves.toBe(true);
    await expect(b).resolves.toBe(false);
  });
});
