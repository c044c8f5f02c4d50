/**
 * A Star's side of finality, pure: it follows Blackhole blocks like a light client (Galaxy
 * quorum signatures checked, `finalRoot` recomputed from the accepted list), tracks which
 * half-blocks are checkpointed (a certified checkpoint covers them), final or rejected, and
 * when this Star holds a facilitator seat it runs the round's AgreementRound and builds the
 * checkpoint. Signatures are verified and made by the caller (the worker, batched through
 * WebCrypto; the simulator, directly): the core hands out what to verify or sign and takes
 * the verdicts back.
 *
 * When a seat proposes: as soon as this Star holds a non-final half-block it may propose,
 * or another seat's message for the round arrives, or `idleProposeMs` after the round
 * began. A transfer proposal whose agreement this Star does not hold yet (the receiver
 * countersigns it a few hundred ms after the sender made it) is held back for up to
 * `pairWaitMs` after this Star first saw it, so both halves go into one checkpoint: a
 * transfer is final only when both halves are, and a proposal checkpointed one round before
 * its agreement would wait a whole round more anyway. The round does not wait for it: it
 * goes on with what is ready, and the held-back proposal goes in the next one with its
 * agreement. (Until the seventh session the round waited, up to pairWaitMs, until every
 * proposal it held was paired; with a transfer every few hundred ms there nearly always was
 * a fresh one, and rounds waited about half a second each.)
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeHalfBlockForVerify } from '../chain/half-block.ts';
import { bytesEqual } from '../codec/cbor.ts';
import { fromHex, toHex } from '../codec/hex.ts';
import type { VerifyItem } from '../crypto/ed25519.ts';
import type { Contribution } from '../consensus/subset.ts';
import type { Fault } from '../consensus/types.ts';
import { AgreementRound, type RoundStep } from './agreement-round.ts';
import { blackholeHash, bodyRootsProblem, finalityProofFor, hasGalaxyQuorum, quorumVerifyItems, type BlackholeBlock, type FinalityProof } from './blackhole.ts';
import {
  certHasQuorum,
  certVerifyItems,
  checkpointHash,
  checkpointSigningBytes,
  decodeProposal,
  encodeProposal,
  MAX_PROPOSAL_BLOCKS,
  mergeProposals,
  type CandidateBlock,
  type Checkpoint,
  type CheckpointCert,
} from './checkpoint.ts';
import { clusterOf } from './clusters.ts';
import { FACILITATORS_PER_ROUND } from './facilitators.ts';
import { advanceCheckpoints, certProblem, envelopesOf, prevCheckpoint, seatsAfter } from './round-support.ts';
import { envelopeSigningBytes, MAX_ENVELOPE_ITEMS, type Envelope, type UnsignedEnvelope } from './wire.ts';

export const IDLE_PROPOSE_MS = 2_000;
/**
 * How long a transfer proposal is held back from proposals waiting for its agreement (see
 * above): about a gossip hop, the receiver's countersignature and one more hop, under load on
 * this machine (gossip p99 ~0.7 s with 16 tabs; bench/gossip.ts).
 */
export const PAIR_WAIT_MS = 1_000;
/** envelopes for rounds ahead of ours are kept (bounded) until we reach them */
export const MAX_EARLY_ENVELOPES = 512;
/** Blackhole blocks kept for proofs of anyone's half-blocks; blocks with this Star's own are kept for good */
export const RECENT_BLOCKS = 64;
/** statuses of others' half-blocks are forgotten this many heights after they settle */
export const STATUS_KEEP_HEIGHTS = 1024;
/** at most one catch-up request per this long when traffic shows we are behind */
export const FETCH_EVERY_MS = 2_000;
/** early envelopes are kept for at most this many rounds ahead */
export const EARLY_ROUNDS = 4;
/** seated rounds whose timing is kept (roundTimes) */
export const TIMED_ROUNDS = 64;
/**
 * A seat's turn to put its certificate on gossip comes this long after the previous seat's
 * (certGossipDelay), unless a copy arrived first: about a gossip hop under load, so the
 * next seat normally sees the first copy before its turn.
 */
export const CERT_GOSSIP_STAGGER_MS = 1_000;

/**
 * When this Star's seat passed each step of one round (ms, the caller's clock), so a slow
 * round can be split into the step that made it slow: the block that opened it arrived,
 * this seat proposed, the ACS decided, the certificate gathered 2f+1 shares.
 */
