/**
 * The Galaxy's final ledger: the account chains as the Blackhole chain has finalised them,
 * and the one deterministic function that turns a block's certified checkpoints into
 * accepted and rejected half-blocks. Every Galaxy (and a restarted or catching-up one)
 * runs exactly this on exactly the same inputs, so they all reach the same `stateRoot`.
 *
 * Rules (on top of shared/chain/ledger.ts, applied with `signatureValid: true` because a
 * facilitator quorum vouches that honest facilitators checked the signatures, and with the
 * block's agreed time as `now`, never a local clock):
 * - the checkpoints' blocks are tried in order (checkpoint by checkpoint, entries in
 *   order), over and over until a pass makes no progress, so a chain's blocks may come in
 *   any order inside one block;
 * - ok → accepted (final); `duplicate` → ignored (already final); `missing` → deferred:
 *   not in the block, the facilitators propose it again once its history is final;
 * - every other answer is rejected for good: fraud against a final block, balance, link,
 *   time… and so is every later block of a chain whose next block was rejected, and every
 *   agreement to a rejected proposal (the chain can never continue past the hole).
 */
import { decodeHalfBlock, type Decoded, type HalfBlock } from '../chain/half-block.ts';
import { Ledger } from '../chain/ledger.ts';
import { fromHex, toHex } from '../codec/hex.ts';
import type { CheckpointCert } from './checkpoint.ts';
import { merkleRoot } from './merkle.ts';
import { accountLeaf } from './state-root.ts';

/** An account as the Blackhole chain has finalised it (the fields of its state-root leaf). */
export interface AccountState {
  seq: number;
  head: Uint8Array;
  balance: number;
  blocked: boolean;
}

export interface Execution {
  accepted: Uint8Array[];
  rejected: Array<{ hash: Uint8Array; reason: string }>;
  /** blocks left for a later round (history missing) */
  deferred: number;
}

interface Item {
  hash: Uint8Array;
  id: string;
  /** decoded once: an item waiting for its history is retried on every pass */
  decoded: Decoded<HalfBlock>;
}

export class GalaxyLedger {
  readonly #ledger: Ledger;
  /** accounts in the state root: genesis allocations and every chain that has a final or a fraudulent block */
  readonly #known = new Set<string>();
  /** pk (hex) → the lowest seq refused for good: that chain cannot continue past it */
  readonly #rejectedFrom = new Map<string, number>();
  /** hashes (hex) refused for good: ignored when a checkpoint carries them again */
  readonly #rejected = new Set<string>();
  readonly #leaves = new Map<string, Uint8Array>();
  readonly #dirty = new Set<string>();

  constructor(genesis: ReadonlyMap<string, number>) {
    this.#ledger = new Ledger(new Map(genesis));
    for (const id of genesis.keys()) {
      this.#known.add(id);
      this.#dirty.add(id);
    }
  }

  account(pk: Uint8Array): AccountState | undefined {
    const id = toHex(pk);
    if (!this.#known.has(id)) return undefined;
    const head = this.#ledger.head(pk);
    return { seq: head.seq, head: head.hash, balance: this.#ledger.balance(pk), blocked: this.#ledger.isBlocked(pk) };
  }

  /** Applies a block's certs (valid, in body order) at the block's agreed `time`. */
  execute(certs: readonly CheckpointCert[], time: number): Execution {
    const out: Execution = { accepted: [], rejected: [], deferred: 0 };
    const seen = new Set<string>();
    let open: Item[] = [];
    for (const cert of certs) {
      cert.checkpoint.entries.forEach((hash, i) => {
        const id = toHex(hash);
        const bytes = cert.blocks[i];
        if (bytes === undefined || seen.has(id) || this.#rejected.has(id)) return;
        seen.add(id);
        open.push({ hash, id, decoded: decodeHalfBlock(bytes) });
      });
    }
    let progress = true;
    while (progress && open.length > 0) {
      progress = false;
      const next: Item[] = [];
      for (const item of open) {
        const r = this.#applyOne(item, time);
        if (r === 'missing') next.push(item);
        else {
          if (r === 'accepted') out.accepted.push(item.hash);
          else if (r !== 'duplicate') out.rejected.push({ hash: item.hash, reason: r.reason });
          progress = true;
        }
      }
      open = next;
    }
    out.deferred = open.length;
    return out;
  }

  #applyOne(item: Item, time: number): 'accepted' | 'missing' | 'duplicate' | { reason: string } {
    const { decoded } = item;
    if (!decoded.ok) return this.#reject(item, undefined, `undecodable: ${decoded.reason}`);
    const b = decoded.value;
    const author = toHex(b.pk);
    const from = this.#rejectedFrom.get(author);
    if (from !== undefined && b.seq >= from) return this.#reject(item, undefined, 'follows a rejected block of its chain');
    const before = this.#ledger.head(b.pk).seq;
    const next = b.seq === before + 1 ? b : undefined;
    if (b.linkSeq > 0) {
      const linkFrom = this.#rejectedFrom.get(toHex(b.linkPk));
      // judged as this chain's next block only; otherwise the ledger answers (missing, duplicate, fraud)
      if (linkFrom !== undefined && b.linkSeq >= linkFrom && next) return this.#reject(item, next, 'agrees to a rejected proposal');
    }
    const r = this.#ledger.apply(b, { signatureValid: true, now: time, hash: item.hash });
    if (r.ok) {
      this.#touch(author);
      return 'accepted';
    }
    if (r.rule === 'missing') return 'missing';
    if (r.rule === 'duplicate') return 'duplicate';
    if (r.rule === 'fraud') this.#touch(toHex(r.proof.a.pk));
    // the chain can only continue past a refused *next* block; fraud against a final block
    // leaves the final chain as it is (the ledger blocks the offender instead)
    return this.#reject(item, next, `${r.rule}: ${r.reason}`);
  }

  #reject(item: Item, nextOfChain: { pk: Uint8Array; seq: number } | undefined, reason: string): { reason: string } {
    this.#rejected.add(item.id);
    if (nextOfChain) {
      const id = toHex(nextOfChain.pk);
      const from = this.#rejectedFrom.get(id);
      if (from === undefined || nextOfChain.seq < from) this.#rejectedFrom.set(id, nextOfChain.seq);
    }
    return { reason };
  }

  #touch(id: string): void {
    this.#known.add(id);
    this.#dirty.add(id);
  }

  /** state-root.ts's root over every known account; leaves are cached and only changed ones rebuilt. */
  stateRoot(): Uint8Array {
    for (const id of this.#dirty) {
      const pk = fromHex(id)!;
      this.#leaves.set(id, accountLeaf(pk, this.account(pk)!));
    }
    this.#dirty.clear();
    const ids = [...this.#leaves.keys()].sort();
    return merkleRoot(ids.map((id) => this.#leaves.get(id)!));
  }
}
