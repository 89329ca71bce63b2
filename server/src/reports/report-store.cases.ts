// The report stores' one suite: SQLite (report-store.test.ts) and Redis against a real redis-server
// (tests/integration/redis-reports.test.ts) must behave the same.
import { describe, expect, it } from 'vitest';
import type { ReportStore, StoredReport } from './report-store.js';

let n = 0;
/** Receipts unique across runs against one Redis (the format is the intake's business, not the store's). */
const RUN = Math.random().toString(36).slice(2, 6).toUpperCase();
const report = (o: Partial<StoredReport> = {}): StoredReport => ({
  receipt: `T${String(n++).padStart(3, '0')}-${RUN}`, category: 'waterlogging', cell: 'c-1', district: 'd-1', text: 'water 30 cm deep',
  filedAt: 1_800_000_000_000 + n, status: 'received', copies: 0, spamBy: null, spamAt: null, fingerprint: `fp-${n}`,
  alertId: null, closedAt: null, outcome: null, ...o,
});
/** Alert ids unique across runs against one Redis. */
const alert = (name: string) => `${name}-${RUN}-${n++}`;
const receipts = (rs: StoredReport[]) => rs.map((r) => r.receipt);

export function reportStoreCases(name: string, open: () => Promise<ReportStore>): void {
  describe(`${name}: residents' reports`, () => {
    it('files a report and finds it by its receipt, as filed', async () => {
      const store = await open();
      const r = report();
      expect(await store.file(r, 0)).toEqual({ report: r, folded: false });
      expect(await store.get(r.receipt)).toEqual(r);
      expect(await store.get('ZZZZ-ZZZZ')).toBeNull();
    });

    it('folds the same report filed again within the window into the first, counting the copies; after the window it is new', async () => {
      const store = await open();
      const first = report({ fingerprint: 'same' });
      await store.file(first, 0);
      const again = await store.file(report({ fingerprint: 'same', filedAt: first.filedAt + 1_000 }), first.filedAt - 10);
      expect(again.folded).toBe(true);
      expect(again.report.receipt).toBe(first.receipt);
      expect(again.report.copies).toBe(1);
      expect((await store.get(first.receipt))!.copies).toBe(1);
      // a window that starts after the first: a new report
      const later = report({ fingerprint: 'same', filedAt: first.filedAt + 5_000 });
      const fresh = await store.file(later, first.filedAt + 1);
      expect(fresh).toEqual({ report: later, folded: false });
    });

    it('marks a report as spam once: the first marking is kept', async () => {
      const store = await open();
      const r = report();
      await store.file(r, 0);
      expect(await store.markSpam(r.receipt, 'operator', 42)).toMatchObject({ status: 'spam', spamBy: 'operator', spamAt: 42 });
      expect(await store.markSpam(r.receipt, 'admin', 43)).toMatchObject({ status: 'spam', spamBy: 'operator', spamAt: 42 });
      expect(await store.markSpam('ZZZZ-ZZZZ', 'admin', 43)).toBeNull();
    });

    it('removes the texts of reports filed before the cutoff, in batches, keeping the rest of them', async () => {
      const store = await open();
      const t0 = 1_700_000_000_000 + Math.floor(Math.random() * 1e9);
      const old = [0, 1, 2].map((i) => report({ filedAt: t0 + i, text: `old ${i}` }));
      const young = report({ filedAt: t0 + 1_000, text: 'young' });
      for (const r of [...old, young]) await store.file(r, 0);
      const removed: number[] = [];
      for (let more = true; more;) {
        const done = await store.removeTextsBefore(t0 + 500, '(text removed after 180 days)', 2);
        removed.push(done.removed);
        more = done.more;
      }
      expect(removed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3);
      for (const r of old) expect(await store.get(r.receipt)).toEqual({ ...r, text: '(text removed after 180 days)' });
      expect((await store.get(young.receipt))!.text).toBe('young');
      expect((await store.removeTextsBefore(t0 + 500, '(text removed after 180 days)', 2)).removed, 'nothing left to remove').toBe(0);
    });

    it('counts reports per UTC hour, cell and category in a range, spam left out', async () => {
      const store = await open();
      const h = Math.floor((2_000_000_000_000 + Math.floor(Math.random() * 1e6) * 3_600_000) / 3_600_000) * 3_600_000;
      const cellA = `count-a-${h}`, cellB = `count-b-${h}`;
      const filed = [
        report({ cell: cellA, category: 'noise', filedAt: h + 1 }), report({ cell: cellA, category: 'noise', filedAt: h + 2 }),
        report({ cell: cellA, category: 'waterlogging', filedAt: h + 3 }), report({ cell: cellB, category: 'noise', filedAt: h + 3_600_000 }),
        report({ cell: cellB, category: 'noise', filedAt: h + 3_600_001 }), report({ cell: cellA, category: 'noise', filedAt: h + 2 * 3_600_000 }),
      ];
      for (const r of filed) await store.file(r, 0);
      await store.markSpam(filed[4]!.receipt, 'operator', h + 3_600_002);
      expect(await store.countsByHour(h, h + 2 * 3_600_000)).toEqual([
        { hour: h, cell: cellA, district: 'd-1', category: 'noise', count: 2 },
        { hour: h, cell: cellA, district: 'd-1', category: 'waterlogging', count: 1 },
        { hour: h + 3_600_000, cell: cellB, district: 'd-1', category: 'noise', count: 1 },
      ]);
    });

    it('lists newest first, within the cells asked, a page at a time', async () => {
      const store = await open();
      const base = 1_900_000_000_000 + Math.floor(Math.random() * 1e9);
      const filed = [0, 1, 2, 3, 4].map((i) => report({ cell: i % 2 ? `odd-${base}` : `even-${base}`, filedAt: base + i * 10 }));
      for (const r of filed) await store.file(r, 0);
      const mine = (await store.list({ cells: new Set([`odd-${base}`, `even-${base}`]), limit: 10 })).map((r) => r.receipt);
      expect(mine).toEqual([...filed].reverse().map((r) => r.receipt));
      expect((await store.list({ cells: new Set([`odd-${base}`]), limit: 10 })).map((r) => r.receipt)).toEqual([filed[3]!.receipt, filed[1]!.receipt]);
      expect((await store.list({ cells: new Set([`even-${base}`]), limit: 1, before: base + 40 })).map((r) => r.receipt)).toEqual([filed[2]!.receipt]);
      expect(await store.list({ cells: new Set(), limit: 10 })).toEqual([]);
      expect((await store.list({ cells: null, limit: 2 })).length).toBe(2);
    });

    it('joins only received reports to an alert: spam, in_hand and closed ones stay as they are', async () => {
      const store = await open();
      const [a, b, spam, other, closed] = [report(), report(), report(), report(), report()];
      for (const r of [a, b, spam, other, closed]) await store.file(r, 0);
      await store.markSpam(spam.receipt, 'operator', 7);
      const [x, y, z] = [alert('join-x'), alert('join-y'), alert('join-z')];
      expect(await store.join([other.receipt], y)).toBe(1);
      expect(await store.join([closed.receipt], z)).toBe(1);
      await store.closeAlert(z, 'done', 9);
      // each received one once, however often it is named; unknown receipts are no reports
      expect(await store.join([a.receipt, spam.receipt, other.receipt, closed.receipt, 'ZZZZ-ZZZZ', b.receipt, a.receipt], x)).toBe(2);
      expect(await store.get(a.receipt)).toEqual({ ...a, status: 'in_hand', alertId: x });
      expect(await store.get(b.receipt)).toEqual({ ...b, status: 'in_hand', alertId: x });
      expect(await store.get(spam.receipt)).toEqual({ ...spam, status: 'spam', spamBy: 'operator', spamAt: 7 });
      expect(await store.get(other.receipt)).toEqual({ ...other, status: 'in_hand', alertId: y });
      expect(await store.get(closed.receipt)).toEqual({ ...closed, status: 'closed', alertId: z, closedAt: 9, outcome: 'done' });
      expect(await store.join([a.receipt], y), 'already in hand').toBe(0);
      expect(await store.join([], x)).toBe(0);
      await expect(store.join(Array.from({ length: 1_001 }, (_, i) => `R${i}`), x)).rejects.toThrow(/at most 1000/);
    });

    it('closes the in_hand reports of an alert with the outcome, once, and returns them as stored', async () => {
      const store = await open();
      const [a, b, spam, other] = [report(), report(), report(), report()];
      for (const r of [a, b, spam, other]) await store.file(r, 0);
      const [x, y] = [alert('close-x'), alert('close-y')];
      await store.join([b.receipt, a.receipt, spam.receipt], x);
      await store.join([other.receipt], y);
      await store.markSpam(spam.receipt, 'operator', 8);
      const closed = await store.closeAlert(x, 'drain cleared by Li', 5_000);
      const done = (r: StoredReport) => ({ ...r, status: 'closed', alertId: x, closedAt: 5_000, outcome: 'drain cleared by Li' });
      expect(closed).toEqual([done(a), done(b)]);
      expect(await store.get(a.receipt)).toEqual(done(a));
      expect((await store.get(spam.receipt))!).toMatchObject({ status: 'spam', closedAt: null, outcome: null });
      expect((await store.get(other.receipt))!).toMatchObject({ status: 'in_hand', alertId: y, closedAt: null, outcome: null });
      expect(await store.closeAlert(x, 'closed again', 6_000), 'nothing is closed twice').toEqual([]);
      expect(await store.get(b.receipt)).toEqual(done(b));
      expect(await store.closeAlert(alert('no-such'), 'x', 1)).toEqual([]);
    });

    it('lists the reports of one alert newest first, within the cells asked, a page at a time', async () => {
      const store = await open();
      const base = 1_950_000_000_000 + Math.floor(Math.random() * 1e9);
      const [cellA, cellB] = [`alert-a-${base}`, `alert-b-${base}`];
      const filed = [0, 1, 2, 3, 4].map((i) => report({ cell: i === 2 ? cellB : cellA, filedAt: base + i * 10 }));
      for (const r of filed) await store.file(r, 0);
      const [x, y] = [alert('list-x'), alert('list-y')];
      await store.join(receipts([filed[0]!, filed[2]!, filed[3]!]), x);
      await store.join([filed[1]!.receipt], y);
      await store.closeAlert(y, 'done', base + 100);
      await store.join([filed[4]!.receipt], x);
      await store.closeAlert(x, 'done', base + 200);
      expect(receipts(await store.list({ cells: null, limit: 10, alert: x }))).toEqual(receipts([filed[4]!, filed[3]!, filed[2]!, filed[0]!]));
      expect(receipts(await store.list({ cells: new Set([cellA]), limit: 10, alert: x }))).toEqual(receipts([filed[4]!, filed[3]!, filed[0]!]));
      expect(receipts(await store.list({ cells: new Set([cellA]), limit: 1, alert: x, before: base + 40 }))).toEqual([filed[3]!.receipt]);
      expect(receipts(await store.list({ cells: null, limit: 10, alert: y }))).toEqual([filed[1]!.receipt]);
      expect(await store.list({ cells: new Set(), limit: 10, alert: x })).toEqual([]);
      expect(await store.list({ cells: null, limit: 10, alert: alert('nobody') })).toEqual([]);
    });

    it('gives the reports closed in [from, to), oldest close first, at most `limit`', async () => {
      const store = await open();
      const at = 2_100_000_000_000 + Math.floor(Math.random() * 1e9);
      const [r0, r1, r2, r3, open_] = [report(), report(), report(), report(), report()];
      for (const r of [r0, r1, r2, r3, open_]) await store.file(r, 0);
      const [p, q, s, t] = [alert('between-p'), alert('between-q'), alert('between-s'), alert('between-t')];
      await store.join([r0.receipt], p);
      await store.join([r1.receipt, r2.receipt], q);
      await store.join([r3.receipt], s);
      await store.join([open_.receipt], t);
      await store.closeAlert(p, 'p', at + 20);
      await store.closeAlert(q, 'q', at + 10);
      await store.closeAlert(s, 's', at + 30);
      const ties = [r1.receipt, r2.receipt].sort();
      expect(receipts(await store.closedBetween(at + 10, at + 30, 10))).toEqual([...ties, r0.receipt]);
      expect(receipts(await store.closedBetween(at + 10, at + 31, 10))).toEqual([...ties, r0.receipt, r3.receipt]);
      expect(receipts(await store.closedBetween(at + 11, at + 31, 10))).toEqual([r0.receipt, r3.receipt]);
      expect(receipts(await store.closedBetween(at, at + 40, 2))).toEqual(ties);
      expect(await store.closedBetween(at, at + 40, 0)).toEqual([]);
      expect(await store.closedBetween(at + 21, at + 30, 10)).toEqual([]);
      expect((await store.closedBetween(at + 20, at + 21, 10))).toEqual([{ ...r0, status: 'closed', alertId: p, closedAt: at + 20, outcome: 'p' }]);
    });

    it('retention removes the outcome of old reports with their text, even one written after the text went', async () => {
      const store = await open();
      const t0 = 1_600_000_000_000 + Math.floor(Math.random() * 1e9);
      const [closed, waiting, late, young] = [report({ filedAt: t0 }), report({ filedAt: t0 + 1 }), report({ filedAt: t0 + 2 }), report({ filedAt: t0 + 1_000 })];
      for (const r of [closed, waiting, late, young]) await store.file(r, 0);
      const [x, y] = [alert('retain-x'), alert('retain-y')];
      await store.join([closed.receipt, young.receipt], x);
      await store.closeAlert(x, 'Wang at no. 5 pumped it out', t0 + 2_000);
      const removeAll = async () => { for (let more = true; more;) more = (await store.removeTextsBefore(t0 + 500, '(text removed after 180 days)', 2)).more; };
      await removeAll();
      const gone = '(text removed after 180 days)';
      expect(await store.get(closed.receipt)).toEqual({ ...closed, status: 'closed', alertId: x, closedAt: t0 + 2_000, text: gone, outcome: gone });
      expect(await store.get(waiting.receipt)).toEqual({ ...waiting, text: gone });
      expect(await store.get(young.receipt)).toMatchObject({ text: young.text, outcome: 'Wang at no. 5 pumped it out' });
      // its alert closed after its text went: the outcome goes on the next run
      await store.join([late.receipt], y);
      expect(await store.closeAlert(y, 'call Zhang', t0 + 3_000)).toMatchObject([{ receipt: late.receipt, outcome: 'call Zhang' }]);
      await removeAll();
      expect(await store.get(late.receipt)).toEqual({ ...late, status: 'closed', alertId: y, closedAt: t0 + 3_000, text: gone, outcome: gone });
      expect(await store.get(young.receipt)).toMatchObject({ text: young.text, outcome: 'Wang at no. 5 pumped it out' });
    });
  });
}
