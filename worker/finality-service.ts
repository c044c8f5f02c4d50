/**
 * The worker's finality adapter: drives the pure StarFinality core with real keys, batched
 * WebCrypto verification, IndexedDB and the network outputs.
 *
 *  - Gossip in: round envelopes, checkpoint certificates and Blackhole blocks are decoded,
 *    checked by the core, their signatures verified in one batch per gossip batch, and only
 *    then handed back to the core; the verdict goes back to gossipsub (reject = the sender
 *    is penalised).
 *  - What the core asks: envelopes and checkpoint shares are signed with the account key;
 *    the union an ACS decided is verified (blocks already in this Star's ledger were
 *    verified before they were stored, so only the others are checked).
 *  - Blackhole blocks this Star verified are kept in IndexedDB and replayed at start, so a
 *    reload resumes from its head. Besides the gossip, the Star follows a Galaxy's head over
 *    HTTP: a long poll of `/blocks?from=<head+1>&wait=` is answered the moment the next block
 *    is stored, and at once with what a Star that slept through blocks missed (each
 *    block's quorum is verified here, never trusted from the Galaxy's answer).
 *  - Final balances are counted from the final blocks themselves (FinalBalances), learned
 *    from this Star's ledger and from certified checkpoints, so every Star agrees on them
 *    even when its ledger kept the other twin of a fork.
 *
 * Every call into the core runs through one queue (`serial`), so a verification that awaits
 * never interleaves with another input.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { FinalityProofInfo } from '../shared/api.ts';
import { effectOf, FinalBalances, type Effect } from '../shared/chain/final-balances.ts';
import { decodeHalfBlock, decodeHalfBlockForVerify } from '../shared/chain/half-block.ts';
import type { StoredBlock } from '../shared/chain/ledger.ts';
import type { FinalityState } from '../shared/chain/transfers.ts';
import { bytesEqual } from '../shared/codec/cbor.ts';
import { fromHex, toHex } from '../shared/codec/hex.ts';
import { Ed25519Verifier, type VerifyItem } from '../shared/crypto/ed25519.ts';
import type { Signer } from '../shared/crypto/signer.ts';
import type { Verdict } from '../shared/gossip/validate.ts';
import {
  blackholeHash,
  decodeBlackhole,
  encodeBlackhole,
  finalityProofVerifyItems,
  genesisBlackhole,
  hasGalaxyQuorum,
  quorumVerifyItems,
  verifyFinalityProof,
  type BlackholeBlock,
} from '../shared/finality/blackhole.ts';
import { certHasQuorum, checkpointHash, checkpointSigningBytes, decodeCheckpointCert, encodeCheckpointCert, MAX_CHECKPOINT_BLOCKS, type CandidateBlock, type CheckpointCert } from '../shared/finality/checkpoint.ts';
import { decodeStoredBlackholeList, type StoredBlackhole } from '../shared/finality/galaxy-core.ts';
import { StarFinality, type FinalityOutputs, type RoundTiming } from '../shared/finality/star-finality.ts';
import { checkpointTopic, decodeEnvelope, encodeEnvelope, envelopeSigningBytes, MAX_ENVELOPE_ITEMS, roundTopic, type Envelope, type RoundMessage, type UnsignedEnvelope } from '../shared/finality/wire.ts';
import type { ChainHooks, ChainService, CoreOutputs } from './chain-service.ts';
import type { StarDb } from './star-db.ts';

/** the core's timers (idle proposals) run this often */
export const TICK_MS = 200;
/** blocks asked of a Galaxy per request */
export const CATCH_UP_PAGE = 64;
/** how long a Galaxy holds a request for the block after this Star's head (its `/blocks?wait=`) */
export const HEAD_WAIT_MS = 20_000;
/** after a failed request, or one answered early without a new block, the next waits this long (gossip carries blocks meanwhile) */
const FOLLOW_RETRY_MS = 5_000;
const FETCH_TIMEOUT_MS = 10_000;
/** a `/blocks` answer larger than this is refused (the Galaxy caps its answers well below) */
const MAX_CATCH_UP_BYTES = 32 * 1024 * 1024;
/** a final block whose content is still unknown after this long: fetch its certificates */
const RESOLVE_AFTER_MS = 3_000;
const RESOLVE_RETRY_MS = 15_000;
/** checkpoints whose certificate is on gossip, remembered this many */
const CERTS_SEEN_KEPT = 64;

