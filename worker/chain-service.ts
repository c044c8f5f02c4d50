/**
 * The worker's account-chain adapter: drives the pure ChainEngine with real keys,
 * IndexedDB and the network outputs. Every block from the network is decoded and its
 * signature checked here before the engine judges it; nothing is stored or forwarded
 * before that. This account's own blocks are written to IndexedDB before they are
 * published, so a crash can never make it sign two blocks at one sequence number.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { InboxMessage, StorageStats } from '../shared/api.ts';
import { bytesEqual } from '../shared/codec/cbor.ts';
import { addressFromPublicKey, publicKeyFromAddress } from '../shared/chain/address.ts';
import { ChainEngine, type IngestReport } from '../shared/chain/chain-engine.ts';
import { decodeChainMessage, encodeChainMessage, gossipBlockMessages, GOSSIP_LIMITS, MAX_GOSSIP_BLOCKS, MAX_PROOFS, STREAM_LIMITS, type ProofBytes } from '../shared/chain/chain-message.ts';
import { answerSyncRequest, EMPTY_SYNC_ANSWER } from '../shared/chain/chain-sync.ts';
import { decodeHalfBlock, encodeHalfBlock, signingBytes, type HalfBlock, type UnsignedHalfBlock } from '../shared/chain/half-block.ts';
import { checkProof, type FraudProof, type StoredBlock } from '../shared/chain/ledger.ts';
import { decodePresence, encodePresence, presenceSigningBytes, PresenceTable } from '../shared/chain/presence.ts';
import { balanceOf, historyOf, proposalOf, statusOf, transferOf, type Balance, type FinalityLookup, type Transfer, type TransferStatus } from '../shared/chain/transfers.ts';
import { fromHex, toHex } from '../shared/codec/hex.ts';
import { Ed25519Verifier } from '../shared/crypto/ed25519.ts';
import type { Signer } from '../shared/crypto/signer.ts';
import { StarError } from '../shared/errors.ts';
import { CHAIN_TOPIC } from '../shared/gossip/topics.ts';
import type { Verdict } from '../shared/gossip/validate.ts';
import { intakeBlocks } from './block-intake.ts';
import type { StarDb } from './star-db.ts';

/** What the worker asks the main thread (the network adapter) to do. */
export interface CoreOutputs {
  publish(topic: string, bytes: Uint8Array): void;
  /** open TRANSFER_PROTOCOL to this peer, send `bytes`, hand the answer to `ingestAnswer` */
  deliver(peerId: string, addrs: string[], bytes: Uint8Array): void;
  /** ask this peer for the history we lack (SYNC_PROTOCOL with `syncRequest()`) */
  sync(peerId: string): void;
  transfer(t: Transfer): void;
  /** a fraud proof blocked an account */
  fraud(address: string): void;
  /**
   * storage shards (worker/storage-service.ts): frames for this peer's `/starweave/store/1`
   * stream, each an encodeStoreMessage (shared/storage/wire.ts) of one store message; one call
   * per peer per step. `addrs`: its presence addresses, to dial it when not connected.
   */
  storeSend(peerId: string, addrs: string[], frames: Uint8Array[]): void;
  /** a message from this account's inbox (`star.on('message')`), raised once per id */
  message(m: InboxMessage): void;
  /** what this Star holds for the network changed (at most twice a second), or the quota filled up */
  storage(stats: StorageStats): void;
  /**
   * This Star's cluster, at start and whenever a Blackhole block moves it: be in that
   * cluster's round and checkpoint topics (roundTopic, checkpointTopic) and no other's.
   */
  cluster?(cluster: number): void;
}

export interface GossipItem {
  bytes: Uint8Array;
  /** the peer that forwarded it (asked for history when blocks arrive early) */
  from: string;
}

