/**
 * A Star's view of the account chains: the pure core the worker drives. Input: half-blocks
 * from the network (with their signature verdicts, which the worker checks in batches),
 * fraud proofs, sync requests. Output: what to store, what to publish, which proposals
 * this account must countersign, and the transfer changes to show. No I/O, no clocks.
 *
 * Blocks that arrive before their history are held as orphans and retried when it comes;
 * the caller asks the peer that sent them for the history (it had it, or it could not
 * have accepted them).
 */
import { bytesEqual } from '../codec/cbor.ts';
import { toHex } from '../codec/hex.ts';
import { StarError } from '../errors.ts';
import { MAX_MEMO_CHARS, type HalfBlock, type UnsignedHalfBlock } from './half-block.ts';
import { Ledger, type FraudProof, type Rule, type StoredBlock } from './ledger.ts';
import { proposalOf, statusOf, transferOf, type FinalityLookup, type Transfer } from './transfers.ts';

export interface IncomingBlock {
  bytes: Uint8Array;
  block: HalfBlock;
  /** sha256 of `bytes` */
  hash: Uint8Array;
  signatureValid: boolean;
}

export interface LogEntry {
  pk: string;
  seq: number;
  bytes: Uint8Array;
}

export type Outcome = 'accepted' | 'duplicate' | 'missing' | 'fraud' | 'blocked' | 'invalid';

export interface IngestReport {
  outcomes: Array<{ outcome: Outcome; rule?: Rule | 'fraud'; reason?: string }>;
  /** gossip verdict for the message these blocks came in */
  verdict: 'accept' | 'reject' | 'ignore';
  /** newly stored blocks (including orphans this batch completed), in order */
  stored: LogEntry[];
  /** some blocks wait for history: ask the sender for it */
  missing: boolean;
  /** new evidence to gossip */
  proofs: Array<{ proof: FraudProof; a: Uint8Array; b: Uint8Array }>;
  /** proposals to this account that it should now countersign */
  toAgree: StoredBlock[];
  /** transfers of this account that appeared or changed */
  transfers: Transfer[];
}

export const MAX_ORPHANS = 4096;

const ACCEPTED = { outcome: 'accepted' } as const;

export class ChainEngine {
  readonly ledger: Ledger;
  readonly self: Uint8Array;
  private readonly selfHex: string;
  private readonly log: LogEntry[] = [];
  private readonly bytesByHash = new Map<string, Uint8Array>();
  private readonly orphans = new Map<string, IncomingBlock>();
  /** proposals handed out for countersigning and not yet agreed */
  private readonly agreeing = new Set<string>();
  /** half-blocks' finality (checkpoints, Blackhole chain), when the network has it */
  finality?: FinalityLookup;

  constructor(genesis: Map<string, number>, self: Uint8Array) {
    this.ledger = new Ledger(genesis);
    this.self = self;
    this.selfHex = toHex(self);
  }

  get size(): number {
    return this.log.length;
  }

  ingest(items: readonly IncomingBlock[], now: number): IngestReport {
    const report = emptyReport();
    let invalid = false;
    let accepted = false;
    for (const item of items) {
      const outcome = this.applyOne(item, now, report);
      report.outcomes.push(outcome);
      if (outcome.outcome === 'invalid') invalid = true;
      if (outcome.outcome === 'accepted') accepted = true;
      if (outcome.outcome === 'missing') {
        if (this.adopt(item, report)) {
          accepted = true;
          continue;
        }
        report.missing = true;
        if (this.orphans.size < MAX_ORPHANS) this.orphans.set(toHex(item.hash), item);
      }
    }
    if (accepted) this.retryOrphans(now, report);
    report.verdict = invalid ? 'reject' : accepted ? 'accept' : 'ignore';
    return report;
  }

  /**
   * Half-blocks that just became final (their hashes, hex): a proposal held as an orphan
   * because its sender's chain is not followed here (another cluster) is adopted now, so
   * its receiver can countersign it and the agreement can be judged.
   */
  noteFinal(ids: Iterable<string>, now: number): IngestReport {
    const report = emptyReport();
    let adopted = false;
    for (const id of ids) {
      const item = this.orphans.get(id);
      if (item && this.adopt(item, report)) {
        this.orphans.delete(id);
        adopted = true;
      }
    }
    if (adopted) this.retryOrphans(now, report);
    return report;
  }

