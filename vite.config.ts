/**
 * Vite configuration of the wallet (the React app at `/`). `scripts/build.ts` also builds
 * the two library bundles the wallet does not contain: `/star.js` (+ `/star.mjs`) and
 * `/star-worker.js`; see `libraryBuilds` below.
 */
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type InlineConfig } from 'vite';
import { oneSendPerMessage } from './web/build/one-send-per-message.ts';

const root = import.meta.dirname;
const outDir = resolve(root, 'dist');
const buildOptions = { outDir, emptyOutDir: false, target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 2048 };

export default defineConfig({
  root: resolve(root, 'web/wallet'),
  publicDir: resolve(root, 'public'),
  plugins: [react(), oneSendPerMessage()],
  logLevel: 'warn',
  build: buildOptions,
});

/** The embed script and the Star core worker, each a single self-contained file. */
export function libraryBuilds(): InlineConfig[] {
  const lib = (entry: string, name: string, fileName: string, formats: Array<'iife' | 'es'>): InlineConfig => ({
    configFile: false,
    root,
    publicDir: false,
    logLevel: 'warn',
    plugins: [oneSendPerMessage()],
    build: {
      ...buildOptions,
      lib: { entry: resolve(root, entry), name, formats, fileName: (format) => (format === 'es' ? `${fileName}.mjs` : `${fileName}.js`) },
    },
  });
  return [
    lib('worker/star-worker.ts', 'StarweaveWorker', 'star-worker', ['iife']),
    lib('web/embed/star-global.ts', 'starweave', 'star', ['iife', 'es']),
  ];
}