/** How finality (worker/finality-service.ts) plugs into the chains; all optional. */
export interface ChainHooks {
  /** a half-block's finality state by hash (hex) */
  finality?: FinalityLookup;
  /** an account's final balance, when it is known better than this ledger's view */
  finalBalance?(account: string): number;
  /** blocks newly stored in the ledger (those replayed at start included), in order */
  stored?(blocks: readonly StoredBlock[]): void;
  /** a proposal to an account that is not online: leave it in that account's inbox */
  inbox?(receiver: Uint8Array, proposal: Uint8Array): void;
}

/** a receiver's presence re-triggers delivery of pending proposals at most this often */
const REDELIVER_MS = 10_000;

export class ChainService {
  readonly engine: ChainEngine;
  readonly address: string;
  private readonly signer: Signer;
  private readonly db: StarDb;
  private readonly out: CoreOutputs;
  private readonly verifier = new Ed25519Verifier();
  /** who is online: also the storage ring's membership (worker/storage-service.ts) */
  readonly presence = new PresenceTable();
  /** what this Star's presence says for the storage shards (setStorageInfo) */
  private storageInfo: { capacity: number; readerKey: Uint8Array | null } = { capacity: 1, readerKey: null };
  private readonly lastDelivery = new Map<string, number>();
  /** appends to this account's chain, one at a time */
  private ownChain: Promise<unknown> = Promise.resolve();
  /** appends queued or running: the blocks of one burst leave together when the last is done */
  private appending = 0;
  /** this account's stored blocks not gossiped yet, and the online receivers not yet sent theirs */
  private unpublished: Uint8Array[] = [];
  private readonly undelivered = new Map<string, Uint8Array>();
  /** agreements being signed, by proposal id, so a transfer delivery can wait for its answer */
  private readonly agreements = new Map<string, Promise<Uint8Array | undefined>>();
  /** every fraud proof this Star holds, handed to whoever syncs from it */
  private readonly proofs: ProofBytes[] = [];
  private readonly hooks: ChainHooks;

  private constructor(signer: Signer, genesis: Map<string, number>, db: StarDb, out: CoreOutputs, hooks: ChainHooks) {
    this.signer = signer;
    this.address = addressFromPublicKey(signer.pk);
    this.engine = new ChainEngine(genesis, signer.pk);
    if (hooks.finality) this.engine.finality = hooks.finality;
    this.db = db;
    this.out = out;
    this.hooks = hooks;
  }

  /** Loads what this Star stored (proofs first, then blocks in their stored order). */
  static async open(signer: Signer, genesis: Map<string, number>, db: StarDb, out: CoreOutputs, now: number, hooks: ChainHooks = {}): Promise<ChainService> {
    const s = new ChainService(signer, genesis, db, out, hooks);
    for (const p of await db.getAll('proofs')) {
      const a = decodeHalfBlock(p.a);
      const b = decodeHalfBlock(p.b);
      if (a.ok && b.ok && s.engine.acceptProof({ kind: p.kind, a: a.value, b: b.value })) s.proofs.push({ kind: p.kind, a: p.a, b: p.b });
    }
    const stored = await db.getAll('blocks');
    const blocks = [];
    for (const { bytes } of stored) {
      const d = decodeHalfBlock(bytes);
      if (d.ok) blocks.push({ bytes, block: d.value, hash: sha256(bytes), signatureValid: true });
    }
    s.noteStored(s.engine.restore(blocks, now));
    return s;
  }

  /** After start: countersign anything that arrived for us while we were away. */
  agreeToWaiting(now: number): void {
    for (const p of this.engine.unagreed()) this.agreeTo(p, now);
  }

  // ---- from the network -------------------------------------------------------------

