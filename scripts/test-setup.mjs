// `npm run test:setup`: installs the Debian packages the test suite needs (scripts/test-deps.mjs),
// with apt-get as root or through sudo. CI (.ci/run) runs it too. Does nothing when all are there.
import { spawnSync } from 'node:child_process';
import { missingPackages } from './test-deps.mjs';

const missing = missingPackages().map((p) => p.pkg);
if (missing.length === 0) {
  console.log('test:setup: every Debian package the tests need is installed');
  process.exit(0);
}
console.log(`test:setup: installing Debian packages: ${missing.join(' ')}`);
const root = process.getuid?.() === 0;
const run = (args) => {
  const [cmd, ...rest] = root ? args : ['sudo', ...args];
  const r = spawnSync(cmd, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) {
    console.error(`test:setup: \`${[cmd, ...rest].join(' ')}\` failed${r.error ? `: ${r.error.message}` : ''}`);
    process.exit(1);
  }
};
run(['apt-get', 'update', '-qq']);
run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing]);
const still = missingPackages();
if (still.length) {
  console.error(`test:setup: still missing after the install: ${still.map((p) => p.pkg).join(' ')}`);
  process.exit(1);
}
