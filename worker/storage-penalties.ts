/**
 * What "penalise" means for store streams. Gossip has gossipsub's peer score; a
 * `/starweave/store/1` stream has nothing of the kind, so the worker keeps its own tally per
 * member: a few offences (bad signatures, malformed frames, answers no honest Star sends)
 * within a window make this Star ignore that member's frames for a while. The member stays
 * in the ring (membership follows presence); its requests to this Star simply time out,
 * which the core's sloppy quorum already handles.
 */
export interface PenaltyOptions {
  /** offences within `windowMs` that start a ban */
  strikes: number;
  windowMs: number;
  banMs: number;
  /** members tracked at most (the oldest are forgotten) */
  maxTracked: number;
}

export const DEFAULT_PENALTIES: PenaltyOptions = { strikes: 3, windowMs: 60_000, banMs: 5 * 60_000, maxTracked: 4_096 };

export class PenaltyBox {
  readonly #opts: PenaltyOptions;
  /** offence times within the window, oldest first */
  readonly #offences = new Map<string, number[]>();
  readonly #bannedUntil = new Map<string, number>();

  constructor(opts: Partial<PenaltyOptions> = {}) {
    this.#opts = { ...DEFAULT_PENALTIES, ...opts };
  }

  /** records an offence; true when it starts a ban */
  penalise(member: string, now: number): boolean {
    const { strikes, windowMs, banMs, maxTracked } = this.#opts;
    const times = (this.#offences.get(member) ?? []).filter((t) => now - t < windowMs);
    times.push(now);
    this.#offences.delete(member);
    this.#offences.set(member, times);
    while (this.#offences.size > maxTracked) this.#offences.delete(this.#offences.keys().next().value!);
    if (times.length < strikes || this.banned(member, now)) return false;
    this.#bannedUntil.set(member, now + banMs);
    this.#offences.delete(member);
    while (this.#bannedUntil.size > maxTracked) this.#bannedUntil.delete(this.#bannedUntil.keys().next().value!);
    return true;
  }

  banned(member: string, now: number): boolean {
    const until = this.#bannedUntil.get(member);
    if (until === undefined) return false;
    if (now < until) return true;
    this.#bannedUntil.delete(member);
    return false;
  }
}
