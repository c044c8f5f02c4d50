/**
 * `npm test`: typecheck, unit tests (node's test runner), then end-to-end tests (Playwright,
 * real Chromium tabs). Both always run; the last line sums them up for CI.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const unitGlobs = ['shared/**/*.test.ts', 'relay/**/*.test.ts', 'worker/**/*.test.ts', 'web/**/*.test.ts', 'bench/**/*.test.ts'];

function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      process.stdout.write(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
      process.stderr.write(d);
    });
    child.on('close', (code) => done({ code: code ?? 1, output }));
  });
}

const count = (output: string, re: RegExp) => Number(re.exec(output)?.[1] ?? 0);

const extra = process.argv.slice(2);
const only = extra.find((a) => a === '--unit' || a === '--e2e');
let passed = 0;
let failed = 0;
let code = 0;

if (only !== '--e2e') {
  console.log('\n== typecheck (tsc --noEmit, strict)');
  const tsc = await run(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root]);
  if (tsc.code === 0) passed++;
  else [failed, code] = [failed + 1, tsc.code];

  console.log('\n== unit tests (node --test)');
  const unit = await run(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', ...unitGlobs]);
  passed += count(unit.output, /ℹ pass (\d+)/);
  failed += count(unit.output, /ℹ fail (\d+)/);
  if (unit.code !== 0) code = unit.code;
}

if (only !== '--unit') {
  console.log('\n== end-to-end tests (Playwright, Chromium)');
  const e2e = await run(process.execPath, [resolve(root, 'node_modules/@playwright/test/cli.js'), 'test', ...extra.filter((a) => a !== '--e2e')]);
  passed += count(e2e.output, /(\d+) passed/);
  failed += count(e2e.output, /(\d+) failed/);
  if (e2e.code !== 0) code = e2e.code;
  if (e2e.code !== 0 && failed === 0) failed = 1;
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(code);