export interface RoundTiming {
  round: number;
  seat: number;
  /** the opening block's bytes reached this Star (before its queue and the quorum check) */
  arrived?: number;
  /** the opening block was accepted: the round began here */
  opened?: number;
  proposed?: number;
  /** half-blocks this seat proposed */
  blocks?: number;
  /** n − f proposals delivered (reliable broadcast) */
  delivered?: number;
  /** n − f agreements decided 1: the rest now get input 0 */
  ones?: number;
  decided?: number;
  certified?: number;
}

export interface StarFinalityOptions {
  self: Uint8Array;
  genesis: BlackholeBlock;
  galaxies: Uint8Array[];
  /** this Star's non-final half-blocks that a seat may propose (oldest first) */
  pending(): CandidateBlock[];
  idleProposeMs?: number;
  /** at most this long a seat holds back a transfer proposal whose agreement it lacks (PAIR_WAIT_MS) */
  pairWaitMs?: number;
  /** seats per round: a network constant, the same as the Galaxies' (GalaxyOptions.facilitatorsPerRound) */
  facilitatorsPerRound?: number;
}

export interface FinalityOutputs {
  /** sign (envelopeSigningBytes) and publish on ROUND_TOPIC */
  send: UnsignedEnvelope[];
  /** ACS decided: check these blocks' signatures, then call `unionVerified` */
  verifyUnion?: { round: number; blocks: CandidateBlock[] };
  /** sign checkpointSigningBytes(hash), then call `signedCheckpoint` */
  signCheckpoint?: { round: number; hash: Uint8Array };
  /** publish on CHECKPOINT_TOPIC */
  certs: CheckpointCert[];
  /** half-block hashes (hex) that changed state */
  checkpointed: string[];
  final: string[];
  rejected: string[];
  /** blocks are missing from this height on: fetch them from a Galaxy */
  fetchFrom?: number;
  /**
   * Envelopes that arrived for a round before this Star reached it (checkEnvelope said
   * 'later' and kept them): now it can judge them. Run each through checkEnvelope →
   * verify → acceptEnvelope as if it had just arrived (its gossip verdict was given already).
   */
  replay?: Envelope[];
  faults: Fault[];
}

export type BlackholeCheck =
  | { kind: 'verify'; items: VerifyItem[] }
  | { kind: 'old' }
  | { kind: 'gap'; from: number }
  | { kind: 'invalid'; reason: string };

/**
 * 'later': this Star cannot judge it now and no one is to blame (gossip verdict 'ignore'):
 * a round ahead of ours (the envelope is kept and comes back in `replay`) or one already
 * closed (a slow seat's traffic).
 */
export type EnvelopeCheck = { kind: 'verify'; items: VerifyItem[] } | { kind: 'later' } | { kind: 'invalid'; reason: string };

type Status = 'checkpointed' | 'final' | 'rejected';

interface RoundState {
  round: number;
  /** this Star's cluster this round (clusters.ts: its key and the head's cluster count) */
  cluster: number;
  /** its cluster's facilitators */
  seats: Uint8Array[];
  /** other clusters' facilitators, computed when one of their certs arrives */
  otherSeats: Map<number, Uint8Array[]>;
  /** our seat, -1 when we only validate and relay */
  me: number;
  agreement: AgreementRound | undefined;
  /** when this Star learned the block that opened the round */
  learnedAt: number | undefined;
  /** the ACS output's blocks (deduplicated) and, per contribution, indices into them */
  union?: { blocks: CandidateBlock[]; perContribution: number[][] };
  checkpoint?: { value: Checkpoint; hash: Uint8Array; blocks: CandidateBlock[]; signed: boolean };
  certified: boolean;
  /** kept in the timeline when this Star holds a seat */
  timing?: RoundTiming;
}

function outputs(): FinalityOutputs {
  return { send: [], certs: [], checkpointed: [], final: [], rejected: [], faults: [] };
}

