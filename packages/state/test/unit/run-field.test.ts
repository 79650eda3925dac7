import { OpListWriter } from '../../src/redis/op-list-writer';
import { readOpList } from './msgpack-reader';
import { decodeRunField, mergeRunField } from '../../src/run-field';

/** The run field's text as the op list carries it (see `encodeOps`). */
function encodeRunField(...numbers: [number, number, number, number, number, number?]): string {
  const [at, attempt, partition, offset, enqueuedAt, finishedAt] = numbers;
  const writer = new OpListWriter(256).open();
  if (finishedAt === undefined) writer.numberList(at, attempt, partition, offset, enqueuedAt);
  else writer.numberList(at, attempt, partition, offset, enqueuedAt, finishedAt, attempt);
  return (readOpList(writer.close().bytes()) as string[])[0];
}

describe('the run field', () => {
  test('round trip of a started try and of a completed one', () => {
    expect(decodeRunField(encodeRunField(100, 2, 3, 77, 50))).toEqual({
      processedOn: 100,
      attemptsStarted: 2,
      partition: 3,
      offset: 77,
      timestamp: 50,
      finishedOn: undefined,
      attemptsMade: undefined,
    });
    expect(decodeRunField(encodeRunField(100, 2, 3, 77, 50, 160))).toMatchObject({ finishedOn: 160, attemptsMade: 2 });
  });

  test('stays under the 64 bytes that keep a small Redis hash compact, for realistic numbers', () => {
    const now = Date.now();
    expect(encodeRunField(now, 25, 511, 9_999_999_999, now - 60_000, now + 1000).length).toBeLessThanOrEqual(64);
  });

  test('malformed text reads as no run field', () => {
    for (const text of [undefined, '', 'nope', '{}', '[1,2]', '[1,2,3,4,"x"]']) expect(decodeRunField(text)).toBeUndefined();
  });

  test('merge: run fills in, fields written on their own win, attemptsMade is the larger', () => {
    const merged = mergeRunField({
      state: 'retrying',
      run: encodeRunField(100, 2, 3, 77, 50),
      partition: '3',
      timestamp: '49',
      attemptsMade: '1',
      failedReason: 'boom',
    });
    expect(merged).toEqual({
      state: 'retrying',
      processedOn: '100',
      attemptsStarted: '2',
      partition: '3',
      offset: '77',
      timestamp: '49',
      attemptsMade: '1',
      failedReason: 'boom',
    });
    // the completed try's count beats an older failed try's; a completion's finishedOn field beats run's
    const done = mergeRunField({ run: encodeRunField(100, 2, 3, 77, 50, 160), attemptsMade: '1', finishedOn: '170' });
    expect(done).toMatchObject({ attemptsMade: '2', finishedOn: '170', processedOn: '100' });
    expect(mergeRunField({ state: 'waiting' })).toEqual({ state: 'waiting' });
  });
});