  /** One verdict per gossip message on CHAIN_TOPIC, the whole batch judged at once. */
  async judgeGossip(items: readonly GossipItem[], now: number): Promise<Verdict[]> {
    const verdicts: Verdict[] = [];
    for (const item of items) {
      const m = decodeChainMessage(item.bytes, GOSSIP_LIMITS);
      if (!m.ok || m.value.t === 'sync') {
        verdicts.push('reject');
        continue;
      }
      if (m.value.t === 'fraud') {
        verdicts.push(await this.judgeProof(m.value.kind, m.value.a, m.value.b));
        continue;
      }
      const report = await this.ingestBytes(m.value.blocks, now);
      if (report.malformed) verdicts.push('reject');
      else verdicts.push(report.verdict);
      if (report.missing) this.askForHistory(item.from, report, now);
    }
    return verdicts;
  }

  /** A sync or delivery answer from `peer` (a stream, not gossip). Returns whether more is waiting. */
  async ingestAnswer(bytes: Uint8Array, peer: string, now: number): Promise<{ more: boolean; stored: number }> {
    const m = decodeChainMessage(bytes, STREAM_LIMITS);
    if (!m.ok || m.value.t !== 'blocks') return { more: false, stored: 0 };
    for (const p of m.value.proofs) await this.judgeProof(p.kind, p.a, p.b);
    const report = await this.ingestBytes(m.value.blocks, now);
    if (report.missing && !m.value.more) this.askForHistory(peer, report, now);
    return { more: m.value.more && report.stored.length > 0, stored: report.stored.length };
  }

  /** TRANSFER_PROTOCOL: proposals delivered to this account; answers with our agreements. */
  async answerDelivery(bytes: Uint8Array, peer: string, now: number): Promise<Uint8Array> {
    const m = decodeChainMessage(bytes, GOSSIP_LIMITS);
    if (!m.ok || m.value.t !== 'blocks') return EMPTY_SYNC_ANSWER;
    const report = await this.ingestBytes(m.value.blocks, now);
    if (report.missing) this.askForHistory(peer, report, now);
    const answers: Uint8Array[] = [];
    for (const raw of m.value.blocks) {
      const id = toHex(sha256(raw));
      const signing = this.agreements.get(id);
      const agreement = signing ? await signing : this.agreementBytes(id);
      if (agreement) answers.push(agreement);
    }
    return encodeChainMessage({ t: 'blocks', blocks: answers, more: false, proofs: [] });
  }

  /** A proposal to this account found in its inbox: judged and countersigned like a delivered one. */
  async ingestProposal(bytes: Uint8Array, now: number): Promise<void> {
    const report = await this.ingestBytes([bytes], now);
    const outcome = report.outcomes[0];
    if (outcome && outcome.outcome !== 'accepted' && outcome.outcome !== 'duplicate') console.info('starweave: a proposal from the inbox was not taken:', outcome.outcome, outcome.reason);
  }

  /** SYNC_PROTOCOL: the blocks the asker lacks. */
  answerSync(bytes: Uint8Array): Uint8Array {
    return answerSyncRequest(bytes, this.engine, this.proofs.slice(0, MAX_PROOFS));
  }

  syncRequest(): Uint8Array {
    const heads = this.engine.heads().map(([pk, seq]) => [fromHex(pk)!, seq] as [Uint8Array, number]);
    return encodeChainMessage({ t: 'sync', heads });
  }

  async judgePresence(bytes: Uint8Array, now: number): Promise<Verdict> {
    const d = decodePresence(bytes, now);
    if (!d.ok) return 'reject';
    const p = d.value;
    const { pk, sig, ...rest } = p;
    if (!(await this.verifier.verify({ pk, message: presenceSigningBytes({ pk, ...rest }), sig }))) return 'reject';
    if (!this.presence.offer(p)) return 'ignore';
    this.deliverPendingTo(pk, now);
    return 'accept';
  }

  // ---- this account -----------------------------------------------------------------

