// Proves the masking of residents' texts (phones, ID numbers, plates, e-mail masked in the forms people
// type them; house numbers, dates, depths and times left alone) and the proof-of-work (a solved
// challenge checks, a wrong nonce or another challenge does not, the difficulty counts bits).
import { describe, expect, it } from 'vitest';
import { leadingZeroBits, MASK, maskPersonalData, powCheck, powSolve, REPORT_CATEGORIES, REPORT_CATEGORY_NAME, textLength } from './reports.js';

describe('maskPersonalData', () => {
  it.each([
    ['积水很深，请联系我 13812345678', '积水很深，请联系我 [phone]', 'phone'],
    ['call +86 138 1234 5678 please', 'call [phone] please', 'phone'],
    ['电话：0086-138-1234-5678', '电话：[phone]', 'phone'],
    ['手机１３８１２３４５６７８', '手机[phone]', 'phone'],
    ['座机 027-88886666 或 (027) 8888 6666', '座机 [phone] 或 [phone]', 'phone'],
    ['ring +44 7700 900000', 'ring [phone]', 'phone'],
    ['身份证 42010619900101123X 丢在路边', '身份证 [id] 丢在路边', 'id'],
    ['old id 420106900101123', 'old id [id]', 'id'],
    ['车牌鄂A12345挡住了消防通道', '车牌[plate]挡住了消防通道', 'plate'],
    ['plate 粤B·D12345 parked', 'plate [plate] parked', 'plate'],
    ['车 京A1234学 停在这', '车 [plate] 停在这', 'plate'],
    ['mail me: li.wei+city@example.com.cn', 'mail me: [email]', 'email'],
  ] as const)('masks %j', (input, expected, kind) => {
    const r = maskPersonalData(input);
    expect(r.text).toBe(expected);
    expect(r.masked[kind]).toBeGreaterThan(0);
  });

  it.each([
    '友谊路88号门口积水约30厘米，2026-12-06 08:30 开始',
    'The streetlight at No. 12 has been out since 2026-12-05, about 3 m from the bus stop 521',
    '噪声 85 分贝，22:00 以后还在施工',
    'Bin overflowing near block 1203, room 1503',
    '水深 0.5 米，已持续 45 分钟',
  ])('leaves %j as it is', (input) => {
    const r = maskPersonalData(input);
    expect(r.text).toBe(input);
    expect(Object.values(r.masked).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('masks every one of several, and counts them by kind', () => {
    const r = maskPersonalData('13812345678 和 13912345678，车牌鄂A12345，邮箱 a@b.cn');
    expect(r.text).toBe(`${MASK.phone} 和 ${MASK.phone}，车牌${MASK.plate}，邮箱 ${MASK.email}`);
    expect(r.masked).toEqual({ phone: 2, id: 0, plate: 1, email: 1 });
  });

  it('does not read an ID number as a phone number', () => {
    expect(maskPersonalData('420106199001011234').masked).toEqual({ phone: 0, id: 1, plate: 0, email: 0 });
  });
});

describe('categories and length', () => {
  it('names every category in both languages', () => {
    for (const c of REPORT_CATEGORIES) {
      expect(REPORT_CATEGORY_NAME['zh-CN'][c]).toBeTruthy();
      expect(REPORT_CATEGORY_NAME.en[c]).toBeTruthy();
    }
  });
  it('counts characters as people do', () => {
    expect(textLength('积水😀')).toBe(3);
  });
});

describe('proof of work', () => {
  it('counts leading zero bits', () => {
    expect(leadingZeroBits(new Uint8Array([0, 0, 0x80]))).toBe(16);
    expect(leadingZeroBits(new Uint8Array([0, 0x0f]))).toBe(12);
    expect(leadingZeroBits(new Uint8Array([0xff]))).toBe(0);
    expect(leadingZeroBits(new Uint8Array([0, 0]))).toBe(16);
  });

  it('finds a nonce the check accepts; another nonce, another challenge or more bits fail', async () => {
    const nonce = await powSolve('c-1', 10);
    expect(nonce).not.toBeNull();
    expect(await powCheck('c-1', nonce!, 10)).toBe(true);
    expect(await powCheck('c-2', nonce!, 10)).toBe(leadingZeroBitsOf('c-2', nonce!) >= 10);
    // the first nonce with 10 bits: none before it has them
    for (let i = 0; i < parseInt(nonce!, 36); i++) expect(await powCheck('c-1', i.toString(36), 10)).toBe(false);
    expect(await powCheck('c-1', 'NOT valid', 0), 'a nonce outside [0-9a-z]{1,16} is refused').toBe(false);
  });

  it('gives up after its tries', async () => {
    expect(await powSolve('c-1', 40, 50)).toBeNull();
  });
});

function leadingZeroBitsOf(challenge: string, nonce: string): number {
  // node's own hash, independent of the code under test
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return leadingZeroBits(new Uint8Array(createHash('sha256').update(`${challenge}:${nonce}`).digest()));
}
