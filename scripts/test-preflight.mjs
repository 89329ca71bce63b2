// Runs first in `npm test`: stops within seconds, naming the one command to run, when the machine
// lacks something the suite needs, instead of a wall of failures from a missing browser or database.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingPackages } from './test-deps.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const problems = [];
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) problems.push(`Node.js ${process.versions.node} is too old: the suite needs 20.19 or newer.`);
if (!existsSync(join(root, 'node_modules', '.bin', 'vitest'))) problems.push('The npm packages are not installed: run `npm install` (or `npm ci`).');
const missing = missingPackages();
if (missing.length) {
  problems.push([
    `Missing Debian packages the tests need:`,
    ...missing.map((p) => `  ${p.pkg}: ${p.why}`),
    `Install them with \`npm run test:setup\`, or: sudo apt-get install -y ${missing.map((p) => p.pkg).join(' ')}`,
  ].join('\n'));
}
if (problems.length) {
  console.error(`npm test cannot run on this machine yet.\n\n${problems.join('\n\n')}\n`);
  process.exit(1);
}
