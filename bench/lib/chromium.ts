// Debian's headless Chromium for benchmarks, without GPU, as the e2e tests launch it (tests/e2e/browser.ts
// registers vitest hooks on import, so a benchmark run outside vitest cannot use it).
import { chromium, type Browser } from 'playwright-core';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