export interface FinalityDeps {
  signer: Signer;
  network: string;
  galaxies: Uint8Array[];
  balances: Map<string, number>;
  db: StarDb;
  out: CoreOutputs;
  /** a verified Blackhole block became the head: its seed (the storage shards draw audits from it) */
  onSeed?(seed: Uint8Array): void;
}

export type { FinalityProofInfo };

/** A message from a per-cluster topic (roundTopic, checkpointTopic), with that topic's cluster. */
export interface ClusterGossip {
  bytes: Uint8Array;
  cluster: number;
}

export interface FinalityStatus {
  /** this Star's cluster in the round in progress (its key and the head's cluster count) */
  cluster: number;
  /** the round in progress: the Blackhole head's height + 1 */
  round: number;
  /** the Blackhole head's height */
  finalHeight: number;
  /** half-blocks this Star knows final */
  final: number;
}

export class FinalityService {
  private readonly core: StarFinality;
  private readonly deps: FinalityDeps;
  private readonly verifier = new Ed25519Verifier();
  private readonly balances: FinalBalances;
  /** this Star's ledger blocks that may still need a checkpoint, oldest first */
  private readonly candidates = new Map<string, StoredBlock>();
  private chain?: ChainService;
  private queue: Promise<unknown> = Promise.resolve();
  private sending: Promise<unknown> = Promise.resolve();
  /** envelopes of the last few milliseconds, merged per instance before they are signed */
  private readonly outbox = new Map<string, { u: UnsignedEnvelope; bytes: number }>();
  private outboxTimer?: ReturnType<typeof setTimeout>;
  private timer?: ReturnType<typeof setInterval>;
  private ticking = false;
  private urls: string[] = [];
  private urlIndex = 0;
  /** a certificate fetch is under way (resolveMissing) */
  private fetching = false;
  /** the head-following loop runs */
  private following = false;
  /** aborted by close(): ends a held request and the follower's pause */
  private readonly closing = new AbortController();
  /** when to fetch a height's certificates, to learn the content of its final blocks */
  private readonly resolveAt = new Map<number, number>();
  private closed = false;
  /** replaying kept blocks at start: no transfer events for what was final before */
  private replaying = false;
  /** a tick is queued to propose at once (a new block while this Star holds a seat) */
  private kicked = false;
  /**
   * Final and rejected hashes for good (the core forgets others' statuses after a while);
   * final ones are FinalBalances' own record.
   */
  private readonly rejected = new Set<string>();
  /** the cluster last handed to `out.cluster` (the topics the page is in) */
  private reportedCluster?: number;
  /** checkpoint hashes (hex) with a certificate on gossip already: a seat's own copy need not go */
  private readonly certsOnGossip = new Set<string>();

  /**
   * Builds the core on the genesis block. Then: hand `hooks()` to the ChainService, and
   * `start(chain)` once the chains are loaded.
   */
  constructor(deps: FinalityDeps) {
    this.deps = deps;
    this.balances = new FinalBalances(deps.balances);
    this.core = new StarFinality({
      self: deps.signer.pk,
      genesis: genesisBlackhole(deps.network, deps.galaxies, deps.balances),
      galaxies: deps.galaxies,
      pending: () => this.pending(),
    });
  }

  /** What the chains need from finality (see ChainService). */
  hooks(): ChainHooks {
    return {
      finality: (hash) => this.stateOf(hash),
      finalBalance: (account) => this.balances.balance(account),
      stored: (blocks) => this.noteStored(blocks),
    };
  }

  /**
   * The chains are loaded: replays the Blackhole blocks this Star kept (after the ledger, so
   * the core knows which final blocks are this Star's and keeps their proofs), then starts
   * the timers.
   */
  async start(chain: ChainService): Promise<void> {
    this.chain = chain;
    this.replaying = true;
    try {
      await this.serial(() => this.replay());
      for (const [hash, effect] of await this.keptEffects()) this.balances.learn(hash, effect);
    } finally {
      this.replaying = false;
    }
    this.reportCluster();
    if (!this.closed) this.timer = setInterval(() => this.onTimer(), TICK_MS);
  }

  /** Tells the page when this Star's cluster is not the one its topics follow. */
  private reportCluster(): void {
    const cluster = this.core.cluster;
    if (this.closed || cluster === this.reportedCluster) return;
    this.reportedCluster = cluster;
    this.deps.out.cluster?.(cluster);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.closing.abort();
  }

