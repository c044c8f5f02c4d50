/**
 * Exponential backoff with "full jitter" (AWS architecture blog): the n-th retry waits a
 * random time in [base·2^n / 2, base·2^n], capped. Jitter keeps a hundred tabs that lost
 * the same relay from reconnecting in lockstep.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const RELAY_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 15_000 };

/** Delay before retry number `attempt` (0-based). `random` is injected so tests are exact. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
