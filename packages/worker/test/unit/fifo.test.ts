import { Fifo } from '../../src/core/fifo';

describe('Fifo', () => {
  it('is empty at first', () => {
    const fifo = new Fifo<number>();
    expect(fifo.length).toBe(0);
    expect(fifo.peek()).toBeUndefined();
    expect(fifo.shift()).toBeUndefined();
    expect([...fifo]).toEqual([]);
  });

  it('returns items in push order', () => {
    const fifo = new Fifo<string>();
    fifo.push('a');
    fifo.push('b');
    fifo.push('c');
    expect(fifo.length).toBe(3);
    expect(fifo.peek()).toBe('a');
    expect(fifo.shift()).toBe('a');
    expect(fifo.peek()).toBe('b');
    expect(fifo.length).toBe(2);
    fifo.push('d');
    expect([...fifo]).toEqual(['b', 'c', 'd']);
    expect(fifo.shift()).toBe('b');
    expect(fifo.shift()).toBe('c');
    expect(fifo.shift()).toBe('d');
    expect(fifo.shift()).toBeUndefined();
    expect(fifo.length).toBe(0);
  });

  it('clear() returns the live items and empties the queue', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 5; i++) fifo.push(i);
    fifo.shift();
    fifo.shift();
    expect(fifo.clear()).toEqual([2, 3, 4]);
    expect(fifo.length).toBe(0);
    expect(fifo.peek()).toBeUndefined();
    fifo.push(9);
    expect([...fifo]).toEqual([9]);
  });

  it('stays correct across compaction of a long dead prefix', () => {
    const fifo = new Fifo<number>();
    let nextIn = 0;
    let nextOut = 0;
    // Interleave pushes and shifts so the head crosses the compaction threshold several times.
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 1500; i++) fifo.push(nextIn++);
      for (let i = 0; i < 1400; i++) expect(fifo.shift()).toBe(nextOut++);
      expect(fifo.length).toBe(nextIn - nextOut);
      expect(fifo.peek()).toBe(nextOut);
    }
    const rest = [...fifo];
    expect(rest).toHaveLength(nextIn - nextOut);
    expect(rest[0]).toBe(nextOut);
    expect(rest[rest.length - 1]).toBe(nextIn - 1);
    while (fifo.length > 0) expect(fifo.shift()).toBe(nextOut++);
    expect(nextOut).toBe(nextIn);
  });

  it('keeps falsy items', () => {
    const fifo = new Fifo<number | null>();
    fifo.push(0);
    fifo.push(null);
    expect(fifo.length).toBe(2);
    expect(fifo.shift()).toBe(0);
    expect(fifo.shift()).toBeNull();
    expect(fifo.length).toBe(0);
  });
});
