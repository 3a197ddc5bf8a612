import { parseTwinReport } from './twin-report';

const report = (value: unknown) => parseTwinReport(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));

describe('parseTwinReport', () => {
  it('takes a bare object of state keys, or one wrapped in { state }', () => {
    expect(report({ dimLevel: 40, firmware: { version: '1.2.0' } })).toEqual({ ok: true, state: { dimLevel: 40, firmware: { version: '1.2.0' } } });
    expect(report({ state: { dimLevel: 40, schedule: null } })).toEqual({ ok: true, state: { dimLevel: 40, schedule: null } });
    // Only an object under `state` is a wrapper; a bare report may have a key named so.
    expect(report({ state: 'on' })).toEqual({ ok: true, state: { state: 'on' } });
  });

  it('says why anything else is not a report', () => {
    expect(report('{"dimLevel": ')).toEqual({ ok: false, reason: 'the twin report is not JSON' });
    expect(report([1, 2, 3])).toMatchObject({ ok: false, reason: expect.stringContaining('not an object of state keys') });
    expect(report({ '1x': 1 })).toMatchObject({ ok: false, reason: expect.stringContaining('state key') });
    expect(report(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i])))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('at most 100 keys'),
    });
  });
});
