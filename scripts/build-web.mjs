// Builds the dashboard into web/dist. With --if-missing, only when it is absent or older than its sources.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const web = join(root, 'web');
const built = join(web, 'dist', 'index.html');

function newestMtime(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'dist') continue;
    newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

export function webIsCurrent() {
  if (!existsSync(built)) return false;
  const sources = [join(web, 'src'), join(web, 'public'), join(web, 'index.html'), join(web, 'vite.config.ts'), join(root, 'contract', 'src')].filter(existsSync);
  return statSync(built).mtimeMs >= Math.max(...sources.map(newestMtime));
}

export function buildWeb() {
  const vite = join(root, 'node_modules', '.bin', 'vite');
  if (!existsSync(vite)) {
    console.error('Cannot build the dashboard: vite is not installed. Run `npm install` first.');
    return false;
  }
  console.log('Building the dashboard (web/dist)...');
  const result = spawnSync(vite, ['build', '--logLevel', 'warn'], { cwd: web, stdio: 'inherit' });
  return result.status === 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ifMissing = process.argv.includes('--if-missing');
  if (ifMissing && webIsCurrent()) process.exit(0);
  if (!existsSync(join(web, 'index.html'))) {
    console.log('web/ has no app to build yet; skipping.');
    process.exit(0);
  }
  process.exit(buildWeb() ? 0 : 1);
}
