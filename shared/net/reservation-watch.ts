/**
 * Decides when a Star connected to its relay but not reachable through it should ask for a
 * relay reservation again. Pure: the caller reports what it sees, the watch answers.
 *
 * A Star is reachable by other Stars only while the relay holds a reservation for it (its
 * `/p2p-circuit` addresses exist). libp2p's circuit relay transport asks for one when it
 * meets a relay, but if that request fails without the dial failing (the relay refused, or
 * the request timed out on a loaded machine) it does not ask again while the connection
 * stays open: the Star is connected yet unreachable for good. The only way to make it ask
 * again is a new connection, so the watch says `renew` (reconnect) after a grace period,
 * and backs off if the relay keeps refusing (it may be full).
 */
import { backoffDelay, type BackoffPolicy } from './backoff.ts';

/** A reservation normally arrives within a second; libp2p gives up on one after 20 s. */
export const RESERVATION_GRACE_MS = 30_000;
/** after a renewal that did not help: 30–60 s, then doubling up to 5 min */
export const RESERVATION_BACKOFF: BackoffPolicy = { baseMs: 60_000, maxMs: 300_000 };

/** `reachable`: a reservation is held; `waiting`: none yet, still within the grace; `renew`: reconnect now; `offline`: no relay connection */
export type ReservationVerdict = 'reachable' | 'waiting' | 'renew' | 'offline';

export interface ReservationWatchOptions {
  graceMs?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
}

export class ReservationWatch {
  readonly #graceMs: number;
  readonly #backoff: BackoffPolicy;
  readonly #random: () => number;
  /** when the current wait for a reservation ends (undefined: not waiting) */
  #deadline: number | undefined;
  /** renewals since the Star was last reachable */
  #renewals = 0;

  constructor(opts: ReservationWatchOptions = {}) {
    this.#graceMs = opts.graceMs ?? RESERVATION_GRACE_MS;
    this.#backoff = opts.backoff ?? RESERVATION_BACKOFF;
    this.#random = opts.random ?? Math.random;
  }

  /** renewals since the Star was last reachable (0 while it is) */
  get renewals(): number {
    return this.#renewals;
  }

  observe(connected: boolean, reachable: boolean, now: number): ReservationVerdict {
    if (!connected) {
      // the wait starts again on the next connection; the renewal count stays, so a relay
      // that keeps refusing is asked less and less often
      this.#deadline = undefined;
      return 'offline';
    }
    if (reachable) {
      this.#deadline = undefined;
      this.#renewals = 0;
      return 'reachable';
    }
    if (this.#deadline === undefined) {
      const wait = this.#renewals === 0 ? this.#graceMs : backoffDelay(this.#backoff, this.#renewals - 1, this.#random);
      this.#deadline = now + wait;
    }
    if (now < this.#deadline) return 'waiting';
    this.#deadline = undefined;
    this.#renewals++;
    return 'renew';
  }
}