  async transfer(to: string, amount: number, memo: string, now: number): Promise<{ id: string }> {
    const toPk = publicKeyFromAddress(to);
    if (this.engine.ledger.isBlocked(this.signer.pk)) {
      throw new StarError('ACCOUNT_BLOCKED', 'this account signed two conflicting blocks (a fraud proof exists), so every Star refuses its transfers; restore a different account');
    }
    // online: delivered straight away (with the rest of the burst); away: also left in its
    // inbox, so it is countersigned when it returns even if this Star has closed by then
    const bytes = await this.appendOwn(() => this.engine.propose(toPk, amount, memo, now), now, (bytes) => {
      if (this.presence.get(toPk, now)) this.undelivered.set(toHex(toPk), toPk);
      else this.hooks.inbox?.(toPk, bytes);
    });
    return { id: toHex(sha256(bytes)) };
  }

  status(id: string): TransferStatus {
    const stored = this.engine.ledger.byId(id);
    if (!stored || stored.block.linkSeq !== 0) throw new StarError('UNKNOWN_TRANSFER', `no transfer with id ${id} is known to this Star; ids are the hex hashes transfer() returns`);
    return statusOf(this.engine.ledger, stored, this.hooks.finality);
  }

  balance(address?: string): Balance {
    const pk = address === undefined ? this.signer.pk : publicKeyFromAddress(address);
    return balanceOf(this.engine.ledger, pk, this.hooks.finality, this.hooks.finalBalance);
  }

  history(limit?: number): Transfer[] {
    return historyOf(this.engine.ledger, this.signer.pk, this.hooks.finality, limit);
  }

  /** Half-blocks changed finality state: this account's transfers they belong to are shown again. */
  noteFinality(hashes: readonly string[]): void {
    // another cluster's proposal, held for want of its sender's history, may be final now:
    // adopted, and countersigned when it pays this account
    const now = Date.now();
    const adopted = this.engine.noteFinal(hashes, now);
    if (adopted.stored.length > 0 || adopted.transfers.length > 0 || adopted.toAgree.length > 0) {
      void this.apply(adopted, now).catch((err: unknown) => console.warn('starweave: cannot take a final proposal from another cluster', err));
    }
    const ledger = this.engine.ledger;
    const self = toHex(this.signer.pk);
    const shown = new Set<string>();
    for (const id of hashes) {
      const stored = ledger.byId(id);
      if (!stored || (stored.author !== self && !bytesEqual(stored.block.linkPk, this.signer.pk))) continue;
      const proposal = proposalOf(ledger, stored);
      if (!proposal || shown.has(proposal.id)) continue;
      shown.add(proposal.id);
      this.out.transfer(transferOf(ledger, proposal, this.signer.pk, this.hooks.finality));
    }
  }

  isBlocked(address: string): boolean {
    return this.engine.ledger.isBlocked(publicKeyFromAddress(address));
  }

  /** The storage capacity and X25519 reader key this Star's presence records announce from now on. */
  setStorageInfo(info: { capacity: number; readerKey: Uint8Array | null }): void {
    this.storageInfo = { ...info };
  }

  async presenceRecord(peerId: string, addrs: string[], now: number, ttl: number): Promise<Uint8Array> {
    const { capacity, readerKey } = this.storageInfo;
    const unsigned = { pk: this.signer.pk, peerId, addrs: addrs.slice(0, 8), cluster: 0, capacity, readerKey, time: now, ttl };
    return encodePresence({ ...unsigned, sig: await this.signer.sign(presenceSigningBytes(unsigned)) });
  }

