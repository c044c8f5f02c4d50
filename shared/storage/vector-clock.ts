/**
 * Vector clocks: ordering, merge, and the reconciliation of a key's versions into siblings.
 *
 * A clock is a plain object writer → counter; an absent entry is 0, so `{a: 0}` and `{}` are
 * the same clock. Nothing here mutates its inputs: clocks travel inside signed records, and a
 * clock changed in place would no longer match its signature. Entries are read with
 * Object.hasOwn so a writer id such as "__proto__" or "toString" is just another writer.
 */
import type { ClockOrder, VectorClock } from './types.ts';

function entry(clock: VectorClock, writer: string): number {
  return Object.hasOwn(clock, writer) ? clock[writer]! : 0;
}

/** 'before': a happened before b (a ≤ b entry-wise, not equal); 'concurrent': neither covers the other */
export function compareClocks(a: VectorClock, b: VectorClock): ClockOrder {
  let aLess = false;
  let aMore = false;
  for (const w of Object.keys(a)) {
    const x = a[w]!, y = entry(b, w);
    if (x < y) aLess = true;
    else if (x > y) aMore = true;
  }
  // writers only b knows: a has 0 there
  for (const w of Object.keys(b)) {
    if (!Object.hasOwn(a, w) && b[w]! > 0) aLess = true;
  }
  if (aLess && aMore) return 'concurrent';
  if (aLess) return 'before';
  if (aMore) return 'after';
  return 'equal';
}

/**
 * A clock with the given entries, writers in sorted order and zero entries left out, so equal
 * clocks come out as equal objects whatever order their writers were met in.
 */
function canonical(entries: Map<string, number>): VectorClock {
  const out: Record<string, number> = {};
  for (const w of [...entries.keys()].sort()) {
    const n = entries.get(w)!;
    // defineProperty: plain assignment to "__proto__" would set the prototype instead
    if (n > 0) Object.defineProperty(out, w, { value: n, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** entry-wise maximum */
export function mergeClocks(...clocks: VectorClock[]): VectorClock {
  const max = new Map<string, number>();
  for (const c of clocks) {
    for (const w of Object.keys(c)) {
      const n = c[w]!;
      if (n > (max.get(w) ?? 0)) max.set(w, n);
    }
  }
  return canonical(max);
}

/** a new clock with writer's entry one higher */
export function incrementClock(clock: VectorClock, writer: string): VectorClock {
  if (typeof writer !== 'string' || writer === '') throw new TypeError('a vector clock writer id must be a non-empty string');
  const next = new Map<string, number>();
  for (const w of Object.keys(clock)) next.set(w, clock[w]!);
  next.set(writer, entry(clock, writer) + 1);
  return canonical(next);
}

/**
 * The versions no other version supersedes, each once (equal clocks with equal digests are one
 * version; equal clocks with different digests are both kept: a writer that reused a clock).
 * `digest` identifies a version (the record's hash, hex).
 *
 * Survivors keep the order of their first appearance in `versions`. Quadratic in the number of
 * versions, which is the handful of siblings one key has, not a store.
 */
export function reconcile<T>(versions: readonly T[], clockOf: (v: T) => VectorClock, digest: (v: T) => string): T[] {
  const unique: T[] = [];
  const seen = new Set<string>();
  for (const v of versions) {
    const d = digest(v);
    if (seen.has(d)) continue;
    seen.add(d);
    unique.push(v);
  }
  const clocks = unique.map(clockOf);
  return unique.filter((_, i) => !clocks.some((other, j) => j !== i && compareClocks(clocks[i]!, other) === 'before'));
}
