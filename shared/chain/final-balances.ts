/**
 * Final balances from final half-blocks themselves, not from this Star's ledger. A Star's
 * ledger can hold the other twin of a fork than the one the Galaxy made final (it keeps
 * whichever arrived first), and it refuses the blocks that build on the winner; every Star
 * must still agree on final balances. So the effect of each final block is learned from any
 * authentic copy of it (the ledger, certified checkpoints, a Galaxy's stored certs): a copy
 * is authentic when its bytes hash to the final hash, which the caller has checked.
 *
 * Pure and bounded: effects of blocks not (yet) final are kept for the most recent
 * MAX_PENDING_EFFECTS blocks only.
 */
import { toHex } from '../codec/hex.ts';
import type { UnsignedHalfBlock } from './half-block.ts';

export const MAX_PENDING_EFFECTS = 65_536;

/** What one half-block does to its author's balance: proposals debit, agreements credit. */
export interface Effect {
  /** author's public key (hex) */
  account: string;
  delta: number;
}

export function effectOf(block: Pick<UnsignedHalfBlock, 'pk' | 'linkSeq' | 'payload'>): Effect {
  return { account: toHex(block.pk), delta: block.linkSeq === 0 ? -block.payload.amount : block.payload.amount };
}

export class FinalBalances {
  private readonly genesis: ReadonlyMap<string, number>;
  /** effects of blocks that are not final yet, oldest first */
  private readonly known = new Map<string, Effect>();
  /** every final hash; true once its effect is counted */
  private readonly final = new Map<string, boolean>();
  /** final hashes whose effect is unknown yet, with the Blackhole height that made them final */
  private readonly missing = new Map<string, number>();
  private readonly sums = new Map<string, number>();

  constructor(genesis: ReadonlyMap<string, number>) {
    this.genesis = genesis;
  }

  /** half-blocks known final */
  get finalCount(): number {
    return this.final.size;
  }

  balance(account: string): number {
    return (this.genesis.get(account) ?? 0) + (this.sums.get(account) ?? 0);
  }

  /**
   * An authentic copy of block `hash` (hex). Returns true when this counted a final block
   * whose effect was missing (the caller may want to persist it).
   */
  learn(hash: string, effect: Effect): boolean {
    const counted = this.final.get(hash);
    if (counted === true) return false;
    if (counted === false) {
      this.count(hash, effect);
      return true;
    }
    if (!this.known.has(hash)) {
      if (this.known.size >= MAX_PENDING_EFFECTS) this.known.delete(this.known.keys().next().value as string);
      this.known.set(hash, effect);
    }
    return false;
  }

  /** Block `hash` is final (under Blackhole block `height`). Returns whether its effect is known. */
  markFinal(hash: string, height: number): boolean {
    if (this.final.has(hash)) return this.final.get(hash)!;
    const effect = this.known.get(hash);
    if (effect === undefined) {
      this.final.set(hash, false);
      this.missing.set(hash, height);
      return false;
    }
    this.known.delete(hash);
    this.count(hash, effect);
    return true;
  }

  /** Whether block `hash`'s effect is held already (counted, or waiting for it to be final). */
  knows(hash: string): boolean {
    return this.final.get(hash) === true || this.known.has(hash);
  }

  isFinal(hash: string): boolean {
    return this.final.has(hash);
  }

  /** Final hashes whose effect is still unknown, with the height that made each final. */
  unresolved(): ReadonlyMap<string, number> {
    return this.missing;
  }

  private count(hash: string, effect: Effect): void {
    this.final.set(hash, true);
    this.missing.delete(hash);
    this.sums.set(effect.account, (this.sums.get(effect.account) ?? 0) + effect.delta);
  }
}
