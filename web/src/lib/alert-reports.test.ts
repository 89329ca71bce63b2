import type { ReportView } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import { closedFacts, newReceipts, reportCount, reportsOfAlert } from './alert-reports';

const report = (receipt: string, filedAt: number, alertId: string | null, p: Partial<ReportView> = {}): ReportView => ({
  receipt, status: alertId ? 'in_hand' : 'received', category: 'waterlogging', cell: 'c-1', district: 'd-1', filedAt,
  closedAt: null, outcome: null, text: 'water', copies: 0, spamBy: null, spamAt: null, alertId, ...p,
});

describe('the reports that joined an alert', () => {
  it('reads the list again only when a receipt it has not read joins', () => {
    const known = new Set(['AAAA-AAAA', 'BBBB-BBBB']);
    expect(newReceipts(known, ['AAAA-AAAA', 'BBBB-BBBB'])).toEqual([]);
    expect(newReceipts(known, ['AAAA-AAAA'])).toEqual([]);
    expect(newReceipts(known, ['AAAA-AAAA', 'BBBB-BBBB', 'CCCC-CCCC'])).toEqual(['CCCC-CCCC']);
    expect(newReceipts(new Set(), ['AAAA-AAAA'])).toEqual(['AAAA-AAAA']);
  });

  it('keeps the alert\'s own reports, newest first, and drops any other', () => {
    const rows = reportsOfAlert([
      report('AAAA-AAAA', 1_000, 'al-1'),
      report('CCCC-CCCC', 3_000, 'al-2'),
      report('DDDD-DDDD', 4_000, null),
      report('BBBB-BBBB', 2_000, null), // listed by the alert, read before it was marked
      report('EEEE-EEEE', 2_000, 'al-1'),
    ], 'al-1', ['AAAA-AAAA', 'BBBB-BBBB']);
    expect(rows.map((r) => r.receipt)).toEqual(['BBBB-BBBB', 'EEEE-EEEE', 'AAAA-AAAA']);
  });

  it('does not reorder what it was given', () => {
    const given = [report('AAAA-AAAA', 1_000, 'al-1'), report('BBBB-BBBB', 2_000, 'al-1')];
    reportsOfAlert(given, 'al-1', []);
    expect(given.map((r) => r.receipt)).toEqual(['AAAA-AAAA', 'BBBB-BBBB']);
  });

  it('counts the alert\'s receipts, or the rows when the list is newer than the alert', () => {
    expect(reportCount(['a', 'b', 'c'], [1])).toBe(3);
    expect(reportCount(['a'], [1, 2])).toBe(2);
    expect(reportCount([], [])).toBe(0);
  });
});

describe('a receipt once closed', () => {
  it('says when and what was done only when closed', () => {
    expect(closedFacts({ status: 'in_hand', closedAt: null, outcome: null })).toBeNull();
    expect(closedFacts({ status: 'received', closedAt: 5, outcome: 'x' })).toBeNull();
    expect(closedFacts({ status: 'spam', closedAt: null, outcome: null })).toBeNull();
    expect(closedFacts({ status: 'closed', closedAt: 9_000, outcome: 'Pumped out, road open' })).toEqual({ closedAt: 9_000, outcome: 'Pumped out, road open' });
  });

  it('has no outcome when none or only blanks were written', () => {
    expect(closedFacts({ status: 'closed', closedAt: 9_000, outcome: null })).toEqual({ closedAt: 9_000, outcome: null });
    expect(closedFacts({ status: 'closed', closedAt: 9_000, outcome: '  ' })).toEqual({ closedAt: 9_000, outcome: null });
    expect(closedFacts({ status: 'closed', closedAt: null, outcome: 'done' })).toEqual({ closedAt: null, outcome: 'done' });
  });
});
