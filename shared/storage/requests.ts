/**
 * The requests a StorageNode has out to other Stars, each with its deadline and what to do
 * with the answer. Bounded in all and per peer: a request that would pass a bound is not
 * sent (its caller treats it as failed at once), so a slow or silent peer cannot make this
 * Star keep unbounded state. Time is passed in; nothing here sets a timer.
 */
import type { Out } from './storage-outputs.ts';
import type { MemberId } from './types.ts';
import { expectedResponse, type StoreRequest, type StoreResponse } from './wire.ts';

/** the answer, or null when the peer did not answer in time, refused, or left the ring */
export type OnAnswer = (answer: StoreResponse | null, out: Out, now: number) => void;

interface Outstanding {
  to: MemberId;
  t: StoreRequest['t'];
  deadline: number;
  onAnswer: OnAnswer;
}

export interface RequestLimits {
  maxOutstanding: number;
  maxPerPeer: number;
}

export type Resolution = { kind: 'done' } | { kind: 'unknown' } | { kind: 'penalise'; reason: string };

export class Requests {
  readonly #limits: RequestLimits;
  readonly #pending = new Map<number, Outstanding>();
  readonly #perPeer = new Map<MemberId, number>();
  #nextId = 1;
  /** no deadline falls before this (a lower bound, so most ticks skip the scan) */
  #earliest = Infinity;

  constructor(limits: RequestLimits) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#pending.size;
  }

  outstandingTo(peer: MemberId): number {
    return this.#perPeer.get(peer) ?? 0;
  }

  /** room for one more request to `peer`? */
  canSend(peer: MemberId): boolean {
    return this.#pending.size < this.#limits.maxOutstanding && this.outstandingTo(peer) < this.#limits.maxPerPeer;
  }

  /**
   * Sends `build(id)` to `to` through `out` and remembers it until `deadline`. Returns false
   * (and sends nothing) when a bound is reached.
   */
  send(out: Out, to: MemberId, build: (id: number) => StoreRequest, deadline: number, onAnswer: OnAnswer): boolean {
    if (!this.canSend(to)) return false;
    const id = this.#nextId++;
    const msg = build(id);
    this.#pending.set(id, { to, t: msg.t, deadline, onAnswer });
    if (deadline < this.#earliest) this.#earliest = deadline;
    this.#perPeer.set(to, this.outstandingTo(to) + 1);
    out.send(to, msg);
    return true;
  }

  /** an answer from `from`: runs its handler, or says why it cannot be ours */
  resolve(from: MemberId, msg: StoreResponse, out: Out, now: number): Resolution {
    const p = this.#pending.get(msg.id);
    if (p === undefined) return { kind: 'unknown' }; // late (timed out already) or never asked: drop quietly
    if (p.to !== from) return { kind: 'penalise', reason: `answered request ${msg.id}, which was sent to another Star` };
    if (msg.t !== 'refused' && !expectedResponse(p.t).includes(msg.t)) {
      return { kind: 'penalise', reason: `answered a ${p.t} request with ${msg.t}` };
    }
    this.#forget(msg.id, p);
    p.onAnswer(msg.t === 'refused' ? null : msg, out, now);
    return { kind: 'done' };
  }

  /** runs the handlers of requests past their deadline with null */
  expire(now: number, out: Out): void {
    if (now < this.#earliest) return;
    const late: Array<[number, Outstanding]> = [];
    let earliest = Infinity;
    for (const entry of this.#pending) {
      if (entry[1].deadline <= now) late.push(entry);
      else if (entry[1].deadline < earliest) earliest = entry[1].deadline;
    }
    this.#earliest = earliest;
    for (const [id, p] of late) {
      this.#forget(id, p);
      p.onAnswer(null, out, now);
    }
  }

  /** fails every request to `peer` now (it left the ring) */
  failPeer(peer: MemberId, out: Out, now: number): void {
    const gone: Array<[number, Outstanding]> = [];
    for (const entry of this.#pending) if (entry[1].to === peer) gone.push(entry);
    for (const [id, p] of gone) {
      this.#forget(id, p);
      p.onAnswer(null, out, now);
    }
  }

  #forget(id: number, p: Outstanding): void {
    this.#pending.delete(id);
    const n = this.outstandingTo(p.to) - 1;
    if (n <= 0) this.#perPeer.delete(p.to);
    else this.#perPeer.set(p.to, n);
  }
}