  /** A final proposal of a chain not followed here, kept by the ledger (Ledger.adoptFinal); false when it is not one. */
  private adopt(item: IncomingBlock, report: IngestReport): boolean {
    if (!item.signatureValid || item.block.linkSeq !== 0 || this.finality?.(toHex(item.hash)) !== 'final') return false;
    const stored = this.ledger.adoptFinal(item.block, item.hash);
    if (!stored) return false;
    this.bytesByHash.set(stored.id, item.bytes);
    if (bytesEqual(item.block.linkPk, this.self)) {
      report.transfers.push(transferOf(this.ledger, stored, this.self, this.finality));
      if (!this.agreeing.has(stored.id) && statusOf(this.ledger, stored, this.finality) === 'pending') {
        this.agreeing.add(stored.id);
        report.toAgree.push(stored);
      }
    }
    return true;
  }

  /** Replays blocks this Star stored earlier (their signatures were checked before storing). */
  restore(items: readonly IncomingBlock[], now: number): IngestReport {
    return this.ingest(items, now);
  }

  /**
   * A proof from the network whose two signatures the caller verified. When it is news,
   * the offender is blocked and this account's transfers it touched are returned (now
   * rejected); otherwise undefined.
   */
  acceptProof(proof: FraudProof): Transfer[] | undefined {
    if (this.ledger.isBlocked(proof.a.pk) || !this.ledger.acceptProof(proof)) return undefined;
    const report = { transfers: [] as Transfer[] };
    this.noteBlocked(proof.a.pk, report);
    return report.transfers;
  }

  /** What this Star has, for a sync request. */
  heads(): Array<[string, number]> {
    return this.ledger.heads();
  }

  /** Blocks the asker lacks, in an order its ledger can apply them (ours was). */
  answerSync(heads: Map<string, number>, limit: number): { blocks: Uint8Array[]; more: boolean } {
    const blocks: Uint8Array[] = [];
    for (const e of this.log) {
      if (e.seq <= (heads.get(e.pk) ?? 0)) continue;
      if (blocks.length === limit) return { blocks, more: true };
      blocks.push(e.bytes);
    }
    return { blocks, more: false };
  }

  bytesOf(hash: Uint8Array): Uint8Array | undefined {
    return this.bytesByHash.get(toHex(hash));
  }

