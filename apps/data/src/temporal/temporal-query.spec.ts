import { NgsiLdError } from '../ngsi-ld/errors';
import { parseAggregation, parseDuration, parseTemporalQuery } from './temporal-query';

const limits = { maxLastN: 1000 };
const refused = (run: () => unknown, detail: RegExp) => {
  let error: unknown;
  try {
    run();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(NgsiLdError);
  expect((error as NgsiLdError).errorType).toBe('BadRequestData');
  expect((error as NgsiLdError).message).toMatch(detail);
};

describe('temporal query parameters (clause 4.11)', () => {
  it('defaults to observedAt and no time range', () => {
    expect(parseTemporalQuery({}, limits)).toEqual({ timeproperty: 'observedAt' });
  });

  it('takes before/after with timeAt and between with both ends', () => {
    expect(parseTemporalQuery({ timerel: 'before', timeAt: '2026-01-01T00:00:00Z' }, limits)).toMatchObject({ timerel: 'before', timeAt: '2026-01-01T00:00:00Z' });
    expect(parseTemporalQuery({ timerel: 'between', timeAt: '2026-01-01T00:00:00Z', endTimeAt: '2026-01-02T00:00:00+01:00', timeproperty: 'modifiedAt', lastN: '3' }, limits)).toEqual({
      timerel: 'between',
      timeAt: '2026-01-01T00:00:00Z',
      endTimeAt: '2026-01-02T00:00:00+01:00',
      timeproperty: 'modifiedAt',
      lastN: 3,
    });
  });

  it.each([
    [{ timerel: 'during', timeAt: '2026-01-01T00:00:00Z' }, /timerel must be one of/],
    [{ timerel: 'after' }, /needs timeAt/],
    [{ timeAt: '2026-01-01T00:00:00Z' }, /timeAt needs timerel/],
    [{ timerel: 'between', timeAt: '2026-01-01T00:00:00Z' }, /between needs endTimeAt/],
    [{ timerel: 'between', timeAt: '2026-01-02T00:00:00Z', endTimeAt: '2026-01-01T00:00:00Z' }, /must be after timeAt/],
    [{ timerel: 'after', timeAt: '2026-01-01T00:00:00Z', endTimeAt: '2026-01-02T00:00:00Z' }, /only used with timerel=between/],
    [{ timerel: 'after', timeAt: 'yesterday' }, /timeAt must be an ISO 8601/],
    [{ timerel: 'after', timeAt: '2026-01-01T00:00:00' }, /with a time zone/],
    [{ timeproperty: 'deletedAt' }, /timeproperty must be one of/],
    [{ lastN: '0' }, /lastN must be a positive integer/],
    [{ lastN: '-2' }, /lastN must be a positive integer/],
    [{ lastN: '1.5' }, /lastN must be a positive integer/],
    [{ lastN: 'ten' }, /lastN must be a positive integer/],
    [{ lastN: '99999999999' }, /above this broker's maximum of 1000/],
  ])('refuses %j', (input, detail) => refused(() => parseTemporalQuery(input, limits), detail));
});

describe('aggregation parameters (clause 4.5.19)', () => {
  it.each([
    ['PT1H', false, 3_600_000],
    ['PT0S', false, 0],
    ['P0D', false, 0],
    ['P1D', false, 86_400_000],
    ['P2W', false, 14 * 86_400_000],
    ['PT1.5S', false, 1500],
    ['P1DT12H', false, 36 * 3_600_000],
    ['P1M', true, 0],
    ['P1Y2M3DT4H5M6S', true, (3 * 86_400 + 4 * 3600 + 5 * 60 + 6) * 1000],
  ])('reads %s', (text, calendar, ms) => {
    expect(parseDuration(text)).toEqual({ text, calendar, ms });
  });

  it.each(['', 'P', 'PT', '1H', 'P1H', 'PT1D', 'P1.5D', 'P1W2D', 'P-1D', 'PT1H30', 'R5/PT1H', '2026-01-01T00:00:00Z/PT1H', 'P99999999D'])('refuses the duration %j', (text) =>
    refused(() => parseDuration(text), /aggrPeriodDuration/),
  );

  it('needs methods, known ones', () => {
    expect(parseAggregation('avg,min,max,avg', undefined)).toEqual({ methods: ['avg', 'min', 'max'], period: { text: 'PT0S', calendar: false, ms: 0 } });
    refused(() => parseAggregation(undefined, 'PT1H'), /needs aggrMethods/);
    refused(() => parseAggregation('avg,median', 'PT1H'), /"median" is not one of/);
    refused(() => parseAggregation('avg,', 'PT1H'), /"" is not one of/);
  });
});