  /** Account addresses of the peers with a live presence record. */
  addressesByPeer(now: number): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [peerId, pk] of this.presence.accountsByPeer(now)) out[peerId] = addressFromPublicKey(pk);
    return out;
  }

  /**
   * Test-only: sign two different blocks at this chain's next sequence number and publish
   * both, as a forking account would (the twin to `toB` when given, so both can spend
   * everything). Honest Stars must catch it and refuse the account; finality must never
   * make both final. Returns both twins' ids (the first one's, then the twin's): a receiver
   * that learns of the fork before it stores its own twin never lists it in its history.
   */
  async forkForTest(to: string, amount: number, now: number, toB?: string): Promise<{ ids: string[] }> {
    const toPk = publicKeyFromAddress(to);
    const twinPk = toB === undefined ? toPk : publicKeyFromAddress(toB);
    let twin: UnsignedHalfBlock | undefined;
    const build = () => {
      const first = this.engine.propose(toPk, amount, 'fork a', now);
      // built from the same head, before the first one spends the balance
      twin = { ...first, linkPk: twinPk, payload: { amount, memo: 'fork b' } };
      return first;
    };
    let twinId = '';
    const first = await this.appendOwn(build, now, async () => {
      const bytes = encodeHalfBlock({ ...twin!, sig: await this.signer.sign(signingBytes(twin!)) });
      twinId = toHex(sha256(bytes));
      this.out.publish(CHAIN_TOPIC, encodeChainMessage({ t: 'blocks', blocks: [bytes], more: false, proofs: [] }));
    });
    return { ids: [toHex(sha256(first)), twinId] };
  }

  // ---- internals --------------------------------------------------------------------

  private async ingestBytes(raw: readonly Uint8Array[], now: number): Promise<IngestReport & { malformed?: string; authors: Uint8Array[] }> {
    const intake = await intakeBlocks(this.verifier, raw);
    const report = this.engine.ingest(intake.blocks, now);
    await this.apply(report, now);
    // the authors of blocks that came early: each has its own history and what it linked to
    const authors = intake.blocks.filter((_, i) => report.outcomes[i]?.outcome === 'missing').map((b) => b.block.pk);
    return intake.malformed === undefined ? { ...report, authors } : { ...report, authors, malformed: intake.malformed };
  }

  /** History is missing: ask the peer that sent the blocks and each early block's author. */
  private askForHistory(from: string, report: { authors: Uint8Array[] }, now: number): void {
    this.out.sync(from);
    for (const pk of report.authors) {
      const p = this.presence.get(pk, now);
      if (p && p.peerId !== from) this.out.sync(p.peerId);
    }
  }

  private async apply(report: IngestReport, now: number): Promise<void> {
    if (report.stored.length > 0) {
      const tx = this.db.transaction('blocks', 'readwrite');
      for (const e of report.stored) void tx.store.add({ bytes: e.bytes });
      await tx.done;
      this.noteStored(report);
    }
    for (const { proof, a, b } of report.proofs) await this.keepProof(proof, a, b, true);
    for (const t of report.transfers) this.out.transfer(t);
    for (const p of report.toAgree) this.agreeTo(p, now);
  }

  private noteStored(report: Pick<IngestReport, 'stored'>): void {
    if (!this.hooks.stored || report.stored.length === 0) return;
    const blocks: StoredBlock[] = [];
    for (const e of report.stored) {
      const b = this.engine.ledger.block(fromHex(e.pk)!, e.seq);
      if (b) blocks.push(b);
    }
    this.hooks.stored(blocks);
  }

  private async judgeProof(kind: FraudProof['kind'], aBytes: Uint8Array, bBytes: Uint8Array): Promise<Verdict> {
    const intake = await intakeBlocks(this.verifier, [aBytes, bBytes]);
    const [a, b] = intake.blocks;
    if (!a || !b || !a.signatureValid || !b.signatureValid) return 'reject';
    const proof = { kind, a: a.block, b: b.block };
    if (!checkProof(proof)) return 'reject';
    const changed = this.engine.acceptProof(proof);
    if (!changed) return 'ignore';
    // gossipsub forwards it on 'accept'; no need to publish it again
    await this.keepProof(proof, aBytes, bBytes, false);
    for (const t of changed) this.out.transfer(t);
    return 'accept';
  }

  /** A new proof is permanent evidence: kept for sync answers and in IndexedDB, and shown. */
  private async keepProof(proof: FraudProof, a: Uint8Array, b: Uint8Array, publish: boolean): Promise<void> {
    this.proofs.push({ kind: proof.kind, a, b });
    await this.db.add('proofs', { kind: proof.kind, a, b });
    if (publish) this.out.publish(CHAIN_TOPIC, encodeChainMessage({ t: 'fraud', kind: proof.kind, a, b }));
    this.out.fraud(addressFromPublicKey(proof.a.pk));
  }

  private agreeTo(proposal: StoredBlock, now: number): void {
    const id = toHex(proposal.hash);
    const signing = this.appendOwn(() => this.engine.agree(proposal, now), now).then(
      (bytes) => bytes,
      (err: unknown) => {
        console.warn('starweave: could not countersign transfer', id, err);
        return undefined;
      },
    );
    this.agreements.set(id, signing);
    void signing.finally(() => this.agreements.delete(id));
  }

  private agreementBytes(proposalId: string): Uint8Array | undefined {
    const proposal = this.engine.ledger.byId(proposalId);
    if (!proposal) return undefined;
    const agreement = this.engine.ledger.agreementFor(proposal.block.pk, proposal.block.seq);
    if (!agreement) return undefined;
    return this.engine.bytesOf(this.engine.ledger.block(agreement.pk, agreement.seq)!.hash);
  }

  /**
   * Builds, signs, stores and publishes the next block of this account's chain, one at a
   * time. `build` runs inside the queue, so it sees the head the previous append left.
   * Publishing waits for the end of the burst: while more appends are queued (concurrent
   * transfers, the agreements to a delivery of many proposals) the blocks collect, and the
   * last append sends them as few gossip messages and one delivery per receiver. A lone
   * append is sent at once, as before.
   */
  private appendOwn(build: () => UnsignedHalfBlock, now: number, after?: (bytes: Uint8Array) => Promise<void> | void): Promise<Uint8Array> {
    this.appending++;
    const run = async (): Promise<Uint8Array> => {
      const unsigned = build();
      const block: HalfBlock = { ...unsigned, sig: await this.signer.sign(signingBytes(unsigned)) };
      const bytes = encodeHalfBlock(block);
      const report = this.engine.ingest([{ bytes, block, hash: sha256(bytes), signatureValid: true }], now);
      if (report.outcomes[0]?.outcome !== 'accepted') throw new StarError('MALFORMED', `own block refused: ${report.outcomes[0]?.reason ?? 'unknown'}`);
      await this.apply(report, now); // stored before it is published
      await after?.(bytes);
      this.unpublished.push(bytes);
      // a long burst goes out a gossip message's worth at a time
      if (this.unpublished.length >= MAX_GOSSIP_BLOCKS) this.sendOwn(now);
      return bytes;
    };
    const result = this.ownChain.then(run, run);
    const done = () => {
      if (--this.appending === 0) this.sendOwn(now);
    };
    // registered before the caller's await, so the burst is out before the last caller resumes
    this.ownChain = result.then(done, done);
    return result;
  }

  /** The end of a burst of appends: its blocks to gossip, its proposals to their online receivers. */
  private sendOwn(now: number): void {
    for (const m of gossipBlockMessages(this.unpublished)) this.out.publish(CHAIN_TOPIC, m);
    this.unpublished = [];
    for (const [id, pk] of this.undelivered) {
      this.lastDelivery.delete(id);
      this.deliverPendingTo(pk, now);
    }
    this.undelivered.clear();
  }

  private deliverPendingTo(receiver: Uint8Array, now: number): void {
    const id = toHex(receiver);
    const p = this.presence.get(receiver, now);
    if (!p) return;
    const last = this.lastDelivery.get(id) ?? 0;
    if (now - last < REDELIVER_MS) return;
    const pending = this.engine.pendingTo(receiver);
    if (pending.length === 0) return;
    this.lastDelivery.set(id, now);
    this.out.deliver(p.peerId, p.addrs, encodeChainMessage({ t: 'blocks', blocks: pending.slice(0, GOSSIP_LIMITS.maxBlocks), more: false, proofs: [] }));
  }
}