export class StarFinality {
  readonly #opts: StarFinalityOptions;
  readonly #idleProposeMs: number;
  readonly #pairWaitMs: number;
  readonly #seatCount: number;
  #head: BlackholeBlock;
  #headHash: Uint8Array;
  /** the block checkBlackhole last passed, so acceptBlackhole need not check it again */
  #checked: BlackholeBlock | undefined;
  #prevCheckpoints = new Map<number, Uint8Array>();
  #cur: RoundState;
  readonly #status = new Map<string, { s: Status; height: number }>();
  /** own (pending when they became final) half-blocks: hex → height; their blocks are kept */
  readonly #ownFinal = new Map<string, number>();
  readonly #kept = new Map<number, BlackholeBlock>();
  readonly #early = new Map<number, Envelope[]>();
  readonly #earlySigs = new Set<string>();
  #lastFetchAt: number | undefined;
  #farAhead = false;
  /** unpaired transfer proposals (hex) → when this Star first saw them among its candidates */
  #unpairedSince = new Map<string, number>();
  /** the last TIMED_ROUNDS seated rounds, oldest first */
  readonly #timeline: RoundTiming[] = [];

  constructor(opts: StarFinalityOptions) {
    this.#opts = opts;
    this.#idleProposeMs = opts.idleProposeMs ?? IDLE_PROPOSE_MS;
    this.#pairWaitMs = opts.pairWaitMs ?? PAIR_WAIT_MS;
    this.#seatCount = opts.facilitatorsPerRound ?? FACILITATORS_PER_ROUND;
    this.#head = opts.genesis;
    this.#headHash = blackholeHash(opts.genesis.header);
    this.#prevCheckpoints = advanceCheckpoints(this.#prevCheckpoints, opts.genesis);
    this.#cur = this.#openRound(undefined);
  }

  /** height of the last verified Blackhole block (0: only genesis) */
  get height(): number {
    return this.#head.header.height;
  }

  /** the round in progress: height + 1 */
  get round(): number {
    return this.height + 1;
  }

  get head(): BlackholeBlock {
    return this.#head;
  }

  get headHash(): Uint8Array {
    return this.#headHash;
  }

  /** whether this Star holds a seat in the round in progress */
  get seated(): boolean {
    return this.#cur.me >= 0;
  }

  /** this Star's cluster in the round in progress */
  get cluster(): number {
    return this.#cur.cluster;
  }

  /** the seats of this Star's cluster in a round it can compute (the round after its head), else undefined */
  facilitators(round: number): Uint8Array[] | undefined {
    return round === this.round ? this.#cur.seats : undefined;
  }

