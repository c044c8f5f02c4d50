/**
 * Connects the pure `GalaxyCore` to the world: gossip in (authenticated here: envelope
 * signatures and seats, presence signatures), the clock (a tick every 100 ms), the Galaxy
 * key (envelopes and block shares are signed here), the database (a complete block is
 * written and synced before it is published) and the other Galaxies' HTTP APIs (catch-up).
 *
 * Every call into the core goes through one queue, and each call's outputs are applied
 * (signed, stored, published) before the next call runs, so the core's outputs leave in
 * the order it produced them. A gossip verdict is given before the message is queued, so
 * a slow step never holds up the gossip router.
 */
import { decodePresence, presenceSigningBytes } from '../../shared/chain/presence.ts';
import { toHex } from '../../shared/codec/hex.ts';
import { Ed25519Verifier, nobleVerify, type VerifyItem } from '../../shared/crypto/ed25519.ts';

/** The core's synchronous verifier (a few signatures per round: certs, shares). */
export { nobleVerify };
import type { Signer } from '../../shared/crypto/signer.ts';
import {
  blackholeHash,
  blackholeSigningBytes,
  decodeBlackhole,
  encodeBlackhole,
  hasGalaxyQuorum,
  quorumVerifyItems,
  type FinalityProof,
} from '../../shared/finality/blackhole.ts';
import { checkpointHash, decodeCheckpointCert, type CheckpointCert } from '../../shared/finality/checkpoint.ts';
import {
  decodeStoredBlackhole,
  decodeStoredBlackholeList,
  encodeStoredBlackhole,
  type AccountState,
  type GalaxyCore,
  type GalaxyOutputs,
  type StoredBlackhole,
} from '../../shared/finality/galaxy-core.ts';
import { BLACKHOLE_TOPIC, checkpointTopic, decodeEnvelope, encodeEnvelope, envelopeSigningBytes, GALAXY_TOPIC } from '../../shared/finality/wire.ts';
import type { Verdict } from '../../shared/gossip/validate.ts';
import { PRESENCE_TOPIC } from '../../shared/gossip/topics.ts';
import type { Logger } from '../log.ts';
import type { CheckpointSubmission, GalaxyView } from './http.ts';
import type { GalaxyMetrics } from './metrics.ts';
import type { TopicHandler } from './node.ts';
import type { GalaxyStore } from './store.ts';
import { HeadWaiters } from './head-waiters.ts';

export const TICK_MS = 100;
/** blocks asked of a peer Galaxy per request while catching up */
export const CATCH_UP_BATCH = 64;
const CATCH_UP_TIMEOUT_MS = 5_000;
/** a block one height ahead usually completes here too a moment later; only then ask a peer */
const AHEAD_GRACE_MS = 1_500;
/** arrival times of certificates not (yet) in a block are kept for this many */
const MAX_CERT_ARRIVALS = 4_096;
/**
 * Gossip is best effort (a Galaxy that just joined is not in the relay's mesh until the next
 * heartbeat, a relay restart drops what was in flight), but the agreement protocol assumes
 * every message between honest seats arrives eventually: with n = 2 (f = 0) one lost
 * message stalls the height for good. So the envelopes of the height being agreed are
 * published again at this interval until its block completes; the core ignores what it
 * already has. A height that completed elsewhere is fetched over HTTP (catch-up).
 */
export const RESEND_MS = 1_000;
/** envelopes kept for resending, per height (one height's traffic is a few dozen) */
const MAX_RESEND_ENVELOPES = 256;
/** `GET /blocks?wait=` requests held at once; more are answered at once (HeadWaiters) */
export const MAX_HEAD_WAITERS = 1_024;

export interface GalaxyDriverDeps {
  core: GalaxyCore;
  signer: Signer;
  /** genesis galaxies in seat order, and our seat */
  galaxies: readonly Uint8Array[];
  me: number;
  store: GalaxyStore;
  publish(topic: string, data: Uint8Array): Promise<void>;
  log: Logger;
  metrics: GalaxyMetrics;
  /** other Galaxies' HTTP base URLs */
  peers: readonly string[];
  now?: () => number;
  verifier?: Ed25519Verifier;
  /** the chain on disk cannot take a block the core produced: stop the process */
  onFatal(err: Error): void;
  /** the cluster count changed, so the topics to be in did: `handlers()` again */
  onTopics?(handlers: Record<string, TopicHandler>): void;
}


