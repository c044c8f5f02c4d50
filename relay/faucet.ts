/**
 * The dev network's faucet: an ordinary account, funded by the genesis file, whose chain
 * the relay signs. `pay` proposes a transfer to the asking account; the Star countersigns it
 * like any other transfer. The faucet knows only its own chain (its balance only goes down,
 * so it needs no one else's) and answers sync requests for it.
 *
 * The one thing it must never do is sign two blocks at one seq (a fork: every Star would
 * block the faucet by fraud proof). So payouts run one at a time, and each block is stored
 * before it is handed out; a block that could not be stored is never handed out, and the
 * faucet stops until a restart reloads the chain from the store.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { addressFromPublicKey, publicKeyFromAddress } from '../shared/chain/address.ts';
import { ChainEngine, type IncomingBlock } from '../shared/chain/chain-engine.ts';
import { decodeHalfBlock, encodeHalfBlock, signingBytes, type HalfBlock, type UnsignedHalfBlock } from '../shared/chain/half-block.ts';
import { bytesEqual } from '../shared/codec/cbor.ts';
import { toHex } from '../shared/codec/hex.ts';
import type { Signer } from '../shared/crypto/signer.ts';
import { StarError } from '../shared/errors.ts';
import type { FaucetStore } from './faucet-store.ts';

export const FAUCET_MEMO = 'faucet';

export interface Payout {
  /** hex sha256 of the block: the transfer's id */
  id: string;
  amount: number;
  seq: number;
  /** the signed proposal, canonical bytes */
  bytes: Uint8Array;
}

export interface FaucetOptions {
  /** starting balances by public key (hex) */
  genesis: Map<string, number>;
  signer: Signer;
  store: FaucetStore;
  amount: number;
  /** one payout per account per interval */
  intervalMs: number;
}

/** The faucet asked for too soon; `retryAfterMs` says when the next payout is possible. */
export class RateLimitedError extends StarError {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number) {
    super('RATE_LIMITED', message);
    this.retryAfterMs = retryAfterMs;
  }
}

/** The faucet cannot pay anyone (not funded in genesis, run dry, or its store failed): HTTP 503. */
export class FaucetUnavailableError extends Error {
  readonly code = 'FAUCET_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'FaucetUnavailableError';
  }
}

/** Rate-limit entries are pruned once there are this many. */
const PRUNE_AT = 10_000;

export class Faucet {
  readonly address: string;
  readonly amount: number;
  readonly intervalMs: number;
  private readonly engine: ChainEngine;
  private readonly signer: Signer;
  private readonly store: FaucetStore;
  /** why the faucet cannot pay, or undefined when it can */
  private unavailable: string | undefined;
  /** last payout time by receiver (hex pk) */
  private readonly lastPaid = new Map<string, number>();
  /** the tail of the payout queue: one payout at a time, so no two take the same seq */
  private queue: Promise<unknown> = Promise.resolve();

  /** Restores the faucet's chain from the store; throws if the store does not fit the key or genesis. */
  constructor(opts: FaucetOptions, now: number) {
    this.signer = opts.signer;
    this.store = opts.store;
    this.amount = opts.amount;
    this.intervalMs = opts.intervalMs;
    this.address = addressFromPublicKey(opts.signer.pk);
    this.engine = new ChainEngine(opts.genesis, opts.signer.pk);
    if (!opts.genesis.has(toHex(opts.signer.pk))) {
      this.unavailable = `the faucet account ${this.address} has no allocation in this network's genesis file, so it has nothing to pay out`;
      return;
    }
    this.restore(now);
  }

  get enabled(): boolean {
    return this.unavailable === undefined;
  }

  /** Why the faucet cannot pay, when it cannot. */
  get disabledReason(): string | undefined {
    return this.unavailable;
  }

  /** Blocks of the faucet's chain so far. */
  get seq(): number {
    return this.engine.ledger.head(this.signer.pk).seq;
  }

  get balance(): number {
    return this.engine.ledger.balance(this.signer.pk);
  }

  /** The faucet's blocks a Star lacks, for the chain-sync protocol. */
  answerSync(heads: Map<string, number>, limit: number): { blocks: Uint8Array[]; more: boolean } {
    return this.engine.answerSync(heads, limit);
  }

  /**
   * Pays `amount` to `address`. Throws INVALID_ADDRESS (a StarError), RateLimitedError or
   * FaucetUnavailableError. The answer's block is stored; the caller gossips it.
   */
  pay(address: string, now: number): Promise<Payout> {
    if (this.unavailable !== undefined) return Promise.reject(new FaucetUnavailableError(this.unavailable));
    let to: Uint8Array;
    try {
      to = publicKeyFromAddress(address);
    } catch (err) {
      return Promise.reject(err);
    }
    if (bytesEqual(to, this.signer.pk)) {
      return Promise.reject(new StarError('INVALID_ADDRESS', 'that is the faucet’s own address: ask with the address of the account to credit'));
    }
    const job = this.queue.then(() => this.payNow(to, now));
    this.queue = job.catch(() => undefined);
    return job;
  }

