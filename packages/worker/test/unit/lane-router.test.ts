import { byMessageKey, fnv1a, LaneRouter, VirtualPartitioner } from '../../src/core/lane-router';
import { msg } from './helpers';

describe('fnv1a', () => {
  it('is the standard 32-bit FNV-1a', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('is stable and unsigned', () => {
    for (const text of ['user-1', 'order:42', 'ü', 'x'.repeat(1000)]) {
      const hash = fnv1a(text);
      expect(hash).toBe(fnv1a(text));
      expect(hash).toBeGreaterThanOrEqual(0);
      expect(hash).toBeLessThan(2 ** 32);
      expect(Number.isInteger(hash)).toBe(true);
    }
  });
});

describe('byMessageKey', () => {
  it('returns the message key', () => {
    expect(byMessageKey(msg(0, 0, 'k'))).toBe('k');
    expect(byMessageKey(msg(0, 0, null))).toBeNull();
  });
});

describe('LaneRouter', () => {
  describe('balanced distribution', () => {
    const router = new LaneRouter(byMessageKey, 'balanced', 4);

    it('gives every distinct key its own group, the same one every time', () => {
      const groups = new Set<string | number>();
      for (let i = 0; i < 20; i++) groups.add(router.route(msg(0, i, `k${i}`)));
      expect(groups.size).toBe(20);
      expect(router.route(msg(0, 100, 'k3'))).toBe(router.route(msg(0, 3, 'k3')));
      expect(router.route(msg(1, 7, 'k3'))).toBe(router.route(msg(0, 3, 'k3')));
    });

    it('makes each keyless message a group of its own', () => {
      const a = router.route(msg(0, 1, null));
      const b = router.route(msg(0, 2, null));
      expect(a).not.toBe(b);
      // An empty key counts as no key.
      expect(router.route(msg(0, 3, ''))).not.toBe(router.route(msg(0, 4, '')));
    });

    it('never puts a keyed message in the group of a keyless one', () => {
      // Key '5' and the keyless message at offset 5 must not share a group.
      expect(router.route(msg(0, 5, '5'))).not.toBe(router.route(msg(0, 5, null)));
      // Not even a key that spells out a keyless group's name.
      const keyless = router.route(msg(0, 5, null));
      expect(router.route(msg(0, 6, String(keyless)))).not.toBe(keyless);
    });
  });

  describe('consistent distribution', () => {
    const maxPartitions = 4;
    const router = new LaneRouter(byMessageKey, 'consistent', maxPartitions);

    it('hashes keys onto at most maxPartitions lanes, a key always to the same lane', () => {
      const lanes = new Set<string | number>();
      for (let i = 0; i < 200; i++) {
        const lane = router.route(msg(0, i, `user-${i}`));
        expect(lane).toBe(fnv1a(`user-${i}`) % maxPartitions);
        lanes.add(lane);
      }
      expect(lanes.size).toBe(maxPartitions);
      expect(router.route(msg(3, 999, 'user-7'))).toBe(router.route(msg(0, 7, 'user-7')));
    });

    it('spreads keyless messages over the lanes by offset', () => {
      expect(router.route(msg(0, 0, null))).toBe(0);
      expect(router.route(msg(0, 5, null))).toBe(1);
      expect(router.route(msg(0, 7, ''))).toBe(3);
    });

    it('with one lane routes everything to it', () => {
      const one = new LaneRouter(byMessageKey, 'consistent', 1);
      expect(new Set([one.route(msg(0, 0, 'a')), one.route(msg(0, 1, 'b')), one.route(msg(0, 2, null))])).toEqual(new Set([0]));
    });
  });

  describe('custom partitioner', () => {
    it('routes by what the partitioner returns (e.g. a header), not by the key', () => {
      const partitioner: VirtualPartitioner = (m) => m.headers['tenant'];
      const router = new LaneRouter(partitioner, 'balanced', 8);
      const a1 = router.route(msg(0, 0, 'x', { headers: { tenant: 'a' } }));
      const a2 = router.route(msg(0, 1, 'y', { headers: { tenant: 'a' } }));
      const b = router.route(msg(0, 2, 'x', { headers: { tenant: 'b' } }));
      expect(a1).toBe(a2);
      expect(a1).not.toBe(b);
    });

    it('treats undefined and null from the partitioner as no key', () => {
      const router = new LaneRouter((m) => m.headers['missing'], 'balanced', 8);
      expect(router.route(msg(0, 0, 'same'))).not.toBe(router.route(msg(0, 1, 'same')));
      const nullRouter = new LaneRouter(() => null, 'consistent', 2);
      expect(nullRouter.route(msg(0, 3, 'k'))).toBe(1);
    });

    it('sees key and headers but never the payload', () => {
      const seen: object[] = [];
      const router = new LaneRouter(
        (m) => {
          seen.push(m);
          return m.key;
        },
        'balanced',
        2,
      );
      router.route(msg(0, 0, 'k', { value: Buffer.from('secret') }));
      // The router hands the message on as is; the type (RoutableMessage) hides `value`. What matters
      // here is that routing never depends on it: same key, different payloads → same group.
      expect(router.route(msg(0, 1, 'k', { value: Buffer.from('a') }))).toBe(router.route(msg(0, 2, 'k', { value: Buffer.from('b') })));
      expect(seen).toHaveLength(3);
    });

    it.each([
      ['a number', 42],
      ['zero', 0],
      ['an object', { id: 1 }],
      ['a boolean', true],
    ])('throws a TypeError naming the option when it returns %s', (_label, value) => {
      const router = new LaneRouter(() => value as unknown as string, 'balanced', 2);
      expect(() => router.route(msg(0, 0, 'k'))).toThrow(TypeError);
      expect(() => router.route(msg(0, 0, 'k'))).toThrow(/virtualPartitions\.partitioner returned/);
      const consistent = new LaneRouter(() => value as unknown as string, 'consistent', 2);
      expect(() => consistent.route(msg(0, 0, 'k'))).toThrow(TypeError);
    });
  });
});
