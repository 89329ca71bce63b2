// Debian's Chromium through playwright-core (never a downloaded browser). Every context made from the
// launched browser (browser.newContext, browser.newPage) reports Content-Security-Policy violations,
// and the test that was running fails at its end when any occurred.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, afterEach } from 'vitest';
import { ROOT } from '../helpers/system.js';

export const ARTIFACTS = join(ROOT, 'tests', 'e2e', 'artifacts');

/** CSP violations seen since the last check (by any page of any context of this file's browsers). */
const cspViolations: string[] = [];

function takeViolations(when: string): void {
  const seen = cspViolations.splice(0);
  if (seen.length) throw new Error(`Content-Security-Policy violations ${when}:\n${[...new Set(seen)].join('\n')}`);
}
// Registered by importing this module: every e2e file that launches a browser gets them.
afterEach(() => takeViolations('during this test (or the hooks before it)'));
afterAll(() => takeViolations('after the last test'));

const BINDING = '__citygridCspViolation';

/** Listens for CSP violations in every page (and frame) of the context, from before its first script. */
async function watchCsp(context: BrowserContext): Promise<void> {
  await context.exposeBinding(BINDING, ({ page }, text: string) => {
    cspViolations.push(`${page?.url() ?? '(no page)'}: ${text}`);
  });
  await context.addInitScript((binding: string) => {
    // runs in the page (this tsconfig has no DOM types)
    type Violation = { effectiveDirective: string; blockedURI: string; sourceFile: string; lineNumber: number };
    const page = globalThis as unknown as Record<string, unknown> & {
      document: { addEventListener(type: string, listener: (e: Violation) => void, capture: boolean): void };
    };
    page.document.addEventListener('securitypolicyviolation', (e) => {
      const report = page[binding] as ((text: string) => void) | undefined;
      report?.(`${e.effectiveDirective} refused ${e.blockedURI || 'inline'} (${e.sourceFile || 'document'}:${e.lineNumber})`);
    }, true);
  }, BINDING);
  // Chromium also logs each refusal ("Executing inline script violates the following Content Security
  // Policy directive ...", "Refused to load ...").
  context.on('console', (m) => {
    if (/Refused to |Content Security Policy/i.test(m.text())) cspViolations.push(`${m.page()?.url() ?? '(no page)'}: console: ${m.text()}`);
  });
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // browser.newPage makes its context through browser.newContext, so this covers both.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext(options);
    await watchCsp(context);
    return context;
  };
  return browser;
}
