import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import {
  canonicalTimestamp,
  compareTimestamps,
  sqlTimestamp,
  timestampSortKey,
} from '../../src/core/timestamp.js';

describe('canonicalTimestamp: forms', () => {
  it.each([
    ['2025-01-01 10:00:00', '2025-01-01T10:00:00Z'],
    ['2025-01-01T10:00:00', '2025-01-01T10:00:00Z'],
    ['2025-01-01T10:00:00Z', '2025-01-01T10:00:00Z'],
    ['2025-01-01t10:00:00z', '2025-01-01T10:00:00Z'],
    ['2025-01-01 10:00:00.5', '2025-01-01T10:00:00.5Z'],
    ['  2025-01-01 10:00:00.5  ', '2025-01-01T10:00:00.5Z'],
    ['2025-01-01 10:00:00+00', '2025-01-01T10:00:00Z'],
    ['2025-01-01 10:00:00 +00:00', '2025-01-01T10:00:00Z'],
    ['2025-01-01T10:00:00.000Z', '2025-01-01T10:00:00Z'],
  ])('%j → %s (no zone means UTC)', (input, expected) => {
    expect(canonicalTimestamp(input)).toBe(expected);
  });

  it('reads a Date', () => {
    expect(canonicalTimestamp(new Date(Date.UTC(2025, 5, 30, 23, 59, 59, 7)))).toBe(
      '2025-06-30T23:59:59.007Z',
    );
  });

  it('rejects what is not a timestamp', () => {
    for (const bad of [
      '',
      '2025-01-01',
      '10:00:00',
      '2025-01-01 10:00',
      'now',
      '2025-01-01 10:00:00.1234567890',
    ]) {
      expect(() => canonicalTimestamp(bad)).toThrow(/not a timestamp/);
    }
    expect(() => canonicalTimestamp('2025-01-01 10:00:00+2')).toThrow(/not a timestamp/);
    expect(() => canonicalTimestamp(new Date(NaN))).toThrow(/invalid date/);
  });
});