/** Decodes a database's rows into the chain the core replays, naming a damaged row. */
export function decodeStoredRows(rows: ReadonlyArray<{ height: number; bytes: Uint8Array }>, dbPath: string): StoredBlackhole[] {
  return rows.map((row) => {
    const decoded = decodeStoredBlackhole(row.bytes);
    if (!decoded.ok) throw new Error(`Galaxy db ${dbPath}: the block at height ${row.height} does not decode (${decoded.reason}); restore the file, or move it away and let the Galaxy catch up from --peers`);
    if (decoded.value.block.header.height !== row.height) throw new Error(`Galaxy db ${dbPath}: the row of height ${row.height} holds block ${decoded.value.block.header.height}; restore the file or move it away`);
    return decoded.value;
  });
}

export class GalaxyDriver {
  private readonly d: GalaxyDriverDeps;
  private readonly now: () => number;
  private readonly verifier: Ed25519Verifier;
  private readonly seats: Map<string, number>;
  private queue: Promise<void> = Promise.resolve();
  private tickQueued = false;
  private timer?: ReturnType<typeof setInterval>;
  private readonly certArrivals = new Map<string, number>();
  /** long polls for the next block (`GET /blocks?from=&wait=`) */
  private readonly heads = new HeadWaiters(MAX_HEAD_WAITERS);
  /** when the round being agreed started (the previous block completed or was loaded) */
  private roundStart: number;
  private catching = false;
  private catchAgain = false;
  private aheadTimer?: ReturnType<typeof setTimeout>;
  private warnedNoPeers = false;
  private genesisBytes?: Uint8Array;
  private stopped = false;
  /** our envelopes for the height being agreed, for resending */
  private sent: { instance: number; envelopes: Uint8Array[]; lastAt: number } = { instance: -1, envelopes: [], lastAt: 0 };
  /** the cluster count the last `handlers()` covered */
  private topicClusters = 0;

  constructor(deps: GalaxyDriverDeps) {
    this.d = deps;
    this.now = deps.now ?? Date.now;
    this.verifier = deps.verifier ?? new Ed25519Verifier();
    this.seats = new Map(deps.galaxies.map((pk, i) => [toHex(pk), i]));
    this.roundStart = this.now();
    deps.metrics.height.set(deps.core.height);
    deps.metrics.round.set(deps.core.height + 1);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
  }

  /** One clock tick for the core (the timer's job; tests call it directly). At most one waits in the queue. */
  tick(): Promise<void> {
    if (this.tickQueued) return this.queue;
    this.tickQueued = true;
    return this.run('tick', async () => {
      this.tickQueued = false;
      const now = this.now();
      this.resend(now);
      return this.d.core.tick(now);
    });
  }

  private resend(now: number): void {
    const s = this.sent;
    if (s.envelopes.length === 0 || this.d.core.height >= s.instance || now - s.lastAt < RESEND_MS) return;
    s.lastAt = now;
    this.d.log.debug({ height: s.instance, envelopes: s.envelopes.length }, 'resending Galaxy envelopes');
    for (const bytes of s.envelopes) this.publish(GALAXY_TOPIC, bytes);
  }

  /**
   * Hands a message to the gossip without holding up the queue: under load a publish over
   * the relay connection took up to 2 s (traced with 16 tabs), and every certificate that
   * arrived meanwhile waited behind it. Order does not matter to the receivers (agreement
   * messages are asynchronous; a block that overtakes its parent is a gap they fill).
   */
  private publish(topic: string, bytes: Uint8Array): void {
    this.d.publish(topic, bytes).catch((err: unknown) => this.d.log.debug({ topic, err: (err as Error).message }, 'not published'));
  }

  /** Stops ticking and waits for the queued work (a block being stored finishes). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.aheadTimer) clearTimeout(this.aheadTimer);
    await this.queue;
  }

  /** Waits until everything queued so far has been applied (tests). */
  idle(): Promise<void> {
    return this.queue;
  }