  /** any cluster's seats in a round this Star can compute, else undefined */
  /** How long this Star waits before it gossips its certificate of `checkpoint` (certGossipDelay). */
  certGossipDelayMs(checkpoint: Pick<Checkpoint, 'round' | 'cluster'>): number {
    return certGossipDelay(this.seatsOf(checkpoint.round, checkpoint.cluster) ?? [], this.#opts.self, checkpoint.round, CERT_GOSSIP_STAGGER_MS);
  }

  seatsOf(round: number, cluster: number): Uint8Array[] | undefined {
    if (round !== this.round) return undefined;
    const rs = this.#cur;
    if (cluster === rs.cluster) return rs.seats;
    let seats = rs.otherSeats.get(cluster);
    if (seats === undefined) {
      seats = cluster >= 0 && cluster < this.#head.header.clusterCount ? seatsAfter(this.#head, this.#headHash, this.#seatCount, cluster) : [];
      rs.otherSeats.set(cluster, seats);
    }
    return seats;
  }

  /** the checkpoint this Star built for the round in progress, once the ACS decided (debugging, tests) */
  checkpoint(round: number): Checkpoint | undefined {
    return round === this.round ? this.#cur.checkpoint?.value : undefined;
  }

  /** How the last seated rounds went (oldest first; the one in progress last): diagnostics. */
  roundTimes(): RoundTiming[] {
    return this.#timeline.map((t) => ({ ...t }));
  }

  statusOf(hashHex: string): 'open' | 'checkpointed' | 'final' | 'rejected' {
    return this.#status.get(hashHex)?.s ?? 'open';
  }

  /** the Merkle path of a final half-block (to show or hand to others) */
  proofOf(hashHex: string): FinalityProof | undefined {
    const height = this.#ownFinal.get(hashHex) ?? (this.#status.get(hashHex)?.s === 'final' ? this.#status.get(hashHex)!.height : undefined);
    const hash = fromHex(hashHex);
    if (height === undefined || !hash) return undefined;
    const block = this.#kept.get(height);
    return block ? finalityProofFor(block, hash) : undefined;
  }

  checkBlackhole(block: BlackholeBlock): BlackholeCheck {
    const h = block?.header?.height;
    if (typeof h !== 'number' || !Number.isInteger(h) || !block.body) return { kind: 'invalid', reason: 'malformed block' };
    if (h <= this.height) return { kind: 'old' };
    if (h > this.height + 1) return { kind: 'gap', from: this.height + 1 };
    const problem = this.#blockProblem(block);
    if (problem !== undefined) return { kind: 'invalid', reason: problem };
    this.#checked = block;
    return { kind: 'verify', items: quorumVerifyItems(block, this.#opts.galaxies) };
  }

  /** `verdicts` aligned with the items checkBlackhole returned; `arrivedAt`: when its bytes came (round timing). */
  acceptBlackhole(block: BlackholeBlock, verdicts: readonly boolean[], now: number, arrivedAt?: number): FinalityOutputs {
    const out = outputs();
    // the block checkBlackhole just passed is not checked again (three Merkle roots)
    const checked = block === this.#checked;
    this.#checked = undefined;
    if (block?.header?.height !== this.height + 1 || (!checked && this.#blockProblem(block) !== undefined)) return out;
    if (!hasGalaxyQuorum(block, this.#opts.galaxies, verdicts)) return out;
    this.#applyBlock(block, out, now);
    if (this.#cur.timing && arrivedAt !== undefined) this.#cur.timing.arrived = arrivedAt;
    return out;
  }

  /** Seat check and the signatures to verify: the envelope's and every share's. */
  checkEnvelope(env: Envelope): EnvelopeCheck {
    if (env?.kind !== 'round') return { kind: 'invalid', reason: 'not a round envelope' };
    if (!Number.isInteger(env.instance) || env.instance < 1) return { kind: 'invalid', reason: 'bad round' };
    // another cluster's round traffic is not ours to judge (per-cluster topics keep most of it away)
    if (env.cluster !== this.#cur.cluster) return { kind: 'later' };
    if (env.instance < this.round) return { kind: 'later' };
    if (env.instance > this.round) {
      this.#keepEarly(env);
      return { kind: 'later' };
    }
    const seats = this.#cur.seats;
    const seat = seats.findIndex((s) => bytesEqual(s, env.from));
    if (seat < 0) return { kind: 'invalid', reason: `sender is not a facilitator of round ${env.instance}` };
    if (!Array.isArray(env.items) || env.items.length === 0 || env.items.length > MAX_ENVELOPE_ITEMS) return { kind: 'invalid', reason: 'bad item count' };
    const items: VerifyItem[] = [{ pk: env.from, message: envelopeSigningBytes(env), sig: env.sig }];
    for (const { to, m } of env.items) {
      if (!Number.isInteger(to) || to < -1 || to >= seats.length) return { kind: 'invalid', reason: `item addressed to seat ${to}` };
      if (m.t === 'share') items.push({ pk: env.from, message: checkpointSigningBytes(m.hash), sig: m.sig });
    }
    return { kind: 'verify', items };
  }

  acceptEnvelope(env: Envelope, verdicts: readonly boolean[], now: number): FinalityOutputs {
    const out = outputs();
    const rs = this.#cur;
    if (env.instance !== rs.round || env.cluster !== rs.cluster) return out;
    const seat = rs.seats.findIndex((s) => bytesEqual(s, env.from));
    if (seat < 0) return out;
    if (verdicts[0] !== true) {
      out.faults.push({ node: seat, reason: 'envelope signature does not verify' });
      return out;
    }
    rs.learnedAt ??= now;
    // not seated: validated, the adapter relays it; our own (looped back): handled when sent
    if (rs.agreement === undefined || seat === rs.me) return out;
    let v = 1;
    for (const { to, m } of env.items) {
      const share = m.t === 'share';
      const shareOk = share ? verdicts[v++] === true : true;
      if (to !== -1 && to !== rs.me) continue;
      if (!shareOk) {
        out.faults.push({ node: seat, reason: 'checkpoint share with a bad signature' });
        continue;
      }
      this.#absorb(rs, rs.agreement.handle(seat, m), out, now);
    }
    // another seat's message for this round: take part at once
    if (!rs.agreement.proposed) this.#propose(rs, this.#proposal(now), out, now);
    return out;
  }

  checkCert(cert: CheckpointCert): EnvelopeCheck {
    const c = cert?.checkpoint;
    if (!c || typeof c.round !== 'number') return { kind: 'invalid', reason: 'malformed certificate' };
    if (c.round !== this.round) return { kind: 'later' };
    const problem = certProblem(cert, {
      round: this.round,
      clusterCount: this.#head.header.clusterCount,
      base: this.#headHash,
      prevOf: (cl) => prevCheckpoint(this.#prevCheckpoints, cl),
    });
    if (problem !== undefined) return { kind: 'invalid', reason: problem };
    const seats = this.seatsOf(c.round, c.cluster)!;
    if (seats.length === 0) return { kind: 'invalid', reason: `cluster ${c.cluster} has no facilitators in round ${c.round}` };
    return { kind: 'verify', items: certVerifyItems(cert, seats) };
  }

  acceptCert(cert: CheckpointCert, verdicts: readonly boolean[]): FinalityOutputs {
    const out = outputs();
    const seats = this.seatsOf(cert.checkpoint.round, cert.checkpoint.cluster);
    if (seats === undefined || !certHasQuorum(cert, seats, verdicts)) return out;
    this.#markCheckpointed(cert.checkpoint.entries, out);
    return out;
  }

  /** `verdicts` aligned with verifyUnion.blocks. */
  unionVerified(round: number, verdicts: readonly boolean[], now: number): FinalityOutputs {
    const out = outputs();
    const rs = this.#cur;
    if (rs.round !== round) return out;
    this.#buildCheckpoint(rs, verdicts, out);
    return out;
  }

  signedCheckpoint(round: number, sig: Uint8Array, now: number): FinalityOutputs {
    const out = outputs();
    const rs = this.#cur;
    const cp = rs.checkpoint;
    if (rs.round !== round || cp === undefined || cp.signed || rs.agreement === undefined) return out;
    cp.signed = true;
    this.#absorb(rs, rs.agreement.decide(cp.hash, sig), out, now);
    return out;
  }

  /** Timers: idle proposals. */
  tick(now: number): FinalityOutputs {
    const out = outputs();
    const rs = this.#cur;
    rs.learnedAt ??= now;
    if (rs.agreement !== undefined && !rs.agreement.proposed) {
      const blocks = this.#proposal(now);
      if (now - rs.learnedAt >= this.#idleProposeMs || blocks.length > 0) this.#propose(rs, blocks, out, now);
    }
    // traffic two or more rounds ahead: we missed Blackhole blocks
    const behind = this.#farAhead || [...this.#early.keys()].some((r) => r >= this.round + 2);
    if (behind && (this.#lastFetchAt === undefined || now - this.#lastFetchAt >= FETCH_EVERY_MS)) {
      this.#lastFetchAt = now;
      this.#farAhead = false;
      out.fetchFrom = this.height + 1;
    }
    return out;
  }

  // — internals —

  #openRound(now: number | undefined): RoundState {
    const round = this.#head.header.height + 1;
    const cluster = clusterOf(this.#opts.self, this.#head.header.clusterCount);
    const seats = seatsAfter(this.#head, this.#headHash, this.#seatCount, cluster);
    const me = seats.findIndex((s) => bytesEqual(s, this.#opts.self));
    const agreement = me >= 0 ? new AgreementRound({ seats: seats.length, me, seed: this.#head.header.seed }) : undefined;
    const rs: RoundState = { round, cluster, seats, otherSeats: new Map(), me, agreement, learnedAt: now, certified: false };
    if (me >= 0) {
      rs.timing = { round, seat: me, ...(now !== undefined ? { opened: now } : {}) };
      this.#timeline.push(rs.timing);
      if (this.#timeline.length > TIMED_ROUNDS) this.#timeline.shift();
    }
    return rs;
  }

  /** Structure of a block that would extend our head (signatures apart). */
  #blockProblem(block: BlackholeBlock): string | undefined {
    const { header, body } = block;
    if (header.network !== this.#head.header.network) return 'another network';
    if (!bytesEqual(header.prev, this.#headHash)) return 'prev is not the hash of our head block';
    if (header.time < this.#head.header.time) return 'time goes backwards';
    if (!Number.isInteger(header.clusterCount) || header.clusterCount < 1) return 'bad cluster count';
    return bodyRootsProblem(block);
  }

  #applyBlock(block: BlackholeBlock, out: FinalityOutputs, now: number): void {
    const height = block.header.height;
    const own = new Set(this.#opts.pending().map((c) => toHex(c.hash)));
    let keep = false;
    for (const hash of block.body.accepted) {
      const id = toHex(hash);
      if (this.#status.get(id)?.s === 'final') continue;
      this.#status.set(id, { s: 'final', height });
      out.final.push(id);
      if (own.has(id)) {
        this.#ownFinal.set(id, height);
        keep = true;
      }
    }
    for (const hash of block.body.rejected) {
      const id = toHex(hash);
      const s = this.#status.get(id)?.s;
      if (s === 'final' || s === 'rejected') continue;
      this.#status.set(id, { s: 'rejected', height });
      out.rejected.push(id);
    }
    this.#kept.set(height, block);
    if (!keep) this.#keep(height);
    this.#forget(height);
    this.#prevCheckpoints = advanceCheckpoints(this.#prevCheckpoints, block);
    this.#head = block;
    this.#headHash = blackholeHash(block.header);
    this.#cur = this.#openRound(now);
    const round = this.#cur.round;
    const early = this.#early.get(round);
    for (const r of [...this.#early.keys()]) {
      if (r > round) continue;
      for (const env of this.#early.get(r)!) this.#earlySigs.delete(toHex(env.sig));
      this.#early.delete(r);
    }
    if (early !== undefined && early.length > 0) out.replay = early;
    // a seat proposes at once if it holds what is ready; others only validate and relay
    if (this.#cur.agreement !== undefined) {
      const blocks = this.#proposal(now);
      if (blocks.length > 0) this.#propose(this.#cur, blocks, out, now);
    }
  }

  /** Blocks older than the recent window go unless they hold this Star's own final blocks. */
  #keep(height: number): void {
    const old = height - RECENT_BLOCKS;
    if (old < 1 || !this.#kept.has(old)) return;
    for (const hash of this.#kept.get(old)!.body.accepted) if (this.#ownFinal.get(toHex(hash)) === old) return;
    this.#kept.delete(old);
  }

  /** Every so often, statuses of others' half-blocks that settled long ago are dropped. */
  #forget(height: number): void {
    if (height % 64 !== 0) return;
    for (const [id, st] of this.#status) if (height - st.height > STATUS_KEEP_HEIGHTS && !this.#ownFinal.has(id)) this.#status.delete(id);
  }

  /**
   * Kept unverified (the seats of that round are not known yet), so bounded: a few rounds
   * ahead at most, MAX_EARLY_ENVELOPES in all. Junk can crowd out real ones; then this Star
   * only misses that round's early traffic (it still follows the blocks).
   */
  #keepEarly(env: Envelope): void {
    if (this.#earlySigs.size >= MAX_EARLY_ENVELOPES || !(env.sig instanceof Uint8Array)) return;
    if (env.instance > this.round + EARLY_ROUNDS) {
      // far ahead: not worth keeping, but it tells us we are behind (tick asks to fetch)
      this.#farAhead = true;
      return;
    }
    const id = toHex(env.sig);
    if (this.#earlySigs.has(id)) return;
    this.#earlySigs.add(id);
    const list = this.#early.get(env.instance) ?? [];
    list.push(env);
    this.#early.set(env.instance, list);
  }

  /**
   * Non-final half-blocks of this cluster's accounts to propose, oldest first, at most
   * MAX_PROPOSAL_BLOCKS. A block goes with its author: after a split or a merge, the
   * author's new cluster proposes what is still open (the Galaxy ignores a block it has
   * made final already, so nothing counts twice).
   *
   * Seats mostly hold the same blocks, so each seat puts its own share first (the accounts
   * whose key falls to its seat this round, as HoneyBadgerBFT has each node take its slice
   * of the queue) and fills up with the rest: the union, and so the checkpoint, can cover up
   * to seats × MAX_PROPOSAL_BLOCKS half-blocks instead of about MAX_PROPOSAL_BLOCKS, and a
   * silent seat's share still comes in through the others' fill.
   *
   * An account's blocks become final only in chain order (the Galaxy defers a block whose
   * predecessor is not final), so a proposal carries a prefix of each account's open blocks,
   * never one with a hole: shares go by account, not by block (shares by block hash split
   * every chain over all seats, and a seat's proposal left out of the ACS output, or cut at
   * the size limit, left holes in every chain: at 128 transfers in flight per tab the
   * Galaxy made final 504 of the 842 half-blocks a checkpoint carried, at the median), a
   * block held back holds back its account's later blocks too, and an agreement stays out
   * with the proposal it countersigns.
   *
   * A transfer proposal whose receiver is in this cluster and whose agreement is not among
   * the candidates is left out until pairWaitMs after this Star first saw it (see the top of
   * the file). Another cluster's Stars checkpoint the agreement of a cross-cluster transfer,
   * so those are never held back.
   */
  #proposal(now: number): CandidateBlock[] {
    const mine: CandidateBlock[] = [];
    const rest: CandidateBlock[] = [];
    const { cluster, me, seats } = this.#cur;
    const count = this.#head.header.clusterCount;
    // each candidate's keys, made once: its author (hex) and, for an agreement, the proposal it names ("pk/seq")
    const candidates: Array<{ c: CandidateBlock; id: string; author: string; names?: string }> = [];
    for (const c of this.#opts.pending()) {
      const id = toHex(c.hash);
      const s = this.#status.get(id)?.s;
      if (s !== 'final' && s !== 'rejected' && clusterOf(c.block.pk, count) === cluster) {
        candidates.push({ c, id, author: toHex(c.block.pk), names: c.block.linkSeq === 0 ? undefined : `${toHex(c.block.linkPk)}/${c.block.linkSeq}` });
      }
    }
    const agreed = new Set<string>();
    for (const { names } of candidates) if (names !== undefined) agreed.add(names);
    // only the proposals still unpaired are remembered (a proposal that comes back later is timed afresh)
    const unpaired = new Map<string, number>();
    // accounts with a block left out: their later blocks stay out too (no holes); and the
    // blocks left out ("pk/seq"), so an agreement to one stays out with it
    const stopped = new Set<string>();
    const leftOut = new Set<string>();
    const leave = (author: string, seq: number) => {
      stopped.add(author);
      leftOut.add(`${author}/${seq}`);
    };
    for (const { c, id, author, names } of candidates) {
      // every unpaired proposal's wait is timed, also one that stays out behind another
      let waiting = false;
      if (names === undefined && clusterOf(c.block.linkPk, count) === cluster && !agreed.has(`${author}/${c.block.seq}`)) {
        const since = this.#unpairedSince.get(id) ?? now;
        unpaired.set(id, since);
        waiting = now - since < this.#pairWaitMs;
      }
      if (waiting || stopped.has(author) || (names !== undefined && leftOut.has(names))) {
        leave(author, c.block.seq);
        continue;
      }
      const list = me >= 0 && shareOf(c.block.pk, this.#cur.round, seats.length) === me ? mine : rest;
      if (list.length < MAX_PROPOSAL_BLOCKS) list.push(c);
      else leave(author, c.block.seq);
    }
    this.#unpairedSince = unpaired;
    // cut at the end: each account keeps a prefix of its blocks in `rest`, as it is in order
    return mine.concat(rest.slice(0, MAX_PROPOSAL_BLOCKS - mine.length));
  }

  /** Proposes `blocks` (this.#proposal(), computed once by the caller) for the round. */
  #propose(rs: RoundState, blocks: readonly CandidateBlock[], out: FinalityOutputs, now: number): void {
    if (rs.agreement === undefined || rs.agreement.proposed || rs !== this.#cur) return;
    const value = encodeProposal(blocks.map((c) => c.bytes));
    if (rs.timing) {
      rs.timing.proposed = now;
      rs.timing.blocks = blocks.length;
    }
    this.#absorb(rs, rs.agreement.propose(value), out, now);
  }

  #absorb(rs: RoundState, step: RoundStep, out: FinalityOutputs, now: number): void {
    out.send.push(...envelopesOf('round', rs.round, rs.cluster, this.#opts.self, step.messages));
    if (rs.timing && rs.agreement && rs.timing.ones === undefined) {
      const p = rs.agreement.progress();
      const quorum = rs.agreement.params.n - rs.agreement.params.f;
      if (p.delivered >= quorum) rs.timing.delivered ??= now;
      if (p.ones >= quorum) rs.timing.ones = now;
    }
    out.faults.push(...step.faults);
    if (step.decided !== undefined && rs.union === undefined) {
      if (rs.timing) rs.timing.decided = now;
      rs.union = unionOf(step.decided);
      if (rs.union.blocks.length > 0) out.verifyUnion = { round: rs.round, blocks: rs.union.blocks };
      else this.#buildCheckpoint(rs, [], out);
    }
    if (step.certified !== undefined && !rs.certified && rs.checkpoint !== undefined && bytesEqual(step.certified.hash, rs.checkpoint.hash)) {
      rs.certified = true;
      if (rs.timing) rs.timing.certified = now;
      const cp = rs.checkpoint;
      out.certs.push({ checkpoint: cp.value, blocks: cp.blocks.map((b) => b.bytes), sigs: step.certified.sigs });
      this.#markCheckpointed(cp.value.entries, out);
    }
  }

  #buildCheckpoint(rs: RoundState, verdicts: readonly boolean[], out: FinalityOutputs): void {
    const union = rs.union;
    if (union === undefined || rs.checkpoint !== undefined) return;
    const proposals = union.perContribution.map((idx) => idx.filter((i) => verdicts[i] === true).map((i) => union.blocks[i]!));
    const merged = mergeProposals(proposals);
    const value: Checkpoint = {
      cluster: rs.cluster,
      round: rs.round,
      base: this.#headHash,
      prev: prevCheckpoint(this.#prevCheckpoints, rs.cluster),
      entries: merged.map((c) => c.hash),
    };
    const hash = checkpointHash(value);
    rs.checkpoint = { value, hash, blocks: merged, signed: false };
    out.signCheckpoint = { round: rs.round, hash };
  }

  #markCheckpointed(entries: readonly Uint8Array[], out: FinalityOutputs): void {
    for (const hash of entries) {
      const id = toHex(hash);
      if (this.#status.has(id)) continue;
      this.#status.set(id, { s: 'checkpointed', height: this.height });
      out.checkpointed.push(id);
    }
  }
}

/** The seat whose share an account's blocks are this round: its key's first two bytes, plus the round, modulo the seat count. */
function shareOf(pk: Uint8Array, round: number, seats: number): number {
  return (((pk[0]! << 8) | pk[1]!) + round) % Math.max(1, seats);
}

/**
 * When a seat puts its certificate on gossip, in turns of `staggerMs`: every seat of a round
 * certifies the same checkpoint at about the same moment, and each copy (hundreds of blocks)
 * was carried to every Star by the relay and the mesh, and decoded by each. The seat whose
 * turn is 0 publishes at once and the others only if no copy has reached them by their turn;
 * the turns rotate with the round, so a silent seat delays the gossip copy by one turn at
 * most once in a while. A Star that is not a seat of the round gets turn 0. (Every seat
 * still posts its copy straight to the Galaxies, which make the block from it.)
 */
export function certGossipDelay(seats: readonly Uint8Array[], self: Uint8Array, round: number, staggerMs: number): number {
  const me = seats.findIndex((pk) => bytesEqual(pk, self));
  if (me < 0) return 0;
  return ((me - (round % seats.length) + seats.length) % seats.length) * staggerMs;
}

/** The ACS output's half-blocks, decoded, one entry per hash; undecodable ones are left out. */
function unionOf(contributions: readonly Contribution[]): { blocks: CandidateBlock[]; perContribution: number[][] } {
  const blocks: CandidateBlock[] = [];
  const index = new Map<string, number>();
  const perContribution: number[][] = [];
  for (const c of contributions) {
    const idx: number[] = [];
    const mine = new Set<number>();
    const d = decodeProposal(c.value);
    if (d.ok) {
      for (const bytes of d.value) {
        const hash = sha256(bytes);
        const id = toHex(hash);
        let i = index.get(id);
        if (i === undefined) {
          const hb = decodeHalfBlockForVerify(bytes);
          if (!hb.ok) continue;
          i = blocks.length;
          index.set(id, i);
          blocks.push({ bytes, block: hb.value.block, hash });
        }
        if (!mine.has(i)) {
          mine.add(i);
          idx.push(i);
        }
      }
    }
    perContribution.push(idx);
  }
  return { blocks, perContribution };
}
