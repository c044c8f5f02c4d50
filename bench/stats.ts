/** Percentiles and a results file shared by the benchmarks. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const RESULTS_FILE = resolve(import.meta.dirname, 'results.json');

/** Merges one benchmark's section into bench/results.json (other sections are kept). */
export function writeSection(name: string, section: unknown): void {
  const current = existsSync(RESULTS_FILE) ? (JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Record<string, unknown>) : {};
  current[name] = section;
  writeFileSync(RESULTS_FILE, JSON.stringify(current, null, 2) + '\n');
}
