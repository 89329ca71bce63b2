// Accessibility checks with axe-core (the engine behind Lighthouse's and most browsers' audits): run in
// the page through the DevTools protocol (page.evaluate, so the dashboard's Content-Security-Policy
// stays as strict as in production), against WCAG 2.1 A and AA.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeProblem { id: string; impact: string; help: string; nodes: string[] }

/** The serious and critical violations on the page as it is now (each with up to 5 offending nodes). */
export async function seriousViolations(page: Page, exclude: string[] = []): Promise<AxeProblem[]> {
  await page.evaluate(`${AXE_SOURCE};0`);
  const result = await page.evaluate(async (skip: string[]) => {
    type Node = { target: string[]; html: string; failureSummary?: string };
    type Violation = { id: string; impact: string | null; help: string; nodes: Node[] };
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, o: unknown): Promise<{ violations: Violation[] }> } }).axe;
    const { violations } = await axe.run({ exclude: skip.map((s) => [s]) }, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return violations.map((v) => ({ id: v.id, impact: v.impact ?? 'unknown', help: v.help, nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} :: ${n.html.slice(0, 160)} :: ${n.failureSummary ?? ''}`) }));
  }, exclude);
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A readable list for an assertion message. */
export const describeProblems = (problems: AxeProblem[]): string =>
  problems.map((p) => `${p.impact} ${p.id}: ${p.help}\n    ${p.nodes.join('\n    ')}`).join('\n');
