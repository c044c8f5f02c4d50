/**
 * Builds everything the relay serves into dist/: the wallet (vite.config.ts), /star.js,
 * /star.mjs and /star-worker.js. Skips the work when no source changed since the last build.
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import walletConfig, { libraryBuilds } from '../vite.config.ts';

const root = resolve(import.meta.dirname, '..');
const stamp = join(root, 'dist', '.build-stamp');
const inputs = ['web', 'worker', 'shared', 'public', 'vite.config.ts', 'package-lock.json', 'scripts/build.ts'];

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

const newestInput = Math.max(...inputs.map((p) => join(root, p)).filter(existsSync).map(newestMtime));
if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestInput && !process.argv.includes('--force')) {
  console.log('build: dist/ is up to date');
} else {
  const started = Date.now();
  await build({ ...walletConfig, configFile: false, build: { ...walletConfig.build, emptyOutDir: true } });
  for (const config of libraryBuilds()) await build(config);
  writeFileSync(stamp, new Date().toISOString());
  console.log(`build: dist/ built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
