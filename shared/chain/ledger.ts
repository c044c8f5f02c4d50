/**
 * The account-chain state machine: it takes half-blocks one at a time (with the verdict of
 * the signature check, which the worker does in batches) and answers accepted, rejected by
 * a named rule, or fraud with a proof. Pure and synchronous, so it is unit-tested and run
 * in the simulator exactly as in the worker.
 *
 * Rules, in order: the account is not blocked; no other block holds the same (pk, seq)
 * (else: fraud); signature; sequence; previous hash; time; link; amount and memo; for a
 * proposal, the sender's balance at that point of its chain; for an agreement, the
 * proposal exists, names this account, matches the amount and was not agreed before
 * (a second agreement is fraud).
 */
import { bytesEqual } from '../codec/cbor.ts';
import { toHex as hex } from '../codec/hex.ts';
import { halfBlockHash, MAX_MEMO_CHARS, ZERO_HASH, type HalfBlock } from './half-block.ts';

/**
 * `missing` is not an offence: the block is ahead of the history this ledger has (a gap in
 * the sequence, or an agreement to a proposal not seen yet); the caller fetches the history
 * and tries again. Every other rule means the block is invalid wherever it is judged.
 */
export type Rule = 'blocked' | 'signature' | 'missing' | 'previous-hash' | 'time' | 'link' | 'amount' | 'memo' | 'balance' | 'duplicate';

export interface FraudProof {
  kind: 'double-block' | 'double-agreement';
  /** the two conflicting blocks, both signed by the offender */
  a: HalfBlock;
  b: HalfBlock;
}

export type ApplyResult =
  | { ok: true; hash: Uint8Array; stored: StoredBlock }
  | { ok: false; rule: Rule; reason: string }
  | { ok: false; rule: 'fraud'; proof: FraudProof; reason: string };

export const MAX_FUTURE_SKEW_MS = 60_000;

const key = (pk: Uint8Array, seq: number) => `${hex(pk)}:${seq}`;

interface Account {
  seq: number;
  hash: Uint8Array;
  time: number;
  /** genesis credits + agreed receipts − proposed sends */
  balance: number;
}

export interface StoredBlock {
  block: HalfBlock;
  hash: Uint8Array;
  /** hex of `hash` (the block's id) and of its author's key, computed once */
  id: string;
  author: string;
}

export class Ledger {
  private readonly accounts = new Map<string, Account>();
  private readonly blocks = new Map<string, StoredBlock>();
  private readonly byHash = new Map<string, StoredBlock>();
  /** proposals by receiver (hex pk), in arrival order */
  private readonly incoming = new Map<string, StoredBlock[]>();
  /** proposal key → the agreement that countersigned it */
  private readonly agreements = new Map<string, HalfBlock>();
  private readonly blocked = new Set<string>();
  private readonly genesis: Map<string, number>;
  /**
   * Final proposals of chains this ledger does not follow (another cluster's accounts),
   * by (pk, seq): enough to judge their receivers' agreements without the senders' history.
   */
  private readonly adopted = new Map<string, StoredBlock>();

  /** `genesis`: starting balances by public key (hex), from the network's genesis file */
  constructor(genesis: Map<string, number> = new Map()) {
    this.genesis = genesis;
  }

  balance(pk: Uint8Array): number {
    return this.accounts.get(hex(pk))?.balance ?? this.genesis.get(hex(pk)) ?? 0;
  }

  /** The account's starting balance in the genesis file (final from block 0 on). */
  genesisBalance(pk: Uint8Array): number {
    return this.genesis.get(hex(pk)) ?? 0;
  }

  head(pk: Uint8Array): { seq: number; hash: Uint8Array } {
    const a = this.accounts.get(hex(pk));
    return a ? { seq: a.seq, hash: a.hash } : { seq: 0, hash: ZERO_HASH };
  }

  isBlocked(pk: Uint8Array): boolean {
    return this.blocked.has(hex(pk));
  }

