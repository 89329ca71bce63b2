// Proves --secrets reads the CSV the Devices page gives (header, CRLF, a byte order mark) and names every bad line.
import { describe, expect, it } from 'vitest';
import { parseSecrets } from './secrets-file.js';

describe('parseSecrets', () => {
  it('reads id,secret lines with or without the header, CRLF and a byte order mark', () => {
    const { secrets, problems } = parseSecrets('\uFEFFid,secret\r\nwl-0001,abc,with-comma\r\naq-0002,xyz\r\n');
    expect(problems).toEqual([]);
    expect([...secrets]).toEqual([['wl-0001', 'abc,with-comma'], ['aq-0002', 'xyz']]);
  });

  it('names every bad line', () => {
    const { problems } = parseSecrets('wl-0001\nWL 1,x\nwl-0002, x\nwl-0003,a\nwl-0003,b\n');
    expect(problems).toEqual([
      'line 1: expected id,secret',
      'line 2: "WL 1" is not a device id',
      'line 3: the secret of wl-0002 is empty or has spaces around it',
      'line 5: wl-0003 is listed twice',
    ]);
  });
});