describe('canonicalTimestamp: zones', () => {
  it.each([
    // Offsets that move the instant across midnight, a month, a year, a leap day.
    ['2025-01-01 01:00:00+02', '2024-12-31T23:00:00Z'],
    ['2025-01-01 00:00:00+00:01', '2024-12-31T23:59:00Z'],
    ['2024-12-31 22:30:00-05:00', '2025-01-01T03:30:00Z'],
    ['2024-03-01 00:30:00+01', '2024-02-29T23:30:00Z'],
    ['2025-03-01 00:30:00+01', '2025-02-28T23:30:00Z'],
    ['2024-02-28 23:30:00-01', '2024-02-29T00:30:00Z'],
    // Half- and quarter-hour zones, with and without a colon.
    ['2025-01-01 10:00:00+05:30', '2025-01-01T04:30:00Z'],
    ['2025-01-01 10:00:00+0530', '2025-01-01T04:30:00Z'],
    ['2025-01-01 10:00:00+05:45', '2025-01-01T04:15:00Z'],
    ['2025-01-01 10:00:00-03:30', '2025-01-01T13:30:00Z'],
    ['2025-01-01 10:00:00-0930', '2025-01-01T19:30:00Z'],
    ['2025-01-01 10:00:00+14:00', '2024-12-31T20:00:00Z'],
    ['2025-01-01 10:00:00-12', '2025-01-01T22:00:00Z'],
    ['2025-01-01 10:00:00-00:00', '2025-01-01T10:00:00Z'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalTimestamp(input)).toBe(expected);
  });

  it('keeps the fraction while shifting the zone, even across midnight', () => {
    expect(canonicalTimestamp('2025-01-01 23:59:59.999999-00:30')).toBe('2025-01-02T00:29:59.999999Z');
    expect(canonicalTimestamp('2025-01-01 00:00:00.000001+01')).toBe('2024-12-31T23:00:00.000001Z');
  });

  it('encodes one instant the same in every zone', () => {
    const forms = [
      '2025-07-01T02:15:30.25Z',
      '2025-07-01 04:15:30.25+02',
      '2025-06-30 21:15:30.250-05:00',
      '2025-07-01 07:45:30.250000+0530',
      new Date(Date.UTC(2025, 6, 1, 2, 15, 30, 250)),
    ];
    for (const f of forms) expect(canonicalTimestamp(f)).toBe('2025-07-01T02:15:30.25Z');
  });

  it('matches what Date makes of the same zoned text', () => {
    const zone = fc.tuple(
      fc.constantFrom('+', '-'),
      fc.integer({ min: 0, max: 14 }),
      fc.constantFrom(0, 15, 30, 45),
    );
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1971-01-01T00:00:00Z'),
          max: new Date('2099-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        zone,
        (date, [sign, hours, minutes]) => {
          const wall = date.toISOString().slice(0, 19);
          const offset = `${sign}${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
          const expected = new Date(`${wall}${offset}`).toISOString().slice(0, 19) + 'Z';
          expect(canonicalTimestamp(`${wall.replace('T', ' ')}${offset}`, 0)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('canonicalTimestamp: fractions', () => {
  it.each([
    ['1', '2025-01-01T10:00:00.1Z'],
    ['12', '2025-01-01T10:00:00.12Z'],
    ['123', '2025-01-01T10:00:00.123Z'],
    ['1234', '2025-01-01T10:00:00.1234Z'],
    ['12345', '2025-01-01T10:00:00.12345Z'],
    ['123456', '2025-01-01T10:00:00.123456Z'],
    ['1234567', '2025-01-01T10:00:00.123456Z'],
    ['12345678', '2025-01-01T10:00:00.123456Z'],
    ['123456789', '2025-01-01T10:00:00.123456Z'],
    ['999999999', '2025-01-01T10:00:00.999999Z'],
    ['0', '2025-01-01T10:00:00Z'],
    ['000000001', '2025-01-01T10:00:00Z'],
    ['100', '2025-01-01T10:00:00.1Z'],
    ['050', '2025-01-01T10:00:00.05Z'],
  ])('.%s → %s (cut to microseconds, never rounded; no trailing zeros)', (frac, expected) => {
    expect(canonicalTimestamp(`2025-01-01 10:00:00.${frac}`)).toBe(expected);
  });

  it.each([
    [0, '2025-01-01T23:59:59Z'],
    [1, '2025-01-01T23:59:59.9Z'],
    [2, '2025-01-01T23:59:59.98Z'],
    [3, '2025-01-01T23:59:59.987Z'],
    [6, '2025-01-01T23:59:59.987654Z'],
    [9, '2025-01-01T23:59:59.987654Z'],
    [-1, '2025-01-01T23:59:59Z'],
  ])('at %i digits keeps %s (truncation never rolls over to the next day)', (digits, expected) => {
    expect(canonicalTimestamp('2025-01-01 23:59:59.987654321', digits)).toBe(expected);
  });

  it('drops zeros that truncation leaves at the end', () => {
    expect(canonicalTimestamp('2025-01-01 10:00:00.100900', 3)).toBe('2025-01-01T10:00:00.1Z');
    expect(canonicalTimestamp('2025-01-01 10:00:00.000900', 3)).toBe('2025-01-01T10:00:00Z');
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 0, max: 6 }),
        (date, micros, digits) => {
          const text = `${date.toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
          const once = canonicalTimestamp(text, digits);
          expect(canonicalTimestamp(once, digits)).toBe(once);
          expect(canonicalTimestamp(once)).toBe(once);
        },
      ),
    );
  });
});

describe('timestampSortKey', () => {
  it('is fixed-width: six fractional digits whatever the input carries', () => {
    expect(timestampSortKey('2025-01-01T10:00:00Z', 6)).toBe('2025-01-01T10:00:00.000000');
    expect(timestampSortKey('2025-01-01T10:00:00.5Z', 6)).toBe('2025-01-01T10:00:00.500000');
    expect(timestampSortKey('2025-01-01T10:00:00.123456Z', 6)).toBe('2025-01-01T10:00:00.123456');
  });

  it('cuts the fraction to the given digits and pads the rest with zeros', () => {
    expect(timestampSortKey('2025-01-01T10:00:00.123456Z', 3)).toBe('2025-01-01T10:00:00.123000');
    expect(timestampSortKey('2025-01-01T10:00:00.123456Z', 0)).toBe('2025-01-01T10:00:00.000000');
    expect(timestampSortKey('2025-01-01T10:00:00.123456Z', 9)).toBe('2025-01-01T10:00:00.123456');
    expect(timestampSortKey('2025-01-01T10:00:00.123456Z', -1)).toBe('2025-01-01T10:00:00.000000');
  });

  it('sorts as text in time order, whatever the fraction lengths', () => {
    const ordered = [
      '2024-12-31T23:59:59.999999Z',
      '2025-01-01T00:00:00Z',
      '2025-01-01T00:00:00.000001Z',
      '2025-01-01T00:00:00.09Z',
      '2025-01-01T00:00:00.1Z',
      '2025-01-01T00:00:00.25Z',
      '2025-01-01T00:00:01Z',
      '2025-01-01T10:00:00Z',
    ];
    const keys = ordered.map((t) => timestampSortKey(t, 6));
    expect([...keys].sort()).toEqual(keys);
    expect(new Set(keys.map((k) => k.length))).toEqual(new Set([26]));
  });
});

