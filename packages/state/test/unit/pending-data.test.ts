import { PendingData } from '../../src/write/pending-data';
import type { ActiveOp, StateOp } from '../../src/write/ops';

const active = (id: string, envelope: Buffer | undefined, withData = true): ActiveOp => ({
  kind: 'active',
  queue: 'q',
  id,
  attempt: 1,
  at: 100,
  workerId: 'w',
  name: 'job',
  data: { id },
  envelope,
  withData,
  key: null,
  partition: 0,
  offset: 1,
  enqueuedAt: 50,
});

describe('PendingData', () => {
  test("keeps the message values of the started jobs that record data, and gives the created ones' data ops in chunk order", () => {
    const ops: StateOp[] = [
      active('a', Buffer.from('{"json":{"id":"a"}}')),
      { kind: 'log', queue: 'q', id: 'a', line: 'x' },
      active('b', undefined), // no message value: its data object is kept
      active('c', Buffer.from('{"json":{"id":"c"}}'), false), // records no data
      active('d', Buffer.from('line\nbreak')), // not storable as it is
      active('e', Buffer.from('{"json":{"id":"e"}}')),
    ];
    const pending = PendingData.of('q', ops)!;
    const byId = (created: string[]) => Object.fromEntries(pending.dataOps(created).map((op) => [op.id, op.envelope ? op.envelope.toString() : op.data]));
    expect(byId(['e', 'a', 'b', 'c', 'd'])).toEqual({ a: '{"json":{"id":"a"}}', b: { id: 'b' }, d: { id: 'd' }, e: '{"json":{"id":"e"}}' });
    expect(pending.dataOps(['e', 'a']).map((op) => op.id)).toEqual(['a', 'e']);
    expect(pending.dataOps(['zz'])).toEqual([]);
  });

  test('a job started twice in the chunk gets one data op; no started job that records data: nothing kept', () => {
    const twice = PendingData.of('q', [active('a', Buffer.from('1')), active('a', Buffer.from('2'))])!;
    expect(twice.dataOps(['a']).map((op) => op.envelope?.toString())).toEqual(['1']);
    expect(PendingData.of('q', [active('a', Buffer.from('1'), false), { kind: 'log', queue: 'q', id: 'a', line: 'x' }])).toBeUndefined();
  });
});
