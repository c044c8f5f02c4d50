/**
 * Memory of the processes this Node process started (the browser and its renderers), as
 * proportional set size (PSS) from /proc, so pages shared between Chromium's processes are
 * counted once in total instead of once per process.
 */
import { readFileSync, readdirSync } from 'node:fs';

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may contain spaces and parentheses; fields restart after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return null;
  }
}

function pssKb(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Total PSS in MiB of every descendant of `root` (default: this process), or null off Linux. */
export function descendantsPssMb(root = process.pid): number | null {
  let pids: number[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  } catch {
    return null;
  }
  const parents = new Map(pids.map((pid) => [pid, parentOf(pid)]));
  const isDescendant = (pid: number): boolean => {
    for (let p = parents.get(pid); p != null && p > 1; p = parents.get(p) ?? null) if (p === root) return true;
    return false;
  };
  const kb = pids.filter(isDescendant).reduce((sum, pid) => sum + pssKb(pid), 0);
  return kb / 1024;
}