  /**
   * The gossip verdicts, by topic, for the libp2p node: presence, the Galaxies' own topic,
   * Blackhole blocks, and the checkpoint topic of every cluster the head block sets.
   */
  handlers(): Record<string, TopicHandler> {
    this.topicClusters = this.d.core.clusterCount;
    const handlers: Record<string, TopicHandler> = {
      [PRESENCE_TOPIC]: (data, now) => this.onPresence(data, now),
      [GALAXY_TOPIC]: (data) => this.onEnvelope(data),
      [BLACKHOLE_TOPIC]: (data) => this.onBlackhole(data),
    };
    for (let c = 0; c < this.topicClusters; c++) handlers[checkpointTopic(c)] = async (data, now) => this.onCheckpoint(data, now);
    return handlers;
  }

  /** What the HTTP API reads. */
  view(): GalaxyView {
    const core = this.d.core;
    return {
      height: () => core.height,
      block: (h) => core.block(h),
      storedBytes: (h) => {
        if (h > 0) return this.d.store.get(h);
        const genesis = core.block(0);
        if (!genesis) return undefined;
        this.genesisBytes ??= encodeStoredBlackhole(genesis);
        return this.genesisBytes;
      },
      account: (pk): AccountState | undefined => core.account(pk),
      proof: (hex): FinalityProof | undefined => core.proof(hex),
      submitCheckpoint: (data) => this.submitCheckpoint(data),
      waitForHeight: (h, ms, signal) => {
        if (core.height >= h) return Promise.resolve(true);
        const reached = this.heads.wait(h, ms, signal);
        this.d.metrics.headWaiters.set(this.heads.size);
        return reached.finally(() => this.d.metrics.headWaiters.set(this.heads.size));
      },
    };
  }

  /** Asks the peer Galaxies for blocks from the current head on (a restart, or traffic shows we are behind). */
  catchUp(): void {
    if (this.stopped) return;
    if (this.d.peers.length === 0) {
      if (!this.warnedNoPeers) this.d.log.warn({ height: this.d.core.height }, 'behind the other Galaxies but no --peers to catch up from');
      this.warnedNoPeers = true;
      return;
    }
    if (this.catching) {
      this.catchAgain = true;
      return;
    }
    this.catching = true;
    void this.catchUpLoop().finally(() => {
      this.catching = false;
      if (this.catchAgain) {
        this.catchAgain = false;
        this.catchUp();
      }
    });
  }

  // ---- gossip in

  private async onPresence(data: Uint8Array, now: number): Promise<Verdict> {
    const decoded = decodePresence(data, now);
    if (!decoded.ok) return 'reject';
    const p = decoded.value;
    if (!(await this.verifier.verify({ pk: p.pk, message: presenceSigningBytes(p), sig: p.sig }))) return 'reject';
    this.run('presence', () => {
      this.d.core.onPresence(p.pk, p.cluster, this.now());
      return undefined;
    });
    return 'accept';
  }

  private onCheckpoint(data: Uint8Array, now: number): Verdict {
    const decoded = decodeCheckpointCert(data);
    if (!decoded.ok) {
      this.d.log.debug({ reason: decoded.reason }, 'malformed checkpoint certificate');
      return 'reject';
    }
    void this.takeCert(decoded.value, now);
    return 'accept';
  }

  /**
   * A certificate a facilitator posted over HTTP (POST /checkpoint): judged as one from
   * gossip, and answered with the core's verdict, so the HTTP layer can charge a sender of
   * bad ones. A certificate already held is accepted again (every seat posts its copy).
   */
  async submitCheckpoint(data: Uint8Array): Promise<CheckpointSubmission> {
    const decoded = decodeCheckpointCert(data);
    if (!decoded.ok) return { ok: false, code: 'MALFORMED', reason: decoded.reason };
    const refused = await this.takeCert(decoded.value, this.now());
    return refused.length === 0 ? { ok: true } : { ok: false, code: 'REFUSED', reason: refused.join('; ') };
  }

  /** Queues a certificate for the core, either way it came; resolves with the reasons it was refused, if it was. */
  private async takeCert(cert: CheckpointCert, now: number): Promise<string[]> {
    this.noteArrival(cert, now);
    let refused: string[] = [];
    await this.run('checkpoint', () => {
      const out = this.d.core.onCheckpoint(cert, this.now());
      refused = out.refused.map((r) => r.reason);
      return out;
    });
    return refused;
  }

