import { parseStreamEntry } from '../../src/read/events-stream';

const entry = (fields: Record<string, string>) => Object.entries(fields).flat();

describe('parseStreamEntry', () => {
  test('decodes each event with typed fields', () => {
    expect(parseStreamEntry('1-0', entry({ event: 'added', jobId: 'a', name: 'n' }))).toEqual([
      { name: 'added', eventId: '1-0', args: { jobId: 'a', name: 'n' } },
    ]);
    expect(parseStreamEntry('1-1', entry({ event: 'active', jobId: 'a', attempt: '2', prev: 'retrying' }))).toEqual([
      { name: 'active', eventId: '1-1', args: { jobId: 'a', attempt: 2, prev: 'retrying' } },
    ]);
    expect(parseStreamEntry('1-2', entry({ event: 'progress', jobId: 'a', data: '{"json":{"pct":5}}' }))[0]?.args).toEqual({ jobId: 'a', data: { pct: 5 } });
    expect(parseStreamEntry('1-3', entry({ event: 'retrying', jobId: 'a', failedReason: 'r', attemptsMade: '1', delayMs: '500' }))[0]?.args).toEqual({
      jobId: 'a',
      failedReason: 'r',
      attemptsMade: 1,
      delayMs: 500,
    });
    expect(parseStreamEntry('1-4', entry({ event: 'failed', jobId: 'a', failedReason: 'r', attemptsMade: '3', deadLetterTopic: '' }))[0]?.args).toEqual({
      jobId: 'a',
      failedReason: 'r',
      attemptsMade: 3,
      deadLetterTopic: null,
    });
    expect(
      parseStreamEntry('1-5', entry({ event: 'dead', jobId: 'a', failedReason: 'r', attemptsMade: '3', deadLetterTopic: 'q.dlq' }))[0]?.args,
    ).toMatchObject({
      deadLetterTopic: 'q.dlq',
    });
  });

  test('a job started and completed in one batch is one entry and two events, active first', () => {
    const events = parseStreamEntry(
      '2-0',
      entry({ event: 'completed', jobId: 'a', returnvalue: '{"json":1}', attemptsMade: '1', active: '1', prev: 'waiting' }),
    );
    expect(events).toEqual([
      { name: 'active', eventId: '2-0', args: { jobId: 'a', attempt: 1, prev: 'waiting' } },
      { name: 'completed', eventId: '2-0', args: { jobId: 'a', returnvalue: 1, attemptsMade: 1 } },
    ]);
  });

  test('a batch entry holds the events of one write batch, in order, all with the entry id', () => {
    const batch = JSON.stringify([
      ['added', 'a', 'name', 'n'],
      ['completed', 'b', 'returnvalue', '{"json":2}', 'attemptsMade', '1', 'active', '1', 'prev', ''],
      ['paused', 'c'],
      ['retrying', 'd', 'failedReason', 'boom', 'attemptsMade', '1', 'delayMs', '10'],
      42,
      ['x'],
      'e',
    ]);
    expect(parseStreamEntry('4-0', entry({ event: 'batch', events: batch }))).toEqual([
      { name: 'added', eventId: '4-0', args: { jobId: 'a', name: 'n' } },
      { name: 'active', eventId: '4-0', args: { jobId: 'b', attempt: 1, prev: undefined } },
      { name: 'completed', eventId: '4-0', args: { jobId: 'b', returnvalue: 2, attemptsMade: 1 } },
      { name: 'retrying', eventId: '4-0', args: { jobId: 'd', failedReason: 'boom', attemptsMade: 1, delayMs: 10 } },
      // a job id alone: started and completed on its first try, result undefined, no earlier record
      { name: 'active', eventId: '4-0', args: { jobId: 'e', attempt: 1, prev: undefined } },
      { name: 'completed', eventId: '4-0', args: { jobId: 'e', returnvalue: undefined, attemptsMade: 1 } },
    ]);
    // the entry's prev: the state the jobs written as their id alone were in (their enqueuer's record)
    const fromWaiting = JSON.stringify(['f', ['completed', 'g', 'returnvalue', '{"json":3}', 'attemptsMade', '1', 'active', '1', 'prev', ''], 'h']);
    expect(parseStreamEntry('4-3', entry({ event: 'batch', events: fromWaiting, prev: 'waiting' }))).toEqual([
      { name: 'active', eventId: '4-3', args: { jobId: 'f', attempt: 1, prev: 'waiting' } },
      { name: 'completed', eventId: '4-3', args: { jobId: 'f', returnvalue: undefined, attemptsMade: 1 } },
      { name: 'active', eventId: '4-3', args: { jobId: 'g', attempt: 1, prev: undefined } },
      { name: 'completed', eventId: '4-3', args: { jobId: 'g', returnvalue: 3, attemptsMade: 1 } },
      { name: 'active', eventId: '4-3', args: { jobId: 'h', attempt: 1, prev: 'waiting' } },
      { name: 'completed', eventId: '4-3', args: { jobId: 'h', returnvalue: undefined, attemptsMade: 1 } },
    ]);
    expect(parseStreamEntry('4-1', entry({ event: 'batch', events: 'not json' }))).toEqual([]);
    expect(parseStreamEntry('4-2', entry({ event: 'batch', events: '{"a":1}' }))).toEqual([]);
  });

  test('unknown or malformed entries are skipped', () => {
    expect(parseStreamEntry('3-0', entry({ event: 'paused', jobId: 'a' }))).toEqual([]);
    expect(parseStreamEntry('3-1', entry({ event: 'added' }))).toEqual([]);
  });
});