  /** The agreement that countersigned a proposal, if any. */
  agreementFor(proposerPk: Uint8Array, seq: number): HalfBlock | undefined {
    return this.agreements.get(key(proposerPk, seq));
  }

  /** A block by its hash (hex), e.g. a transfer id. */
  byId(id: string): StoredBlock | undefined {
    return this.byHash.get(id);
  }

  /** The block at (pk, seq): of a followed chain, or an adopted final proposal (adoptFinal). */
  block(pk: Uint8Array, seq: number): StoredBlock | undefined {
    const k = key(pk, seq);
    return this.blocks.get(k) ?? this.adopted.get(k);
  }

  /** The account's chain, oldest first. */
  chain(pk: Uint8Array): StoredBlock[] {
    const out: StoredBlock[] = [];
    for (let seq = 1; ; seq++) {
      const b = this.blocks.get(key(pk, seq));
      if (!b) return out;
      out.push(b);
    }
  }

  /** Proposals that name this account as receiver, agreed or not. */
  proposalsTo(pk: Uint8Array): readonly StoredBlock[] {
    return this.incoming.get(hex(pk)) ?? [];
  }

  /** Every account this ledger has a chain for, with its head sequence number. */
  heads(): Array<[string, number]> {
    return [...this.accounts].map(([id, a]) => [id, a.seq]);
  }

  /**
   * `hash` may be passed when the caller already has it (hashing the received canonical
   * bytes), so the block is not encoded again on the hot path.
   */
  apply(block: HalfBlock, check: { signatureValid: boolean; now: number; hash?: Uint8Array }): ApplyResult {
    const id = hex(block.pk);
    if (this.blocked.has(id)) return { ok: false, rule: 'blocked', reason: 'this account is blocked by a fraud proof' };
    if (!check.signatureValid) return { ok: false, rule: 'signature', reason: 'the signature does not verify' };

    const hash = check.hash ?? halfBlockHash(block);
    const blockKey = `${id}:${block.seq}`;
    const existing = this.blocks.get(blockKey);
    if (existing) {
      if (bytesEqual(existing.hash, hash)) return { ok: false, rule: 'duplicate', reason: 'already have this block' };
      return this.fraud({ kind: 'double-block', a: existing.block, b: block }, 'two different blocks at one (pk, seq)');
    }
    // an adopted final proposal whose chain this ledger now follows: applied like any
    // block below (the account moves on), without listing the proposal twice
    const adopted = this.adopted.get(blockKey);
    if (adopted && !bytesEqual(adopted.hash, hash)) return this.fraud({ kind: 'double-block', a: adopted.block, b: block }, 'two different blocks at one (pk, seq)');

    const account = this.accounts.get(id) ?? { seq: 0, hash: ZERO_HASH, time: 0, balance: this.genesis.get(id) ?? 0 };
    if (block.seq !== account.seq + 1) return { ok: false, rule: 'missing', reason: `seq ${block.seq} arrived before seq ${account.seq + 1}: history missing` };
    if (!bytesEqual(block.prev, account.hash)) return { ok: false, rule: 'previous-hash', reason: 'prev is not the hash of the previous block' };
    if (block.time < account.time || block.time > check.now + MAX_FUTURE_SKEW_MS) {
      return { ok: false, rule: 'time', reason: 'time goes backwards or is in the future' };
    }
    if (bytesEqual(block.linkPk, block.pk)) return { ok: false, rule: 'link', reason: 'an account cannot transfer to itself' };
    const { amount, memo } = block.payload;
    if (!Number.isSafeInteger(amount) || amount <= 0) return { ok: false, rule: 'amount', reason: 'amount must be a positive whole number' };
    if (memo.length > MAX_MEMO_CHARS) return { ok: false, rule: 'memo', reason: `memo is longer than ${MAX_MEMO_CHARS} characters` };

    let delta: number;
    if (block.linkSeq === 0) {
      if (amount > account.balance) {
        return { ok: false, rule: 'balance', reason: `sends ${amount} with a balance of ${account.balance} at this point of the chain` };
      }
      delta = -amount;
    } else {
      const proposalKey = key(block.linkPk, block.linkSeq);
      const proposal = (this.blocks.get(proposalKey) ?? this.adopted.get(proposalKey))?.block;
      if (!proposal) return { ok: false, rule: 'missing', reason: 'the proposal this agreement names has not arrived yet' };
      if (proposal.linkSeq !== 0 || !bytesEqual(proposal.linkPk, block.pk)) {
        return { ok: false, rule: 'link', reason: 'the named block is not a proposal to this account' };
      }
      if (proposal.payload.amount !== amount) return { ok: false, rule: 'amount', reason: 'amount differs from the proposal' };
      const earlier = this.agreements.get(proposalKey);
      if (earlier) return this.fraud({ kind: 'double-agreement', a: earlier, b: block }, 'two agreements to one proposal');
      this.agreements.set(proposalKey, block);
      delta = amount;
    }

    const stored = { block, hash, id: hex(hash), author: id };
    this.blocks.set(blockKey, stored);
    this.byHash.set(stored.id, stored);
    if (adopted) {
      this.adopted.delete(blockKey);
      const list = this.incoming.get(hex(block.linkPk));
      const at = list?.indexOf(adopted) ?? -1;
      if (list && at >= 0) list[at] = stored;
    } else if (block.linkSeq === 0) {
      const to = hex(block.linkPk);
      const list = this.incoming.get(to);
      if (list) list.push(stored);
      else this.incoming.set(to, [stored]);
    }
    this.accounts.set(id, { seq: block.seq, hash, time: block.time, balance: account.balance + delta });
    return { ok: true, hash, stored };
  }

