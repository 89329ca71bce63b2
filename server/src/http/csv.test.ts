// Proves the exports' CSV pieces: RFC 4180 quoting, the formula guard, numbers as numbers, and times in
// a time zone (also across a daylight-saving change) the same as text and as bytes.
import { describe, expect, it } from 'vitest';
import { ZonedClock, csvField, csvLine, knownTimeZone, writeNumber } from './csv.js';

describe('csvField / csvLine', () => {
  it('quotes what needs quotes (comma, quote, CR, LF), doubling quotes, and ends lines with CRLF', () => {
    expect(csvLine(['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\rhere', '水位 36.0 cm，高于 30 cm'])).toBe(
      'plain,"a,b","say ""hi""","two\nlines","cr\rhere",水位 36.0 cm，高于 30 cm\r\n',
    );
    expect(csvLine([null, undefined, ''])).toBe(',,\r\n');
  });

  it("defuses text a spreadsheet would run as a formula, and leaves numbers alone", () => {
    expect(['=1+1', '+49 30', '-5', '@SUM(A1)', '\tx', '\rx'].map(csvField)).toEqual(["'=1+1", "'+49 30", "'-5", "'@SUM(A1)", "'\tx", '"\'\rx"']);
    expect(csvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect([-5, 0, 36.4, Number.NaN].map(csvField)).toEqual(['-5', '0', '36.4', '']);
  });
});

describe('ZonedClock and writeNumber', () => {
  const both = (tz: string, ms: number) => {
    const clock = new ZonedClock(tz);
    const buf = Buffer.alloc(32);
    const end = clock.write(buf, 1, ms);
    return [clock.text(ms), buf.toString('latin1', 1, end)];
  };

  it('writes local times, the same as text and as bytes', () => {
    const t = Date.UTC(2026, 4, 1, 23, 59, 58); // 2026-05-01 23:59:58 UTC
    expect(both('UTC', t)).toEqual(['2026-05-01 23:59:58', '2026-05-01 23:59:58']);
    expect(both('Asia/Shanghai', t)).toEqual(['2026-05-02 07:59:58', '2026-05-02 07:59:58']);
    expect(both('Asia/Kathmandu', t)).toEqual(['2026-05-02 05:44:58', '2026-05-02 05:44:58']); // +05:45
  });

  it('follows a daylight-saving change within one clock', () => {
    const clock = new ZonedClock('America/New_York');
    const change = Date.UTC(2026, 2, 8, 7, 0); // 2026-03-08 03:00 EDT = 02:00 EST, the clocks go forward
    expect([change - 1000, change, change + 3_600_000].map((ms) => clock.text(ms))).toEqual(['2026-03-08 01:59:59', '2026-03-08 03:00:00', '2026-03-08 04:00:00']);
  });

  it('writes whole numbers digit by digit and the rest as csvField would', () => {
    const buf = Buffer.alloc(64);
    const cases = [0, 7, 10, 1_000, 1_777_000_000_123, 36.4, -2, 1e21];
    expect(cases.map((n) => buf.toString('latin1', 0, writeNumber(buf, 0, n)))).toEqual(cases.map((n) => csvField(n)));
  });

  it('knows IANA zones and refuses others', () => {
    expect(knownTimeZone('Asia/Shanghai')).toBe('Asia/Shanghai');
    expect(knownTimeZone('Mars/Olympus')).toBeNull();
  });
});