  /** When a certificate first came (either way), for the certificate → block latency. */
  private noteArrival(cert: CheckpointCert, now: number): void {
    const id = toHex(checkpointHash(cert.checkpoint));
    if (this.certArrivals.has(id)) return;
    if (this.certArrivals.size >= MAX_CERT_ARRIVALS) this.certArrivals.delete(this.certArrivals.keys().next().value as string);
    this.certArrivals.set(id, now);
  }

  /**
   * A Galaxy envelope: the sender must hold a genesis seat and have signed it. Failures are
   * 'ignore', not 'reject': the relay cannot check them, and it is the one who forwarded.
   */
  private async onEnvelope(data: Uint8Array): Promise<Verdict> {
    const decoded = decodeEnvelope(data);
    if (!decoded.ok || decoded.value.kind !== 'galaxy') return 'reject';
    const env = decoded.value;
    const seat = this.seats.get(toHex(env.from));
    if (seat === undefined || seat === this.d.me) return 'ignore';
    const { sig, ...unsigned } = env;
    if (!(await this.verifier.verify({ pk: env.from, message: envelopeSigningBytes(unsigned), sig }))) {
      this.d.log.debug({ seat, instance: env.instance }, 'Galaxy envelope with a bad signature');
      return 'ignore';
    }
    this.run('envelope', () => this.d.core.onEnvelope(env, this.now()));
    return 'accept';
  }

  /** Another Galaxy's complete block: only a sign that we are behind (its certs come over HTTP). */
  private async onBlackhole(data: Uint8Array): Promise<Verdict> {
    const decoded = decodeBlackhole(data);
    if (!decoded.ok) return 'reject';
    const block = decoded.value;
    const height = block.header.height;
    if (height <= this.d.core.height) return 'ignore';
    const verdicts = await this.verifier.verifyMany(quorumVerifyItems(block, this.d.galaxies));
    if (!hasGalaxyQuorum(block, this.d.galaxies, verdicts)) return 'reject';
    if (height > this.d.core.height + 1) this.catchUp();
    else if (this.aheadTimer === undefined) {
      this.aheadTimer = setTimeout(() => {
        this.aheadTimer = undefined;
        if (this.d.core.height < height) this.catchUp();
      }, AHEAD_GRACE_MS);
    }
    return 'accept';
  }

  // ---- the core's outputs

  /** Queues one core call; its outputs are applied before the next call runs. */
  private run(what: string, call: () => GalaxyOutputs | undefined | Promise<GalaxyOutputs | undefined>, publish = true): Promise<void> {
    const next = this.queue.then(async () => {
      if (this.stopped && what === 'tick') return;
      const out = await call();
      if (out) await this.apply(out, publish);
    });
    this.queue = next.catch((err: Error) => {
      if (err instanceof PersistError) {
        this.d.onFatal(err);
        return;
      }
      this.d.log.error({ what, err: err.message, stack: err.stack }, 'Galaxy step failed');
    });
    return this.queue;
  }

  private async apply(out: GalaxyOutputs, publish: boolean): Promise<void> {
    // blocks are on disk before anything of this step leaves (its envelopes may already
    // build on them), and published only after
    for (const stored of out.blocks) this.persist(stored);
    for (const u of out.send) {
      const sig = await this.d.signer.sign(envelopeSigningBytes(u));
      const bytes = encodeEnvelope({ ...u, sig });
      const now = this.now();
      if (u.instance !== this.sent.instance) this.sent = { instance: u.instance, envelopes: [], lastAt: now };
      if (this.sent.envelopes.length < MAX_RESEND_ENVELOPES) this.sent.envelopes.push(bytes);
      this.sent.lastAt = now;
      this.publish(GALAXY_TOPIC, bytes);
    }
    for (const stored of out.blocks) this.completed(stored, publish);
    for (const r of out.refused) {
      this.d.metrics.checkpoints.inc({ result: 'rejected' });
      this.d.log.info({ reason: r.reason }, 'checkpoint refused');
    }
    for (const f of out.faults) this.d.log.debug({ seat: f.node, reason: f.reason }, 'Galaxy fault');
    if (out.signBlock) {
      const { height, hash } = out.signBlock;
      const sig = await this.d.signer.sign(blackholeSigningBytes(hash));
      await this.apply(this.d.core.signedBlock(height, sig, this.now()), publish);
    }
    if (out.fetchFrom !== undefined) this.catchUp();
  }

