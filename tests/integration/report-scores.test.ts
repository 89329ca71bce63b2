// Residents' reports in the 考核 scores, on the real system with the demo city's rules and REPORTS=on:
// three waterlogging reports in one cell raise the cell's alert, its grid worker closes it, and
// GET /api/scores (by cell and by district) counts the three reports closed with their median time
// from filed to closed; the answer matches the OpenAPI schema; a report marked as spam afterwards is
// no longer counted.
import { describe, expect, it } from 'vitest';
import type { Alert, AlertsResponse, ReportFiled, ScoresResponse } from '@citygrid/contract';
import { openApiDocument } from '@citygrid/contract/openapi';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { reportingCity } from '../helpers/reports.js';
import { getJson, login, sendJson, waitFor } from '../helpers/system.js';

const city = reportingCity();
const { file, receipt } = city;
const scores = async (by: 'grid' | 'district') => {
  const res = await getJson<ScoresResponse>(`${city.system.baseUrl}/api/scores?by=${by}&from=${Date.now() - 3_600_000}`, city.operator);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

describe('GET /api/scores with REPORTS on', () => {
  it('counts the reports closed in each cell and district with their median time to close, spam left out', async () => {
    const cell = 'jiangan-003';
    const district = city.system.city.cellsById.get(cell)!.district;
    const filed: ReportFiled[] = [];
    for (const text of ['water over the kerb', 'water at the school gate', 'cars stuck, water rising']) {
      filed.push(await file('waterlogging', cell, text));
      await new Promise((r) => setTimeout(r, 30)); // distinct filing times, so that the median is one of them
    }
    const alert = (await getJson<AlertsResponse>(`${city.system.baseUrl}/api/alerts?state=active`, city.operator)).body.alerts
      .find((a) => a.rule === 'residents-waterlogging' && a.grid === cell);
    expect(alert, `no alert raised; the reports are ${filed.map((f) => f.status).join(', ')}`).toBeDefined();

    // before it is closed: the cell's row says none closed
    expect((await scores('grid')).scores.find((s) => s.id === cell)).toMatchObject({ alerts: 1, reportsClosed: 0, reportCloseMedianMs: null });

    const worker = await login(city.system.baseUrl, `gw-${cell}`);
    const handled = await sendJson<{ alert: Alert }>(`${city.system.baseUrl}/api/alerts/${alert!.id}/resolve`, { note: 'Drain cleared' }, worker);
    expect(handled.status).toBe(200);
    await waitFor(async () => (await Promise.all(filed.map((f) => receipt(f.receipt)))).every((r) => r.status === 'closed') || null, 'the receipts closed', 5_000);
    const closed = (await Promise.all(filed.map((f) => receipt(f.receipt)))).map((r) => ({ receipt: r.receipt, took: r.closedAt! - r.filedAt }));
    const took = closed.map((r) => r.took).sort((x, y) => x - y);
    expect(took[0]).toBeLessThan(took[2]!);

    const byGrid = await scores('grid');
    expect(byGrid.scores.find((s) => s.id === cell)).toMatchObject({ alerts: 1, resolved: 1, reportsClosed: 3, reportCloseMedianMs: took[1] });
    expect(byGrid.scores.filter((s) => s.id !== cell).every((s) => s.reportsClosed === 0 && s.reportCloseMedianMs === null)).toBe(true);
    expect((await scores('district')).scores.find((s) => s.id === district)).toMatchObject({ reportsClosed: 3, reportCloseMedianMs: took[1] });

    // the answer is what the API description says (the two fields included)
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ ...openApiDocument({ version: 'test' }), $id: 'api' } as object);
    const validate = ajv.getSchema('api#/components/schemas/ScoresResponse')!;
    expect(validate(byGrid), ajv.errorsText(validate.errors)).toBe(true);

    // one marked as spam afterwards is not counted
    const quickest = closed.find((r) => r.took === took[0])!;
    expect((await sendJson(`${city.system.baseUrl}/api/reports/${quickest.receipt}/spam`, {}, city.operator)).status).toBe(200);
    expect((await scores('grid')).scores.find((s) => s.id === cell)).toMatchObject({ reportsClosed: 2, reportCloseMedianMs: Math.round((took[1]! + took[2]!) / 2) });
  }, 30_000);
});