  /** The Galaxies' HTTP bases (from the relay's /relay.json): the Star follows their head (followHead). */
  setGalaxies(urls: readonly string[]): void {
    this.urls = [...urls];
    this.followHead();
  }

  status(): FinalityStatus {
    return { cluster: this.core.cluster, round: this.core.round, finalHeight: this.core.height, final: this.balances.finalCount };
  }

  /** how this Star's last seated rounds went (diagnostics: the finality benchmark reads it) */
  roundTimes(): RoundTiming[] {
    return this.core.roundTimes();
  }

  stateOf(hash: string): FinalityState {
    if (this.balances.isFinal(hash)) return 'final';
    if (this.rejected.has(hash)) return 'rejected';
    return this.core.statusOf(hash);
  }

  async proof(hash: string): Promise<FinalityProofInfo | undefined> {
    const p = this.core.proofOf(hash);
    if (!p) return undefined;
    const verdicts = await this.verifier.verifyMany(finalityProofVerifyItems(p, this.deps.galaxies));
    return {
      hash,
      height: p.header.height,
      blackholeHash: toHex(blackholeHash(p.header)),
      finalRoot: toHex(p.header.finalRoot),
      index: p.proof.index,
      count: p.proof.count,
      path: p.proof.siblings.map(toHex),
      sigs: p.sigs.map((s) => ({ signer: s.signer, sig: toHex(s.sig) })),
      verified: bytesEqual(p.leaf, fromHex(hash) ?? new Uint8Array()) && verifyFinalityProof(p, this.deps.galaxies, verdicts),
    };
  }

  // ---- gossip in ----------------------------------------------------------------------

  /** A round topic: facilitator envelopes (topic, seat and signatures checked before the core sees them). */
  judgeRound(items: readonly ClusterGossip[]): Promise<Verdict[]> {
    return this.serial(async () => {
      const verdicts: Verdict[] = items.map(() => 'ignore');
      const checks: Array<{ i: number; env: Envelope; items: VerifyItem[] }> = [];
      items.forEach(({ bytes, cluster }, i) => {
        const d = decodeEnvelope(bytes);
        // another cluster's envelope on this topic was published where it does not belong
        if (!d.ok || d.value.kind !== 'round' || d.value.cluster !== cluster) return void (verdicts[i] = 'reject');
        const c = this.core.checkEnvelope(d.value);
        if (c.kind === 'invalid') verdicts[i] = 'reject';
        else if (c.kind === 'verify') checks.push({ i, env: d.value, items: c.items });
      });
      const valid = await this.verifyGroups(checks.map((c) => c.items));
      checks.forEach((c, k) => {
        const ok = valid[k]!;
        verdicts[c.i] = ok.every(Boolean) ? 'accept' : 'reject';
        this.handle(this.core.acceptEnvelope(c.env, ok, Date.now()));
      });
      return verdicts;
    });
  }

  /** A checkpoint topic: certificates (topic and the round's facilitator quorum checked here). */
  judgeCheckpoint(items: readonly ClusterGossip[]): Promise<Verdict[]> {
    return this.serial(async () => {
      const verdicts: Verdict[] = items.map(() => 'ignore');
      const checks: Array<{ i: number; cert: CheckpointCert; items: VerifyItem[] }> = [];
      items.forEach(({ bytes, cluster }, i) => {
        const d = decodeCheckpointCert(bytes);
        if (!d.ok || d.value.checkpoint.cluster !== cluster) return void (verdicts[i] = 'reject');
        const c = this.core.checkCert(d.value);
        if (c.kind === 'invalid') verdicts[i] = 'reject';
        else if (c.kind === 'verify') checks.push({ i, cert: d.value, items: c.items });
        // a round this Star is not in (often: its Blackhole block came first): the content of
        // final blocks is authentic by hash all the same
        else this.learnCert(d.value, true);
      });
      const valid = await this.verifyGroups(checks.map((c) => c.items));
      checks.forEach((c, k) => {
        const ok = valid[k]!;
        const seats = this.core.seatsOf(c.cert.checkpoint.round, c.cert.checkpoint.cluster);
        const quorum = seats ? certHasQuorum(c.cert, seats, ok) : ok.length > 0 && ok.every(Boolean);
        verdicts[c.i] = quorum ? 'accept' : 'reject';
        if (!quorum) return;
        this.noteCertOnGossip(toHex(checkpointHash(c.cert.checkpoint)));
        // a certified checkpoint's blocks are authentic copies: their effects may become final
        this.learnCert(c.cert, false);
        this.handle(this.core.acceptCert(c.cert, ok));
      });
      return verdicts;
    });
  }