  /** Writes a complete block, synced; a block that cannot be stored stops the Galaxy. */
  private persist(stored: StoredBlackhole): void {
    const height = stored.block.header.height;
    try {
      this.d.store.append(height, encodeStoredBlackhole(stored));
    } catch (err) {
      throw new PersistError(`cannot store Blackhole block ${height}, so it is not published: ${(err as Error).message}`);
    }
  }

  /** A stored block: publish it, then account for it. */
  private completed(stored: StoredBlackhole, publish: boolean): void {
    const { block } = stored;
    const height = block.header.height;
    // stored: Stars long-polling for it get it now, before the gossip carries it
    this.heads.notify(height);
    if (publish) this.publish(BLACKHOLE_TOPIC, encodeBlackhole(block));
    if (this.d.core.clusterCount !== this.topicClusters) this.d.onTopics?.(this.handlers());
    const now = this.now();
    const m = this.d.metrics;
    m.height.set(this.d.core.height);
    m.round.set(this.d.core.height + 1);
    m.checkpoints.inc({ result: 'accepted' }, block.body.checkpoints.length);
    m.halfBlocks.inc({ result: 'accepted' }, block.body.accepted.length);
    m.halfBlocks.inc({ result: 'rejected' }, block.body.rejected.length);
    const certLatency: number[] = [];
    for (const c of block.body.checkpoints) {
      const id = toHex(checkpointHash(c));
      const arrived = this.certArrivals.get(id);
      if (arrived === undefined) continue;
      this.certArrivals.delete(id);
      certLatency.push(now - arrived);
      if (publish) m.finality.observe({ stage: 'cert' }, (now - arrived) / 1000);
    }
    const roundMs = now - this.roundStart;
    // blocks fetched from a peer were not timed here: they would skew the histogram
    if (publish) m.finality.observe({ stage: 'round' }, roundMs / 1000);
    this.roundStart = now;
    this.d.log.info(
      {
        height,
        hash: toHex(blackholeHash(block.header)),
        checkpoints: block.body.checkpoints.length,
        accepted: block.body.accepted.length,
        rejected: block.body.rejected.length,
        roster: block.body.roster.length,
        sigs: block.sigs.length,
        latencyMs: roundMs,
        ...(certLatency.length > 0 ? { certLatencyMs: Math.max(...certLatency) } : {}),
        source: publish ? 'agreed' : 'caught up',
      },
      'Blackhole block',
    );
  }

  // ---- catch-up over HTTP

  private async catchUpLoop(): Promise<void> {
    let peerIndex = 0;
    for (let batch = 0; batch < 10_000 && !this.stopped; batch++) {
      const want = this.d.core.height + 1;
      let progressed = false;
      let full = false;
      for (let tried = 0; tried < this.d.peers.length && !progressed; tried++) {
        const peer = this.d.peers[(peerIndex + tried) % this.d.peers.length]!;
        const entries = await this.fetchBlocks(peer, want);
        if (!entries || entries.length === 0) continue;
        await this.run('catch-up', () => this.d.core.catchUp(entries, this.now()), false);
        progressed = this.d.core.height >= want;
        full = entries.length >= CATCH_UP_BATCH;
        if (progressed) peerIndex = (peerIndex + tried) % this.d.peers.length;
        else this.d.log.warn({ peer, from: want }, 'blocks from a peer Galaxy did not extend the chain (bad quorum or another chain)');
      }
      if (!progressed || !full) return;
    }
  }

  private async fetchBlocks(peer: string, from: number): Promise<StoredBlackhole[] | undefined> {
    try {
      const res = await fetch(`${peer}/blocks?from=${from}&limit=${CATCH_UP_BATCH}`, { signal: AbortSignal.timeout(CATCH_UP_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`answered ${res.status}`);
      const decoded = decodeStoredBlackholeList(new Uint8Array(await res.arrayBuffer()), CATCH_UP_BATCH);
      if (!decoded.ok) throw new Error(decoded.reason);
      return decoded.value;
    } catch (err) {
      this.d.log.debug({ peer, from, err: (err as Error).message }, 'catch-up request failed');
      return undefined;
    }
  }
}

/** A complete block that could not be stored: the Galaxy must stop rather than publish or go on. */
class PersistError extends Error {}