  /**
   * A proposal the network has made final (a verified Blackhole block lists `hash`), from a
   * chain this ledger does not follow: another cluster's account paying someone here. It is
   * kept without its author's history, so its receiver may countersign it and that
   * agreement can be judged; the author's balance and head are not touched. The caller has
   * checked the signature and the finality. Undefined when it is not a proposal, or the
   * ledger holds that slot already.
   */
  adoptFinal(block: HalfBlock, hash: Uint8Array): StoredBlock | undefined {
    if (block.linkSeq !== 0) return undefined;
    const id = hex(block.pk);
    const blockKey = `${id}:${block.seq}`;
    if (this.blocks.has(blockKey) || this.adopted.has(blockKey)) return undefined;
    const stored = { block, hash, id: hex(hash), author: id };
    this.adopted.set(blockKey, stored);
    this.byHash.set(stored.id, stored);
    const to = hex(block.linkPk);
    const list = this.incoming.get(to);
    if (list) list.push(stored);
    else this.incoming.set(to, [stored]);
    return stored;
  }

  /**
   * A fraud proof from the network: checked here (the caller has verified both signatures)
   * and, if it holds, the offender is blocked for good.
   */
  acceptProof(proof: FraudProof): boolean {
    if (!checkProof(proof)) return false;
    this.blocked.add(hex(proof.a.pk));
    return true;
  }

  private fraud(proof: FraudProof, reason: string): ApplyResult {
    this.blocked.add(hex(proof.a.pk));
    return { ok: false, rule: 'fraud', proof, reason };
  }
}

/** Whether two blocks really conflict (signatures are the caller's to verify). */
export function checkProof(proof: FraudProof): boolean {
  const { a, b } = proof;
  if (!bytesEqual(a.pk, b.pk) || bytesEqual(halfBlockHash(a), halfBlockHash(b))) return false;
  if (proof.kind === 'double-block') return a.seq === b.seq;
  return a.linkSeq > 0 && a.linkSeq === b.linkSeq && bytesEqual(a.linkPk, b.linkPk);
}