  /** This account's proposals to `receiver` still waiting for its agreement. */
  pendingTo(receiver: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const p of this.ledger.proposalsTo(receiver)) {
      if (toHex(p.block.pk) === this.selfHex && statusOf(this.ledger, p, this.finality) === 'pending') out.push(this.bytesOf(p.hash)!);
    }
    return out;
  }

  /** Incoming proposals not yet countersigned (after a restart, say). */
  unagreed(): StoredBlock[] {
    const out: StoredBlock[] = [];
    for (const p of this.ledger.proposalsTo(this.self)) {
      if (statusOf(this.ledger, p, this.finality) === 'pending' && !this.agreeing.has(p.id)) {
        this.agreeing.add(p.id);
        out.push(p);
      }
    }
    return out;
  }

  /** The next block of this account's chain proposing a transfer; checks funds first. */
  propose(to: Uint8Array, amount: number, memo: string, now: number): UnsignedHalfBlock {
    if (!Number.isSafeInteger(amount) || amount <= 0) throw new StarError('INVALID_ARGUMENT', `amount must be a positive whole number, not ${amount}`);
    if (memo.length > MAX_MEMO_CHARS) throw new StarError('INVALID_ARGUMENT', `memo is ${memo.length} characters; the limit is ${MAX_MEMO_CHARS}`);
    if (toHex(to) === this.selfHex) throw new StarError('INVALID_ADDRESS', 'that is this account’s own address: send to someone else');
    if (this.ledger.isBlocked(to)) throw new StarError('INVALID_ADDRESS', 'that account is blocked by a fraud proof; nobody will countersign for it');
    const available = this.ledger.balance(this.self);
    if (amount > available) throw new StarError('INSUFFICIENT_FUNDS', `this account has ${available} available and cannot send ${amount}; ask the faucet or wait for incoming transfers`);
    return this.next({ linkPk: to, linkSeq: 0, payload: { amount, memo } }, now);
  }

  /** The agreement block that countersigns a proposal to this account. */
  agree(proposal: StoredBlock, now: number): UnsignedHalfBlock {
    const p = proposal.block;
    return this.next({ linkPk: p.pk, linkSeq: p.seq, payload: { amount: p.payload.amount, memo: '' } }, now);
  }

  private next(fields: Pick<UnsignedHalfBlock, 'linkPk' | 'linkSeq' | 'payload'>, now: number): UnsignedHalfBlock {
    const head = this.ledger.head(this.self);
    const last = head.seq > 0 ? this.ledger.block(this.self, head.seq)!.block.time : 0;
    return { pk: this.self, seq: head.seq + 1, prev: head.hash, kind: 'transfer', time: Math.max(now, last), ...fields };
  }

  private applyOne(item: IncomingBlock, now: number, report: IngestReport): IngestReport['outcomes'][number] {
    const r = this.ledger.apply(item.block, { signatureValid: item.signatureValid, now, hash: item.hash });
    if (r.ok) {
      this.store(item, r.stored, report);
      return ACCEPTED;
    }
    if (r.rule === 'fraud') {
      const a = this.bytesOf(halfHash(this.ledger, r.proof.a)) ?? item.bytes;
      report.proofs.push({ proof: r.proof, a, b: item.bytes });
      this.noteBlocked(r.proof.a.pk, report);
      return { outcome: 'fraud', rule: 'fraud', reason: r.reason };
    }
    if (r.rule === 'duplicate') return { outcome: 'duplicate', rule: r.rule };
    if (r.rule === 'missing') return { outcome: 'missing', rule: r.rule, reason: r.reason };
    if (r.rule === 'blocked') return { outcome: 'blocked', rule: r.rule, reason: r.reason };
    return { outcome: 'invalid', rule: r.rule, reason: r.reason };
  }

  /** Transfers of this account that a newly blocked account was part of become rejected. */
  private noteBlocked(pk: Uint8Array, report: Pick<IngestReport, 'transfers'>): void {
    const id = toHex(pk);
    for (const b of this.ledger.chain(this.self)) {
      const p = proposalOf(this.ledger, b);
      if (p && (toHex(p.block.pk) === id || toHex(p.block.linkPk) === id)) report.transfers.push(transferOf(this.ledger, p, this.self, this.finality));
    }
    for (const p of this.ledger.proposalsTo(this.self)) if (toHex(p.block.pk) === id) report.transfers.push(transferOf(this.ledger, p, this.self, this.finality));
  }

  private store(item: IncomingBlock, stored: StoredBlock, report: IngestReport): void {
    const b = item.block;
    const entry = { pk: stored.author, seq: b.seq, bytes: item.bytes };
    this.log.push(entry);
    this.bytesByHash.set(stored.id, item.bytes);
    report.stored.push(entry);
    const toSelf = bytesEqual(b.linkPk, this.self);
    if (entry.pk !== this.selfHex && !toSelf) return;
    const proposal = proposalOf(this.ledger, stored);
    if (proposal) report.transfers.push(transferOf(this.ledger, proposal, this.self, this.finality));
    if (b.linkSeq === 0 && toSelf && !this.agreeing.has(stored.id) && statusOf(this.ledger, stored, this.finality) === 'pending') {
      this.agreeing.add(stored.id);
      report.toAgree.push(stored);
    }
  }

  private retryOrphans(now: number, report: IngestReport): void {
    let progress = true;
    while (progress && this.orphans.size > 0) {
      progress = false;
      for (const [id, item] of this.orphans) {
        const outcome = this.applyOne(item, now, report);
        if (outcome.outcome === 'missing') continue;
        this.orphans.delete(id);
        if (outcome.outcome === 'accepted') progress = true;
      }
    }
  }
}

function emptyReport(): IngestReport {
  return { outcomes: [], verdict: 'ignore', stored: [], missing: false, proofs: [], toAgree: [], transfers: [] };
}

function halfHash(ledger: Ledger, b: HalfBlock): Uint8Array {
  return ledger.block(b.pk, b.seq)!.hash;
}