  /** BLACKHOLE_TOPIC: quorum-signed blocks; a gap is fetched from a Galaxy. */
  judgeBlackhole(items: readonly Uint8Array[]): Promise<Verdict[]> {
    const arrived = Date.now();
    return this.serial(async () => {
      const decoded = items.map((bytes) => ({ bytes, d: decodeBlackhole(bytes) }));
      const verdicts: Verdict[] = decoded.map(({ d }) => (d.ok ? 'ignore' : 'reject'));
      // in height order, so a burst that arrived shuffled still extends the chain
      const order = decoded.map((_, i) => i).filter((i) => decoded[i]!.d.ok);
      order.sort((a, b) => height(decoded[a]!.d) - height(decoded[b]!.d));
      for (const i of order) {
        const { bytes, d } = decoded[i]!;
        if (d.ok) verdicts[i] = await this.applyBlock(d.value, { bytes, arrivedAt: arrived });
      }
      return verdicts;
    });
  }

  // ---- internals ----------------------------------------------------------------------

  /** Runs core calls one at a time. */
  private serial<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = async () => fn();
    const result = this.queue.then(run, run);
    this.queue = result.catch((err: unknown) => console.warn('starweave: finality step failed', err));
    return result;
  }

  /** Verifies several groups of signatures in one batch; one verdict list per group. */
  private async verifyGroups(groups: readonly VerifyItem[][]): Promise<boolean[][]> {
    const all = await this.verifier.verifyMany(groups.flat());
    let at = 0;
    return groups.map((g) => all.slice(at, (at += g.length)));
  }

  /**
   * One Blackhole block: check, verify its quorum (or take `known` verdicts), accept, keep.
   * `bytes`: its encoding, when it came as bytes; `arrivedAt`: when it reached this worker
   * (round timing). Inside the queue.
   */
  private async applyBlock(block: BlackholeBlock, opts: { bytes?: Uint8Array; known?: { items: VerifyItem[]; verdicts: boolean[] }; arrivedAt?: number } = {}): Promise<Verdict> {
    const { bytes, known, arrivedAt } = opts;
    const check = this.core.checkBlackhole(block);
    if (check.kind === 'old') return 'ignore';
    if (check.kind === 'invalid') return 'reject';
    // a gap: the head follower fetches what is missing (it asks for the block after our head)
    if (check.kind === 'gap') return 'ignore';
    // replayed blocks come with the verdicts of the same items (quorumVerifyItems of this block)
    const verdicts = known ? known.verdicts : await this.verifier.verifyMany(check.items);
    if (!hasGalaxyQuorum(block, this.deps.galaxies, verdicts)) return 'reject';
    const before = this.core.height;
    this.handle(this.core.acceptBlackhole(block, verdicts, Date.now(), arrivedAt));
    if (this.core.height <= before) return 'ignore';
    this.deps.onSeed?.(block.header.seed);
    if (!this.replaying) this.reportCluster();
    // kept after it is verified; a reload replays these instead of fetching them again
    void this.deps.db.put('blackhole', { bytes: bytes ?? encodeBlackhole(block) }, block.header.height).catch((err: unknown) => console.warn('starweave: cannot keep a Blackhole block', err));
    return 'accept';
  }

  /**
   * Acts on what the core asked for. Never awaits: continuations re-enter through the queue.
   * `quiet`: a replayed block that is not the head; its round is long over, so nothing is
   * signed or sent for it.
   */
  private handle(o: FinalityOutputs, quiet = false): void {
    if (this.closed) return;
    if (!quiet) {
      for (const u of o.send) this.sendEnvelope(u);
      for (const cert of o.certs) {
        this.learnCert(cert, false);
        const bytes = encodeCheckpointCert(cert);
        this.postCert(bytes);
        this.gossipCert(cert, bytes);
      }
    }
    for (const hash of o.final) {
      this.candidates.delete(hash);
      this.balances.markFinal(hash, this.core.height);
    }
    for (const hash of o.rejected) {
      this.candidates.delete(hash);
      if (!this.balances.isFinal(hash)) this.rejected.add(hash);
    }
    const changed = [...o.checkpointed, ...o.final, ...o.rejected];
    if (changed.length > 0 && !this.replaying) this.chain?.noteFinality(changed);
    if (quiet) return;
    if (o.replay && o.replay.length > 0) void this.serial(() => this.rejudge(o.replay!));
    if (o.verifyUnion) void this.verifyUnion(o.verifyUnion.round, o.verifyUnion.blocks);
    if (o.signCheckpoint) void this.signCheckpoint(o.signCheckpoint.round, o.signCheckpoint.hash);
    // o.fetchFrom (traffic shows this Star is behind) needs nothing here: the head follower
    // already asks a Galaxy for the block after this Star's head
    for (const f of o.faults) console.debug('starweave: facilitator fault', f.node, f.reason);
  }

  /** Envelopes kept for a round this Star has now reached: judged as if they just arrived (their gossip verdict was given). */
  private async rejudge(envelopes: readonly Envelope[]): Promise<void> {
    const checks: Array<{ env: Envelope; items: VerifyItem[] }> = [];
    for (const env of envelopes) {
      const c = this.core.checkEnvelope(env);
      if (c.kind === 'verify') checks.push({ env, items: c.items });
    }
    const valid = await this.verifyGroups(checks.map((c) => c.items));
    checks.forEach((c, k) => this.handle(this.core.acceptEnvelope(c.env, valid[k]!, Date.now())));
  }

  /** Signs and publishes envelopes in the order the core produced them. */
  /**
   * Every core step makes an envelope, and a seat takes a step per envelope it receives, so
   * a round would flood every Star with hundreds of small gossip messages, each judged by
   * every tab. Envelopes of one instance made within OUTBOX_MS are merged into one (one
   * signature, one gossip message); the protocol does not care how its messages are
   * packed. A merged envelope stays under MAX_ENVELOPE_ITEMS items and OUTBOX_BYTES of values.
   */
  private sendEnvelope(u: UnsignedEnvelope): void {
    const key = `${u.kind}:${u.instance}:${u.cluster}`;
    const size = u.items.reduce((n, it) => n + itemBytes(it.m), 0);
    const open = this.outbox.get(key);
    if (open && open.u.items.length + u.items.length <= MAX_ENVELOPE_ITEMS && open.bytes + size <= OUTBOX_BYTES) {
      open.u.items.push(...u.items);
      open.bytes += size;
    } else {
      if (open) this.signAndPublish(open.u);
      this.outbox.set(key, { u: { ...u, items: [...u.items] }, bytes: size });
    }
    this.outboxTimer ??= setTimeout(() => this.flushOutbox(), OUTBOX_MS);
  }

  private flushOutbox(): void {
    this.outboxTimer = undefined;
    for (const { u } of this.outbox.values()) this.signAndPublish(u);
    this.outbox.clear();
  }

  private signAndPublish(u: UnsignedEnvelope): void {
    const signing = this.deps.signer.sign(envelopeSigningBytes(u));
    this.sending = this.sending.then(async () => {
      const sig = await signing;
      if (!this.closed) this.deps.out.publish(roundTopic(u.cluster), encodeEnvelope({ ...u, sig }));
    }).catch((err: unknown) => console.warn('starweave: cannot sign a round envelope', err));
  }

  /** The ACS union: blocks this Star's ledger holds are valid already; the rest are verified. */
  private async verifyUnion(round: number, blocks: readonly CandidateBlock[]): Promise<void> {
    const ledger = this.chain?.engine.ledger;
    const verdicts: boolean[] = blocks.map(() => false);
    const toVerify: Array<{ i: number; item: VerifyItem }> = [];
    blocks.forEach((c, i) => {
      const held = ledger?.byId(toHex(c.hash));
      if (held && bytesEqual(held.hash, c.hash)) return void (verdicts[i] = true);
      const d = decodeHalfBlockForVerify(c.bytes);
      if (d.ok) toVerify.push({ i, item: { pk: d.value.block.pk, message: d.value.signing, sig: d.value.block.sig } });
    });
    const valid = await this.verifier.verifyMany(toVerify.map((v) => v.item));
    toVerify.forEach((v, k) => (verdicts[v.i] = valid[k]!));
    await this.serial(() => this.handle(this.core.unionVerified(round, verdicts, Date.now())));
  }

  private async signCheckpoint(round: number, hash: Uint8Array): Promise<void> {
    const sig = await this.deps.signer.sign(checkpointSigningBytes(hash));
    await this.serial(() => this.handle(this.core.signedCheckpoint(round, sig, Date.now())));
  }

  private onTimer(): void {
    if (this.closed) return;
    if (!this.ticking) {
      this.ticking = true;
      void this.serial(() => this.handle(this.core.tick(Date.now()))).finally(() => (this.ticking = false));
    }
    this.resolveMissing(Date.now());
  }

  // ---- this Star's blocks as proposal candidates -----------------------------------------

  private noteStored(blocks: readonly StoredBlock[]): void {
    for (const b of blocks) {
      this.balances.learn(b.id, effectOf(b.block));
      const state = this.stateOf(b.id);
      if (state !== 'final' && state !== 'rejected') this.candidates.set(b.id, b);
    }
    // a seat proposes as soon as it holds something to checkpoint: do not wait for the timer
    if (this.chain && this.core.seated && !this.kicked) {
      this.kicked = true;
      void this.serial(() => {
        this.kicked = false;
        this.handle(this.core.tick(Date.now()));
      });
    }
  }

  /**
   * This Star's ledger blocks that are neither final nor rejected, oldest first. A proven
   * forker's blocks stay in: its history before the fork should become final, and of the
   * twins the Galaxy's rules let at most one through (twins in one union are both dropped,
   * a twin against a final block is rejected). Stars refuse its blocks after the proof.
   */
  private pending(): CandidateBlock[] {
    const out: CandidateBlock[] = [];
    const engine = this.chain?.engine;
    if (!engine) return out;
    for (const [id, b] of this.candidates) {
      const state = this.stateOf(id);
      const bytes = engine.bytesOf(b.hash);
      if (state === 'final' || state === 'rejected' || !bytes) {
        this.candidates.delete(id);
        continue;
      }
      out.push({ bytes, block: b.block, hash: b.hash });
      // a seat takes its share of these first (StarFinality), so it may look past one proposal's worth
      if (out.length >= MAX_CHECKPOINT_BLOCKS) break;
    }
    return out;
  }

  // ---- final balances -------------------------------------------------------------------

  /**
   * Effects of a certificate's blocks. A quorum-certified one was decoded with its blocks
   * checked against its entries; a Galaxy's stored certs (`untrusted`) only count for final
   * blocks still unknown here, and only when the bytes hash to the final hash.
   */
  private learnCert(cert: CheckpointCert, untrusted: boolean): void {
    cert.blocks.forEach((bytes, i) => {
      const entry = cert.checkpoint.entries[i];
      if (!entry) return;
      const hash = toHex(entry);
      // asks FinalBalances, not the ledger: the ledger also holds blocks never reported as
      // stored (a final proposal adopted without its sender's history, Ledger.adoptFinal)
      if (this.balances.knows(hash)) return;
      if (untrusted && (!this.balances.unresolved().has(hash) || !bytesEqual(sha256(bytes), entry))) return;
      const d = decodeHalfBlock(bytes);
      if (!d.ok) return;
      const effect = effectOf(d.value);
      if (this.balances.learn(hash, effect)) this.keepEffect(hash, effect);
    });
  }

  /**
   * A final block this Star's ledger does not hold (a fork's twin that won) was counted: its
   * effect is kept, so the final balance survives a reload (ledger blocks are counted again
   * when the ledger is replayed).
   */
  private keepEffect(hash: string, effect: Effect): void {
    void this.deps.db.put('finalEffects', effect, hash).catch((err: unknown) => console.warn('starweave: cannot keep a final effect', err));
  }

  private async keptEffects(): Promise<Array<[string, Effect]>> {
    const tx = this.deps.db.transaction('finalEffects');
    const out: Array<[string, Effect]> = [];
    for (let cursor = await tx.store.openCursor(); cursor; cursor = await cursor.continue()) out.push([cursor.key, cursor.value]);
    return out;
  }

  /** Final blocks whose content is still unknown: their Blackhole height's certificates come from a Galaxy. */
  private resolveMissing(now: number): void {
    if (this.urls.length === 0 || this.fetching) return;
    if (this.balances.unresolved().size === 0) return this.resolveAt.clear();
    for (const height of new Set(this.balances.unresolved().values())) {
      const next = this.resolveAt.get(height);
      if (next === undefined) {
        // give the certificate gossip a moment first
        this.resolveAt.set(height, now + RESOLVE_AFTER_MS);
        continue;
      }
      if (now < next) continue;
      this.resolveAt.set(height, now + RESOLVE_RETRY_MS);
      void this.fetchCerts(height);
      return;
    }
  }

  private async fetchCerts(height: number): Promise<void> {
    this.fetching = true;
    try {
      const entries = await this.fetchStored(height, 1);
      if (entries) await this.serial(() => this.applyStored(entries));
    } catch (err) {
      console.warn('starweave: fetching certificates failed', err);
    } finally {
      this.fetching = false;
    }
  }

  // ---- following the head over HTTP ----------------------------------------------------

  /**
   * Starts following a Galaxy's head unless it already runs: one request at a time for the
   * blocks after this Star's head. A Star that is behind gets a page at once and asks
   * again; one at the head is held by the Galaxy until the next block is stored, so the
   * block arrives one HTTP hop after it is made instead of through the relay's gossip
   * (16 tabs on 2 cores: the gossip brought a block to the median seat 0.3–3.2 s after the
   * Galaxy made it, mostly queueing in the relay). Gossip still carries blocks too; the
   * copy that comes second is ignored as old. It also fills every gap the gossip leaves, so
   * it runs for as long as Galaxies are known: a failed step is logged, not fatal.
   */
  private followHead(): void {
    if (this.following || this.urls.length === 0 || this.closed) return;
    this.following = true;
    void this.follow().finally(() => (this.following = false));
  }

  private async follow(): Promise<void> {
    while (!this.closed && this.urls.length > 0) {
      const from = this.core.height + 1;
      const asked = Date.now();
      const entries = await this.fetchStored(from, CATCH_UP_PAGE, HEAD_WAIT_MS);
      if (this.closed) return;
      const arrived = Date.now();
      if (entries && entries.length > 0) await this.serial(() => this.applyStored(entries, arrived)).catch((err: unknown) => console.warn('starweave: applying blocks from a Galaxy failed', err));
      // no answer, or an early one that did not move the head (a Galaxy behind this Star):
      // pause rather than ask again at once
      const early = Date.now() - asked < HEAD_WAIT_MS / 2;
      if (this.core.height < from && (entries === undefined || early)) await this.pause(FOLLOW_RETRY_MS);
    }
  }

  private pause(ms: number): Promise<void> {
    const signal = this.closing.signal;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * A seat's certificate, posted straight to every Galaxy as well as gossiped: the Galaxy
   * makes its block once it holds every cluster's certificate, and the gossip hop through
   * the relay took ~1.1 s at the median with 16 tabs on 2 cores. Whichever copy comes
   * second is a duplicate to the Galaxy; a failed post is left to the gossip.
   */
  private postCert(bytes: Uint8Array): void {
    for (const base of this.urls) {
      void fetch(new URL('/checkpoint', base), {
        method: 'POST',
        body: bytes as Uint8Array<ArrayBuffer>, // encodeCheckpointCert makes a fresh ArrayBuffer
        headers: { 'content-type': 'application/cbor' },
        signal: AbortSignal.any([this.closing.signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]),
      })
        .then(async (res) => {
          if (res.status !== 202) console.info('starweave: the Galaxy at', base, 'did not take a certificate:', res.status, (await res.text()).slice(0, 300));
        })
        .catch((err: unknown) => {
          if (!this.closing.signal.aborted) console.info('starweave: posting a certificate to the Galaxy at', base, 'failed:', (err as Error).message);
        });
    }
  }

  /** This seat's certificate on CHECKPOINT_TOPIC at its turn, unless another seat's copy came first. */
  private gossipCert(cert: CheckpointCert, bytes: Uint8Array): void {
    const id = toHex(checkpointHash(cert.checkpoint));
    const publish = () => {
      if (this.closed || this.certsOnGossip.has(id)) return;
      this.noteCertOnGossip(id);
      this.deps.out.publish(checkpointTopic(cert.checkpoint.cluster), bytes);
    };
    const delay = this.core.certGossipDelayMs(cert.checkpoint);
    if (delay === 0) publish();
    else setTimeout(publish, delay);
  }

  /** `id`: the checkpoint's hash (hex) */
  private noteCertOnGossip(id: string): void {
    this.certsOnGossip.add(id);
    if (this.certsOnGossip.size > CERTS_SEEN_KEPT) this.certsOnGossip.delete(this.certsOnGossip.values().next().value!);
  }

  /** Blocks from a Galaxy, verified here like gossip: quorum signatures in one batch. Inside the queue. */
  private async applyStored(entries: readonly StoredBlackhole[], arrivedAt?: number): Promise<void> {
    const groups = entries.map((e) => quorumVerifyItems(e.block, this.deps.galaxies));
    const valid = await this.verifyGroups(groups);
    for (const [i, e] of entries.entries()) {
      const verdict = await this.applyBlock(e.block, { known: { items: groups[i]!, verdicts: valid[i]! }, arrivedAt });
      if (verdict === 'reject') {
        console.warn('starweave: a Galaxy served a Blackhole block without a valid quorum', e.block.header.height);
        break;
      }
    }
    // content of final blocks this Star lacks: authentic when it hashes to the final hash
    for (const e of entries) for (const cert of e.certs) this.learnCert(cert, true);
  }

  private async fetchStored(from: number, limit: number, waitMs = 0): Promise<StoredBlackhole[] | undefined> {
    for (let tried = 0; tried < this.urls.length && !this.closed; tried++) {
      const index = (this.urlIndex + tried) % this.urls.length;
      const entries = await fetchBlocks(this.urls[index]!, from, limit, waitMs, this.closing.signal);
      if (entries) {
        this.urlIndex = index;
        return entries;
      }
    }
    return undefined;
  }

  /** Replays the kept Blackhole blocks (verified before they were kept). */
  private async replay(): Promise<void> {
    const tx = this.deps.db.transaction('blackhole');
    const kept: Array<{ height: number; bytes: Uint8Array }> = [];
    for (let cursor = await tx.store.openCursor(); cursor; cursor = await cursor.continue()) kept.push({ height: cursor.key, bytes: cursor.value.bytes });
    for (const [i, { height: h, bytes }] of kept.entries()) {
      const d = decodeBlackhole(bytes);
      const check = d.ok ? this.core.checkBlackhole(d.value) : undefined;
      if (!d.ok || check?.kind !== 'verify' || d.value.header.height !== h) {
        // another network (a new genesis) or a damaged store: start over from the Galaxies
        console.warn('starweave: kept Blackhole blocks do not extend the chain from height', h, '; fetching them again');
        await this.deps.db.delete('blackhole', IDBKeyRange.lowerBound(h));
        break;
      }
      this.handle(this.core.acceptBlackhole(d.value, check.items.map(() => true), Date.now()), i < kept.length - 1);
    }
  }
}

