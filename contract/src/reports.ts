// Residents' reports (issue 17): what a resident may report, the masking of personal data in their
// text before anything stores it, and the proof-of-work that makes each report cost the sender a
// little CPU instead of costing the city a third-party CAPTCHA. Shared by the public report page (which
// masks as the resident types, to show what will be kept, and solves the challenge) and the server
// (which masks again, whatever the client did, and checks the work).
import { sha256 } from '@noble/hashes/sha2';

export const REPORT_CATEGORIES = ['waterlogging', 'blocked_road', 'streetlight', 'overflowing_bin', 'gas_smell', 'noise', 'other'] as const;
export type ReportCategory = (typeof REPORT_CATEGORIES)[number];

export const REPORT_CATEGORY_NAME: Record<'zh-CN' | 'en', Record<ReportCategory, string>> = {
  'zh-CN': { waterlogging: '积水', blocked_road: '道路阻断', streetlight: '路灯损坏', overflowing_bin: '垃圾满溢', gas_smell: '燃气异味', noise: '噪声扰民', other: '其他' },
  en: { waterlogging: 'Waterlogging', blocked_road: 'Blocked road', streetlight: 'Broken streetlight', overflowing_bin: 'Overflowing bin', gas_smell: 'Smell of gas', noise: 'Noise', other: 'Other' },
};

/** The most a report's text may hold, in characters (code points). */
export const REPORT_TEXT_MAX = 500;

export type MaskedKind = 'phone' | 'id' | 'plate' | 'email';
/** What replaces each masked string: the kind of thing that was there, never any of it. */
export const MASK: Record<MaskedKind, string> = { phone: '[phone]', id: '[id]', plate: '[plate]', email: '[email]' };

// Order matters: ID numbers before phones (an 18-digit ID holds 11 digits that look like a mobile),
// e-mail before plates. Digits are ASCII or full-width (０-９), which phones type in Chinese input modes.
const D = '[0-9０-９]';
const SEP = '[ \\-\\u2010-\\u2015.·]?';
const PATTERNS: [MaskedKind, RegExp][] = [
  ['email', /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g],
  // resident ID: 18 characters (17 digits and a digit or X check), or the old 15 digits
  ['id', new RegExp(`(?<!${D})(?:${D}{17}[0-9０-９Xx]|${D}{15})(?![0-9０-９Xx])`, 'g')],
  // mainland mobiles (1[3-9] and 9 more digits), with +86 / 0086 and spaces or dashes anywhere between groups
  ['phone', new RegExp(`(?<!${D})(?:(?:\\+|00)?86${SEP})?[1１][3-9３-９]${D}${SEP}${D}{4}${SEP}${D}{4}(?!${D})`, 'g')],
  // landlines: area code 0xx(x) and 7-8 digits, with an optional separator or brackets
  ['phone', new RegExp(`(?<!${D})(?:\\(0${D}{2,3}\\)|0${D}{2,3})${SEP}${D}{3,4}${SEP}${D}{4}(?!${D})`, 'g')],
  // other international numbers: + and 8-15 digits in groups
  ['phone', new RegExp(`\\+${D}{1,3}(?:[ \\-]?${D}{2,5}){2,5}(?!${D})`, 'g')],
  // mainland plates: a province character, a letter, then 5 (6 for new-energy) letters or digits,
  // the last maybe 挂/学/警/港/澳
  ['plate', /[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Za-hj-np-z][ ·•-]?[A-HJ-NP-Za-hj-np-z0-9]{4,5}[A-HJ-NP-Za-hj-np-z0-9挂学警港澳]?/g],
];

export interface MaskResult {
  text: string;
  /** How many strings of each kind were masked. */
  masked: Record<MaskedKind, number>;
}

/**
 * Masks phone numbers, resident ID numbers, licence plates and e-mail addresses in a resident's text:
 * each becomes its MASK tag. Anything else stays as written (house numbers, dates, water depths).
 * What it does not catch, it cannot catch: a number written out in words, a name. So report texts
 * are never published, and are kept only for their retention period.
 */
export function maskPersonalData(text: string): MaskResult {
  const masked: Record<MaskedKind, number> = { phone: 0, id: 0, plate: 0, email: 0 };
  let out = text;
  for (const [kind, re] of PATTERNS) {
    out = out.replace(re, () => {
      masked[kind]++;
      return MASK[kind];
    });
  }
  return { text: out, masked };
}

/** Characters in a text as a person counts them (code points, so one emoji is one). */
export const textLength = (text: string): number => [...text].length;

