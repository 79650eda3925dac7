import { expandCompactRecord, jobHashOf } from '../../src/read/compact-record';

describe('expandCompactRecord', () => {
  test('the four newline-separated fields as the job hash they stand for; empty data and result left out', () => {
    expect(expandCompactRecord('[1,1,0,5,0,2,1]\n["w","n",null]\n{"json":{"a":1}}\n{"json":"ok"}')).toEqual({
      state: 'completed',
      run: '[1,1,0,5,0,2,1]',
      who: '["w","n",null]',
      data: '{"json":{"a":1}}',
      returnvalue: '{"json":"ok"}',
    });
    expect(expandCompactRecord('[1,1,0,5,0,2,1]\n["w","n",null]\n\n')).toEqual({ state: 'completed', run: '[1,1,0,5,0,2,1]', who: '["w","n",null]' });
  });

  test('anything else is no record', () => {
    for (const text of [null, undefined, '', 'a\nb', 'a\nb\nc\nd\ne']) expect(expandCompactRecord(text)).toBeUndefined();
  });
});

describe('jobHashOf', () => {
  test("the job's own hash wins; else its compact record; else nothing", () => {
    const record = '[1,1,0,5,0,2,1]\n["w","n",null]\n\n';
    expect(jobHashOf({ state: 'dead' }, record)).toEqual({ state: 'dead' });
    expect(jobHashOf({}, record)).toMatchObject({ state: 'completed', run: '[1,1,0,5,0,2,1]' });
    expect(jobHashOf({}, null)).toEqual({});
  });

  test("a completion record lies over the job's own hash: state, run, who and result from it, the rest from the hash", () => {
    const waiting = { state: 'waiting', seq: '0', name: 'mail', data: '{"json":{"to":"a"}}', opts: '{"json":{"attempts":2}}', timestamp: '40' };
    const completion = '[50,1,0,5,40,60,1]\n["w","mail","k"]\n\n{"json":"sent"}';
    expect(jobHashOf(waiting, null, completion)).toEqual({
      ...waiting,
      state: 'completed',
      run: '[50,1,0,5,40,60,1]',
      who: '["w","mail","k"]',
      returnvalue: '{"json":"sent"}',
    });
    // none, or one that is not a record: the hash as it is
    expect(jobHashOf(waiting, null, null)).toEqual(waiting);
    expect(jobHashOf(waiting, null, 'not a record')).toEqual(waiting);
    // no hash: a completion record alone is nothing (its hash was removed)
    expect(jobHashOf({}, null, completion)).toEqual({});
  });
});