function height(d: ReturnType<typeof decodeBlackhole>): number {
  return d.ok ? d.value.header.height : 0;
}

/**
 * GET {galaxy}/blocks?from=&limit=&wait=: a CBOR array of encodeStoredBlackhole bytes (held
 * up to `waitMs` by the Galaxy when `from` is past its head); undefined on any failure.
 */
async function fetchBlocks(base: string, from: number, limit: number, waitMs: number, cancel: AbortSignal): Promise<StoredBlackhole[] | undefined> {
  try {
    const url = new URL('/blocks', base);
    url.searchParams.set('from', String(from));
    url.searchParams.set('limit', String(limit));
    if (waitMs > 0) url.searchParams.set('wait', String(waitMs));
    const res = await fetch(url, { signal: AbortSignal.any([cancel, AbortSignal.timeout(FETCH_TIMEOUT_MS + waitMs)]), cache: 'no-store' });
    if (!res.ok) throw new Error(`answered ${res.status}`);
    const body = new Uint8Array(await res.arrayBuffer());
    if (body.length > MAX_CATCH_UP_BYTES) throw new Error(`answer too large (${body.length} bytes)`);
    const decoded = decodeStoredBlackholeList(body, limit);
    if (!decoded.ok) throw new Error(decoded.reason);
    return decoded.value;
  } catch (err) {
    if (!cancel.aborted) console.info('starweave: asking the Galaxy at', base, 'for blocks failed:', (err as Error).message);
    return undefined;
  }
}

/** how long a seat collects its outgoing messages before it signs them as one envelope */
const OUTBOX_MS = 5;
/** value bytes (proposals in reliable-broadcast VAL/ECHO) one merged envelope may carry */
const OUTBOX_BYTES = 256 * 1024;

/** Rough payload size of a round message: its proposal value if it carries one. */
function itemBytes(m: RoundMessage): number {
  if (m.t === 'acs' && m.m.kind === 'rbc' && 'value' in m.m.message) return m.m.message.value.length + 16;
  return 64;
}