// ---------------------------------------------------------------------------------------------------
// Proof of work: the server hands out a challenge; the client finds a nonce such that
// SHA-256("<challenge>:<nonce>") starts with `difficulty` zero bits; the server checks it with one hash.
// At 18 bits that is ~262,000 hashes on average: under a second in Node here (~350,000 a second),
// a few seconds on a phone, and the same for each of a flooder's thousand reports.

/** Leading zero bits of a digest. */
export function leadingZeroBits(bytes: Uint8Array): number {
  let bits = 0;
  for (const b of bytes) {
    if (b === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(b) - 24;
  }
  return bits;
}

const encoder = new TextEncoder();
/** Leading zero bits of SHA-256("<challenge>:<nonce>"): synchronous (@noble/hashes), so a browser can try ~10^5 a second. */
const workOf = (challenge: string, nonce: string): number => leadingZeroBits(sha256(encoder.encode(`${challenge}:${nonce}`)));

/** Whether `nonce` solves `challenge` at `difficulty` bits. */
export async function powCheck(challenge: string, nonce: string, difficulty: number): Promise<boolean> {
  if (!/^[0-9a-z]{1,16}$/.test(nonce)) return false;
  return workOf(challenge, nonce) >= difficulty;
}

/**
 * Finds a nonce for `challenge` (a base-36 counter), giving up after `maxTries`; null if it did or was
 * aborted. It works in slices of `sliceMs`, yielding between them, so a page stays responsive;
 * `onProgress` gets the tries so far after each slice.
 */
export async function powSolve(challenge: string, difficulty: number, maxTries = 50_000_000, signal?: AbortSignal, o: { sliceMs?: number; onProgress?: (tries: number) => void } = {}): Promise<string | null> {
  const sliceMs = o.sliceMs ?? 30;
  let i = 0;
  while (i < maxTries) {
    if (signal?.aborted) return null;
    const until = Date.now() + sliceMs;
    for (let k = 0; i < maxTries && (k & 1023 || Date.now() < until); i++, k++) {
      const nonce = i.toString(36);
      if (workOf(challenge, nonce) >= difficulty) return nonce;
    }
    o.onProgress?.(i);
    await new Promise((r) => setTimeout(r, 0));
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------
// The intake (POST /api/public/reports) and what it answers.

/** A receipt code: 8 characters a person can read out and type (no 0/O, 1/I/L), as XXXX-XXXX. */
export const RECEIPT_PATTERN = /^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/;
export const RECEIPT_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/**
 * received: filed and waiting (counted by the `reports` rules of its category); in_hand: it joined an
 * alert (an open alert of its kind in its cell, or the one its rule raised) and the cell's grid worker
 * has it; closed: that alert was closed, with its outcome; spam: an operator marked it (it counts for nothing).
 */
export const REPORT_STATUSES = ['received', 'in_hand', 'closed', 'spam'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** GET /api/public/reports/challenge */
export interface ReportChallenge { challenge: string; difficulty: number; expiresAt: number }

/** POST /api/public/reports: the place is a grid cell id, or a position the server finds the cell of. */
export interface ReportRequest {
  category: ReportCategory;
  text: string;
  cell?: string;
  /** [longitude, latitude], e.g. from the phone's location. */
  location?: [number, number];
  challenge: string;
  nonce: string;
}

/** What a resident sees of their report, by its receipt (no text: only they wrote it, and it is not published). */
export interface ReportReceipt {
  receipt: string;
  status: ReportStatus;
  category: ReportCategory;
  cell: string;
  district: string;
  filedAt: number;
  /** When the alert it joined was closed (status closed). */
  closedAt: number | null;
  /** What was done, as the person who closed the alert wrote it (masked like report texts); null until closed. */
  outcome: string | null;
}

/** POST /api/public/reports answer: the receipt, the text as kept (masked), and whether it joined an earlier report. */
export interface ReportFiled extends ReportReceipt {
  text: string;
  masked: Record<MaskedKind, number>;
  /** The same report (cell, category, text) was filed within the folding window: this is its receipt. */
  folded: boolean;
}

/** GET /api/reports (signed in): a report as operators and the cell's grid workers see it. */
export interface ReportView extends ReportReceipt {
  text: string;
  /** Times the same report was filed again within the folding window (folded into this one). */
  copies: number;
  spamBy: string | null;
  spamAt: number | null;
  /** The alert it joined (status in_hand or closed). */
  alertId: string | null;
}

export interface ReportList { reports: ReportView[] }