  private async payNow(to: Uint8Array, now: number): Promise<Payout> {
    if (this.unavailable !== undefined) throw new FaucetUnavailableError(this.unavailable);
    const id = toHex(to);
    const last = this.lastPaid.get(id);
    if (last !== undefined && now - last < this.intervalMs) {
      const retryAfterMs = last + this.intervalMs - now;
      throw new RateLimitedError(`The faucet paid this account less than ${describeInterval(this.intervalMs)} ago; try again in ${Math.ceil(retryAfterMs / 1000)} s`, retryAfterMs);
    }
    let unsigned: UnsignedHalfBlock;
    try {
      unsigned = this.engine.propose(to, this.amount, FAUCET_MEMO, now);
    } catch (err) {
      if (err instanceof StarError && err.code === 'INSUFFICIENT_FUNDS') {
        throw new FaucetUnavailableError(`the faucet has run dry (${this.balance} left, a payout is ${this.amount}); start a new dev network or lower --faucet-amount`);
      }
      throw err;
    }
    const block: HalfBlock = { ...unsigned, sig: await this.signer.sign(signingBytes(unsigned)) };
    const bytes = encodeHalfBlock(block);
    const hash = sha256(bytes);
    // the ledger checks the block like any Star will; a refusal here is a bug, and the
    // block is dropped unseen, so no fork
    const report = this.engine.ingest([{ bytes, block, hash, signatureValid: true }], now);
    const outcome = report.outcomes[0];
    if (outcome?.outcome !== 'accepted') throw new Error(`the faucet's own block ${block.seq} was refused by its ledger: ${outcome?.reason ?? outcome?.outcome}`);
    try {
      this.store.append(block.seq, bytes);
    } catch (err) {
      // the engine is now ahead of the store; this block is never handed out, and after a
      // restart the faucet continues from the store, so its next block takes this seq
      this.unavailable = `the faucet could not store block ${block.seq} in ${this.store.path} (${(err as Error).message}); fix the disk and restart the relay`;
      throw new FaucetUnavailableError(this.unavailable);
    }
    this.lastPaid.set(id, now);
    this.prune(now);
    return { id: toHex(hash), amount: this.amount, seq: block.seq, bytes };
  }

  private restore(now: number): void {
    const rows = this.store.all();
    const items: IncomingBlock[] = rows.map((row) => {
      const decoded = decodeHalfBlock(row.bytes);
      if (!decoded.ok) throw new Error(`faucet db ${this.store.path}: block ${row.seq} does not decode (${decoded.reason})`);
      const block = decoded.value;
      if (block.seq !== row.seq) throw new Error(`faucet db ${this.store.path}: the row for seq ${row.seq} holds block ${block.seq}`);
      if (!bytesEqual(block.pk, this.signer.pk)) {
        throw new Error(`faucet db ${this.store.path} holds the chain of ${addressFromPublicKey(block.pk)}, not of this faucet key (${this.address}); use the key file that belongs to it`);
      }
      return { bytes: row.bytes, block, hash: sha256(row.bytes), signatureValid: true };
    });
    const report = this.engine.restore(items, now);
    report.outcomes.forEach((o, i) => {
      if (o.outcome !== 'accepted') {
        throw new Error(
          `faucet db ${this.store.path}: block ${rows[i]?.seq} does not continue the faucet's chain on this genesis (${o.reason ?? o.outcome}). ` +
            'The db, the key file and the genesis file belong together: restore the right ones, or move all three away to start a new dev network.',
        );
      }
    });
    // restarts do not reset the rate limit: it is in the chain
    for (const { block } of items) this.lastPaid.set(toHex(block.linkPk), block.time);
  }

  private prune(now: number): void {
    if (this.lastPaid.size < PRUNE_AT) return;
    for (const [id, t] of this.lastPaid) if (now - t >= this.intervalMs) this.lastPaid.delete(id);
  }
}

/** "a minute", "5 minutes", "30 s": how the rate-limit message names the interval. */
export function describeInterval(ms: number): string {
  if (ms % 60_000 === 0) return ms === 60_000 ? 'a minute' : `${ms / 60_000} minutes`;
  if (ms % 1000 === 0) return ms === 1000 ? 'a second' : `${ms / 1000} s`;
  return `${ms} ms`;
}
