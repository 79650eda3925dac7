import { expandCompactRecord, jobHashOf } from '../../src/compact-record';

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
});
