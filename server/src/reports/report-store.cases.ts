// The report stores' one suite: SQLite (report-store.test.ts) and Redis against a real redis-server
// (tests/integration/redis-reports.test.ts) must behave the same.
import { describe, expect, it } from 'vitest';
import type { ReportStore, StoredReport } from './report-store.js';

let n = 0;
/** Receipts unique across runs against one Redis (the format is the intake's business, not the store's). */
const RUN = Math.random().toString(36).slice(2, 6).toUpperCase();
const report = (o: Partial<StoredReport> = {}): StoredReport => ({
  receipt: `T${String(n++).padStart(3, '0')}-${RUN}`, category: 'waterlogging', cell: 'c-1', district: 'd-1', text: 'water 30 cm deep',
  filedAt: 1_800_000_000_000 + n, status: 'received', copies: 0, spamBy: null, spamAt: null, fingerprint: `fp-${n}`, ...o,
});

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
  });
}