describe('compareTimestamps', () => {
  const a = '2025-01-01T10:00:00.7Z';
  const b = '2025-01-01T10:00:00Z';

  it('orders times', () => {
    expect(compareTimestamps(b, a, 6)).toBe(-1);
    expect(compareTimestamps(a, b, 6)).toBe(1);
    expect(compareTimestamps(a, a, 6)).toBe(0);
    expect(compareTimestamps('2025-01-01T09:59:59.999999Z', b, 6)).toBe(-1);
  });

  it('compares at the given precision: equal at 0 digits, different at 1 and 3', () => {
    expect(compareTimestamps(a, b, 0)).toBe(0);
    expect(compareTimestamps(a, b, 1)).toBe(1);
    expect(compareTimestamps(a, b, 3)).toBe(1);
    expect(compareTimestamps('2025-01-01T10:00:00.1239Z', '2025-01-01T10:00:00.123Z', 3)).toBe(0);
    expect(compareTimestamps('2025-01-01T10:00:00.1239Z', '2025-01-01T10:00:00.123Z', 4)).toBe(1);
  });

  it('never calls different seconds equal, whatever the precision', () => {
    expect(compareTimestamps('2025-01-01T10:00:00.999999Z', '2025-01-01T10:00:01Z', 0)).toBe(-1);
    expect(compareTimestamps('2025-01-01T23:59:59.9Z', '2025-01-02T00:00:00Z', 0)).toBe(-1);
  });

  it('treats null (no timestamp) as older than any time', () => {
    expect(compareTimestamps(null, '1970-01-01T00:00:00Z', 6)).toBe(-1);
    expect(compareTimestamps('1970-01-01T00:00:00Z', null, 6)).toBe(1);
    expect(compareTimestamps(null, null, 6)).toBe(0);
  });

  it('is antisymmetric and agrees with time order', () => {
    const instant = fc
      .date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2000-01-01T00:00:10Z'),
        noInvalidDate: true,
      })
      .map((d) => canonicalTimestamp(d));
    fc.assert(
      fc.property(fc.option(instant), fc.option(instant), fc.constantFrom(0, 1, 3, 6), (x, y, digits) => {
        expect(compareTimestamps(x, y, digits)).toBe(-compareTimestamps(y, x, digits) || 0);
        if (x !== null && y !== null && digits >= 3) {
          expect(compareTimestamps(x, y, digits)).toBe(Math.sign(Date.parse(x) - Date.parse(y)));
        }
      }),
    );
  });
});

describe('sqlTimestamp', () => {
  it('writes the literal MySQL, MariaDB and SQLite accept', () => {
    expect(sqlTimestamp('2025-01-01T10:00:00Z')).toBe('2025-01-01 10:00:00');
    expect(sqlTimestamp('2025-01-01T10:00:00.5Z')).toBe('2025-01-01 10:00:00.5');
    expect(sqlTimestamp('2025-01-01T10:00:00.123456Z')).toBe('2025-01-01 10:00:00.123456');
  });

  it('cuts the fraction to the column precision', () => {
    expect(sqlTimestamp('2025-12-31T23:59:59.987654Z', 0)).toBe('2025-12-31 23:59:59');
    expect(sqlTimestamp('2025-12-31T23:59:59.987654Z', 3)).toBe('2025-12-31 23:59:59.987');
    expect(sqlTimestamp('2025-12-31T23:59:59.987654Z', 6)).toBe('2025-12-31 23:59:59.987654');
    expect(sqlTimestamp('2025-12-31T23:59:59.5Z', 3)).toBe('2025-12-31 23:59:59.5');
  });

  it('takes a Date ISO string', () => {
    expect(sqlTimestamp(new Date(Date.UTC(2025, 0, 1, 10, 0, 0, 250)).toISOString())).toBe(
      '2025-01-01 10:00:00.250',
    );
  });

  it('reads back to the same canonical time at the same precision', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 0, max: 6 }),
        (date, micros, digits) => {
          const canonical = canonicalTimestamp(
            `${date.toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`,
            digits,
          );
          expect(canonicalTimestamp(sqlTimestamp(canonical, digits), digits)).toBe(canonical);
          expect(canonicalTimestamp(sqlTimestamp(canonical))).toBe(canonical);
        },
      ),
    );
  });
});
