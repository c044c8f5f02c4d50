/**
 * One Galaxy, pure: it takes certified checkpoints and presence, agrees with the other
 * Galaxies on each Blackhole block (AgreementRound, the same core the facilitators run),
 * applies the checkpoints' half-blocks to its final ledger deterministically (accepted,
 * deferred when history is missing, rejected for good: double spends against final blocks,
 * overspends, agreements to rejected proposals, blocks after a rejected one) and signs.
 *
 * Galaxy proposal for height h: the valid certs it holds for round h (one per cluster),
 * the roster it saw (fresh presence), its clock. The block is built from the ACS output:
 * the first valid cert per cluster (by proposer seat), roster = keys in ≥ f+1 proposals,
 * time = median. It proposes as soon as it holds a cert for every cluster, or another
 * Galaxy proposed, or `roundTimeoutMs` passed (an empty round moves the seed on, so a round
 * whose facilitators sleep is retried with others).
 *
 * Signatures: `verify` is synchronous (noble in Node), used for the few signatures per
 * round (checkpoint certs, shares); the caller authenticates envelopes.
 */
import type { Decoded } from '../chain/half-block.ts';
import { bytesEqual, decodeCanonical, encodeCanonical, isRecord } from '../codec/cbor.ts';
import { fromHex, toHex } from '../codec/hex.ts';
import type { VerifyItem } from '../crypto/ed25519.ts';
import type { Contribution } from '../consensus/subset.ts';
import { maxFaulty, type Fault } from '../consensus/types.ts';
import { AgreementRound, type RoundStep } from './agreement-round.ts';
import {
  blackholeHash,
  blackholeSigningBytes,
  decodeBlackhole,
  encodeBlackhole,
  finalityProofFor,
  genesisBlackhole,
  hasGalaxyQuorum,
  MAX_BLACKHOLE_BYTES,
  MAX_ROSTER,
  nextSeed,
  quorumVerifyItems,
  UNIFORM_REPUTATION_DIGEST,
  type BlackholeBlock,
  type BlackholeHeader,
  type FinalityProof,
} from './blackhole.ts';
import { certHasQuorum, certVerifyItems, checkpointHash, decodeCheckpointCert, encodeCheckpointCert, type CheckpointCert } from './checkpoint.ts';
import { checkClusterPolicy, DEFAULT_CLUSTER_POLICY, nextClusterCount, type ClusterPolicy } from './clusters.ts';
import { FACILITATORS_PER_ROUND } from './facilitators.ts';
import { decodeGalaxyProposal, encodeGalaxyProposal } from './galaxy-proposal.ts';
import { GalaxyLedger, type AccountState } from './galaxy-ledger.ts';
import { merkleRoot } from './merkle.ts';
import { advanceCheckpoints, certKey, certProblem, clusterSeatsAfter, envelopesOf, prevCheckpoint } from './round-support.ts';
import type { Envelope, UnsignedEnvelope } from './wire.ts';

export type { AccountState } from './galaxy-ledger.ts';

export const ROUND_TIMEOUT_MS = 5_000;
/** the round timeout grows to at most ROUND_TIMEOUT_MS × 2^3 after rounds that timed out */
export const MAX_TIMEOUT_DOUBLINGS = 3;
/**
 * The round timeout is at least this many times the recent duration of rounds that ended
 * with a checkpoint (like TCP's retransmission timeout over its smoothed round-trip time).
 */
export const TIMEOUT_PER_ROUND_TIME = 2;
/** weight of the newest round in that smoothed duration */
export const ROUND_TIME_GAIN = 0.25;
/** with no one to facilitate, a block (carrying the new roster) at most this often */
export const EMPTY_ROSTER_MS = 1_000;
export const PRESENCE_TTL_MS = 60_000;
/** envelopes for heights ahead of ours kept until we get there */
export const MAX_EARLY_GALAXY_ENVELOPES = 512;
/** another Galaxy works one height ahead for this long: we missed shares, fetch the block */
export const CATCH_UP_AFTER_MS = 1_000;
/** stored entry: a block and up to one cert per cluster (each ≤ 2048 half-blocks) */
export const MAX_STORED_BLACKHOLE_BYTES = 16 * 1024 * 1024;

export interface GalaxyOptions {
  network: string;
  galaxies: Uint8Array[];
  me: number;
  balances: ReadonlyMap<string, number>;
  verify(item: VerifyItem): boolean;
  roundTimeoutMs?: number;
  emptyRosterMs?: number;
  /** seats per round: must be the same network-wide (StarFinalityOptions.facilitatorsPerRound) */
  facilitatorsPerRound?: number;
  /** when clusters split and merge (clusters.ts); the same at every Galaxy */
  clusterPolicy?: ClusterPolicy;
  presenceTtlMs?: number;
}

/** What a Galaxy stores per height: the block and the certs whose blocks it applied. */
export interface StoredBlackhole {
  block: BlackholeBlock;
  certs: CheckpointCert[];
}

export interface GalaxyOutputs {
  /** sign (envelopeSigningBytes) with the Galaxy key and publish on GALAXY_TOPIC */
  send: UnsignedEnvelope[];
  /** sign blackholeSigningBytes(hash), then call `signedBlock` */
  signBlock?: { height: number; hash: Uint8Array };
  /** newly complete blocks: persist each, then publish `block` on BLACKHOLE_TOPIC */
  blocks: StoredBlackhole[];
  /** certs this Galaxy refused, with why (metrics, logs) */
  refused: Array<{ reason: string }>;
  /** another Galaxy is ahead: fetch stored blocks from this height from a peer */
  fetchFrom?: number;
  faults: Fault[];
}

function outputs(): GalaxyOutputs {
  return { send: [], blocks: [], refused: [], faults: [] };
}

/** The block being agreed at height head+1. */
interface Height {
  height: number;
  agreement: AgreementRound;
  /** local time this height began (set on the first event after it) */
  startedAt: number | undefined;
  /** valid certs for this round, by cluster (the first one that arrived) */
  certs: Map<number, CheckpointCert>;
  /** built from the ACS output, unsigned; its execution is already applied to the ledger */
  candidate?: { stored: StoredBlackhole; hash: Uint8Array };
}

export class GalaxyCore {
  readonly #opts: GalaxyOptions;
  readonly #me: Uint8Array;
  readonly #f: number;
  readonly #seatCount: number;
  readonly #roundTimeoutMs: number;
  readonly #emptyRosterMs: number;
  /** rounds in a row that had seats but ended by timeout; each doubles the next timeout */
  #timeouts = 0;
  /** smoothed duration of recent rounds that ended with a checkpoint (ms), once there was one */
  #roundTimeMs: number | undefined;
  readonly #presenceTtlMs: number;
  readonly #clusterPolicy: ClusterPolicy;
  readonly #chain: StoredBlackhole[];
  readonly #hashes: Uint8Array[];
  /** accepted half-block hash (hex) → height */
  readonly #finalAt = new Map<string, number>();
  #ledger: GalaxyLedger;
  #prevCheckpoints = new Map<number, Uint8Array>();
  /** seats of the round after the head, by cluster (set with #setSeats) */
  #seats: Uint8Array[][] = [];
  /** clusters with at least one seat this round: the certs a proposal waits for */
  #seated = 0;
  /** cert validity against the current head (cleared with every block) */
  #certValid = new Map<string, string | undefined>();
  #cur!: Height;
  readonly #presence = new Map<string, { pk: Uint8Array; cluster: number; at: number }>();
  readonly #early = new Map<number, Envelope[]>();
  #earlyCount = 0;
  #earlyCerts: CheckpointCert[] = [];
  #aheadSince: number | undefined;
  #lastFetchAt: number | undefined;

  /** `stored`: this Galaxy's persisted chain (heights 1..), replayed on start. */
  constructor(opts: GalaxyOptions, stored: readonly StoredBlackhole[] = []) {
    if (!Number.isInteger(opts.me) || opts.me < 0 || opts.me >= opts.galaxies.length) throw new RangeError(`galaxy index ${opts.me} is not a seat of ${opts.galaxies.length}`);
    this.#opts = opts;
    this.#me = opts.galaxies[opts.me]!;
    this.#f = maxFaulty(opts.galaxies.length);
    this.#seatCount = opts.facilitatorsPerRound ?? FACILITATORS_PER_ROUND;
    this.#roundTimeoutMs = opts.roundTimeoutMs ?? ROUND_TIMEOUT_MS;
    this.#emptyRosterMs = opts.emptyRosterMs ?? EMPTY_ROSTER_MS;
    this.#presenceTtlMs = opts.presenceTtlMs ?? PRESENCE_TTL_MS;
    const genesis = genesisBlackhole(opts.network, opts.galaxies, opts.balances);
    this.#chain = [{ block: genesis, certs: [] }];
    this.#hashes = [blackholeHash(genesis.header)];
    this.#ledger = new GalaxyLedger(opts.balances);
    this.#clusterPolicy = checkClusterPolicy(opts.clusterPolicy ?? DEFAULT_CLUSTER_POLICY);
    this.#setSeats(clusterSeatsAfter(genesis, this.#hashes[0]!, this.#seatCount));
    this.#startHeight(undefined);
    // our own database: signatures were checked before it was written; the replay still
    // proves the stored blocks rebuild exactly the state their headers commit to
    for (const entry of [...stored].sort((a, b) => a.block.header.height - b.block.header.height)) {
      if (entry.block.header.height === 0) continue;
      const problem = this.#replay(entry, false);
      if (problem !== undefined) throw new Error(`stored Blackhole block ${entry.block.header.height}: ${problem}`);
      this.#append(entry);
      this.#startHeight(undefined);
    }
  }

  get head(): BlackholeBlock {
    return this.#chain[this.#chain.length - 1]!.block;
  }

  get height(): number {
    return this.#chain.length - 1;
  }

  /** hash of the head block */
  get headHash(): Uint8Array {
    return this.#hashes[this.#hashes.length - 1]!;
  }

  /** a cluster's facilitators in the round in progress (height + 1); none for a cluster that does not exist or has no roster Star */
  seatsOf(cluster: number): readonly Uint8Array[] {
    return this.#seats[cluster] ?? [];
  }

  /** clusters in the round in progress */
  get clusterCount(): number {
    return this.head.header.clusterCount;
  }

  block(height: number): StoredBlackhole | undefined {
    return Number.isInteger(height) && height >= 0 ? this.#chain[height] : undefined;
  }

  /** Stored blocks from `from` on, at most `limit` (the /blocks catch-up answer). */
  blocks(from: number, limit: number): StoredBlackhole[] {
    return this.#chain.slice(Math.max(1, from), Math.max(1, from) + Math.max(0, limit));
  }

  account(pk: Uint8Array): AccountState | undefined {
    return this.#ledger.account(pk);
  }

  proof(halfBlockHashHex: string): FinalityProof | undefined {
    const height = this.#finalAt.get(halfBlockHashHex);
    const hash = fromHex(halfBlockHashHex);
    if (height === undefined || !hash) return undefined;
    return finalityProofFor(this.#chain[height]!.block, hash);
  }

  /** A checkpoint certificate from gossip (its facilitator signatures are checked here). */
  onCheckpoint(cert: CheckpointCert, now: number): GalaxyOutputs {
    const out = outputs();
    this.#touch(now);
    const round = cert.checkpoint?.round;
    if (typeof round !== 'number') {
      out.refused.push({ reason: 'malformed certificate' });
      return out;
    }
    const h = this.#cur.height;
    if (round < h) return out; // its round is closed: the block went without it
    if (round > h) {
      // we are behind: keep a few for when we get there
      if (round === h + 1 && this.#earlyCerts.length < 16) this.#earlyCerts.push(cert);
      else this.#noteAhead(out, round, now);
      return out;
    }
    this.#takeCert(cert, out);
    this.#maybePropose(out, now);
    return out;
  }

  /** A Star's fresh presence (its signature checked by the caller). */
  onPresence(pk: Uint8Array, cluster: number, now: number): void {
    if (pk.length !== 32) return;
    this.#presence.set(toHex(pk), { pk, cluster, at: now });
    if (this.#presence.size > 4 * MAX_ROSTER) this.#prunePresence(now);
  }

  /** An authenticated envelope from the Galaxy at seat `from` (its signature checked by the caller). */
  onEnvelope(env: Envelope, now: number): GalaxyOutputs {
    const out = outputs();
    this.#touch(now);
    this.#envelope(env, out, now);
    return out;
  }

  signedBlock(height: number, sig: Uint8Array, now: number): GalaxyOutputs {
    const out = outputs();
    const cur = this.#cur;
    if (height !== cur.height || cur.candidate === undefined) return out;
    this.#absorb(cur.agreement.decide(cur.candidate.hash, sig), out, now);
    return out;
  }

  /** Stored blocks fetched from a peer Galaxy (quorum checked here). */
  catchUp(entries: readonly StoredBlackhole[], now: number): GalaxyOutputs {
    const out = outputs();
    this.#touch(now);
    for (const entry of [...entries].sort((a, b) => a.block.header.height - b.block.header.height)) {
      const h = entry.block.header.height;
      if (h <= this.height) continue;
      if (h !== this.height + 1) {
        out.fetchFrom = this.height + 1;
        break;
      }
      const problem = this.#replay(entry, true);
      if (problem !== undefined) {
        out.refused.push({ reason: `catch-up block ${h}: ${problem}` });
        break;
      }
      this.#complete(entry, out, now);
    }
    return out;
  }

  /**
   * How long the round in progress waits for checkpoints before an empty block: the
   * configured timeout, or TIMEOUT_PER_ROUND_TIME × the smoothed duration of recent rounds
   * that ended with a checkpoint when that is longer, doubled for each round in a row its
   * seats let time out; never more than ROUND_TIMEOUT × 2^MAX_TIMEOUT_DOUBLINGS.
   */
  get roundTimeoutNow(): number {
    const base = Math.max(this.#roundTimeoutMs, TIMEOUT_PER_ROUND_TIME * (this.#roundTimeMs ?? 0));
    return Math.min(this.#roundTimeoutMs * 2 ** MAX_TIMEOUT_DOUBLINGS, base * 2 ** this.#timeouts);
  }

  tick(now: number): GalaxyOutputs {
    const out = outputs();
    this.#touch(now);
    const cur = this.#cur;
    if (!cur.agreement.proposed) {
      const since = now - cur.startedAt!;
      const emptyRoster = this.#seated === 0 && this.#freshRoster(now).length > 0;
      if (since >= this.roundTimeoutNow || (emptyRoster && since >= this.#emptyRosterMs)) this.#propose(out, now);
    }
    if (this.#aheadSince !== undefined && now - this.#aheadSince >= CATCH_UP_AFTER_MS) this.#askFetch(out, now);
    return out;
  }

  // — internals —

  #touch(now: number): void {
    this.#cur.startedAt ??= now;
  }

  #startHeight(now: number | undefined): void {
    const height = this.height + 1;
    this.#cur = {
      height,
      agreement: new AgreementRound({ seats: this.#opts.galaxies.length, me: this.#opts.me, seed: this.head.header.seed }),
      startedAt: now,
      certs: new Map(),
    };
  }

  #envelope(env: Envelope, out: GalaxyOutputs, now: number): void {
    if (env.kind !== 'galaxy') return;
    const seat = this.#opts.galaxies.findIndex((g) => bytesEqual(g, env.from));
    if (seat < 0 || seat === this.#opts.me) return;
    const cur = this.#cur;
    if (env.instance < cur.height) return;
    if (env.instance > cur.height) {
      if (this.#earlyCount < MAX_EARLY_GALAXY_ENVELOPES) {
        const list = this.#early.get(env.instance) ?? [];
        list.push(env);
        this.#early.set(env.instance, list);
        this.#earlyCount++;
      }
      this.#noteAhead(out, env.instance, now);
      return;
    }
    for (const { to, m } of env.items) {
      if (to !== -1 && to !== this.#opts.me) continue;
      if (m.t === 'share') {
        const ok = m.hash.length === 32 && this.#opts.verify({ pk: env.from, message: blackholeSigningBytes(m.hash), sig: m.sig });
        if (!ok) {
          out.faults.push({ node: seat, reason: 'blackhole share with a bad signature' });
          continue;
        }
      }
      this.#absorb(cur.agreement.handle(seat, m), out, now);
      if (this.#cur !== cur) return; // the block completed; the rest belongs to a closed height
    }
    // another Galaxy proposed (or is voting): join in
    if (this.#cur === cur) this.#propose(out, now);
  }

  #noteAhead(out: GalaxyOutputs, instance: number, now: number): void {
    if (instance >= this.#cur.height + 2) this.#askFetch(out, now);
    else this.#aheadSince ??= now;
  }

  #askFetch(out: GalaxyOutputs, now: number): void {
    if (this.#lastFetchAt !== undefined && now - this.#lastFetchAt < CATCH_UP_AFTER_MS) return;
    this.#lastFetchAt = now;
    out.fetchFrom = this.height + 1;
  }

  #takeCert(cert: CheckpointCert, out: GalaxyOutputs): void {
    const cluster = cert.checkpoint.cluster;
    const held = this.#cur.certs.get(cluster);
    if (held && bytesEqual(checkpointHash(held.checkpoint), checkpointHash(cert.checkpoint))) return;
    const problem = this.#validateCert(cert);
    if (problem !== undefined) {
      out.refused.push({ reason: problem });
      return;
    }
    if (held) {
      // two certified checkpoints for one round: more than f facilitators lied
      out.refused.push({ reason: `a second certified checkpoint for round ${cert.checkpoint.round} cluster ${cluster}` });
      return;
    }
    this.#cur.certs.set(cluster, cert);
  }

  /** Deterministic (same answer at every Galaxy at this head): structure, base, prev, facilitator quorum. */
  #validateCert(cert: CheckpointCert): string | undefined {
    const key = certKey(cert);
    if (this.#certValid.has(key)) return this.#certValid.get(key);
    let problem = certProblem(cert, {
      round: this.#cur.height,
      clusterCount: this.head.header.clusterCount,
      base: this.headHash,
      prevOf: (c) => prevCheckpoint(this.#prevCheckpoints, c),
    });
    if (problem === undefined) {
      const seats = this.seatsOf(cert.checkpoint.cluster);
      if (seats.length === 0) problem = `cluster ${cert.checkpoint.cluster} has no facilitators this round`;
      else {
        const items = certVerifyItems(cert, seats);
        const verdicts = items.map((item) => this.#opts.verify(item));
        if (!certHasQuorum(cert, seats, verdicts)) problem = 'no facilitator quorum';
      }
    }
    if (this.#certValid.size < 1024) this.#certValid.set(key, problem);
    return problem;
  }

  #freshRoster(now: number): Uint8Array[] {
    this.#prunePresence(now);
    const keys = [...this.#presence.keys()].sort().slice(0, MAX_ROSTER);
    return keys.map((k) => this.#presence.get(k)!.pk);
  }

  #prunePresence(now: number): void {
    for (const [k, p] of this.#presence) if (now - p.at > this.#presenceTtlMs) this.#presence.delete(k);
  }

  /** Proposes once it holds a cert from every cluster that has facilitators this round (a round without any waits for the timers). */
  #maybePropose(out: GalaxyOutputs, now: number): void {
    if (this.#seated > 0 && this.#cur.certs.size >= this.#seated) this.#propose(out, now);
  }

  /** A round that ended with a checkpoint took `ms`: into the smoothed round time (ROUND_TIME_GAIN per round). */
  #noteRoundTime(ms: number): void {
    this.#roundTimeMs = this.#roundTimeMs === undefined ? ms : this.#roundTimeMs + ROUND_TIME_GAIN * (ms - this.#roundTimeMs);
  }

  #setSeats(seats: Uint8Array[][]): void {
    this.#seats = seats;
    this.#seated = seats.filter((s) => s.length > 0).length;
  }

  #propose(out: GalaxyOutputs, now: number): void {
    const cur = this.#cur;
    if (cur.agreement.proposed) return;
    const certs = [...cur.certs.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => encodeCheckpointCert(c));
    const value = encodeGalaxyProposal({ certs, roster: this.#freshRoster(now), time: Math.max(0, Math.floor(now)) });
    this.#absorb(cur.agreement.propose(value), out, now);
  }

  #absorb(step: RoundStep, out: GalaxyOutputs, now: number): void {
    const cur = this.#cur;
    out.send.push(...envelopesOf('galaxy', cur.height, 0, this.#me, step.messages));
    out.faults.push(...step.faults);
    if (step.decided !== undefined && cur.candidate === undefined) {
      const stored = this.#build(step.decided);
      const hash = blackholeHash(stored.block.header);
      cur.candidate = { stored, hash };
      out.signBlock = { height: cur.height, hash };
    }
    if (step.certified !== undefined && cur.candidate !== undefined && bytesEqual(step.certified.hash, cur.candidate.hash)) {
      const c = cur.candidate.stored;
      this.#complete({ block: { ...c.block, sigs: step.certified.sigs }, certs: c.certs }, out, now, true);
    }
  }

  /**
   * The block from the ACS output, and its execution applied to the ledger (an honest
   * quorum can only certify this very block; if a peer's block ever differs, the ledger
   * is rebuilt from the chain). Everything is a function of the output and the chain.
   */
  #build(contributions: Contribution[]): StoredBlackhole {
    const proposals = contributions.map((c) => decodeGalaxyProposal(c.value)).flatMap((d) => (d.ok ? [d.value] : []));
    const clusters = this.head.header.clusterCount;
    const seated = this.#seated;
    const chosen = new Map<number, CheckpointCert>();
    // proposals mostly carry the same certs: stop decoding once every cluster has one
    for (const p of proposals) {
      if (chosen.size === seated) break;
      for (const bytes of p.certs) {
        if (chosen.size === seated) break;
        const d = decodeCheckpointCert(bytes);
        if (!d.ok) continue;
        const cluster = d.value.checkpoint.cluster;
        if (chosen.has(cluster) || !(cluster >= 0 && cluster < clusters)) continue;
        if (this.#validateCert(d.value) === undefined) chosen.set(cluster, d.value);
      }
    }
    const certs = [...chosen.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
    const votes = new Map<string, { pk: Uint8Array; n: number }>();
    for (const p of proposals) {
      const mine = new Set<string>();
      for (const pk of p.roster) {
        const k = toHex(pk);
        if (mine.has(k)) continue;
        mine.add(k);
        const v = votes.get(k);
        if (v) v.n++;
        else votes.set(k, { pk, n: 1 });
      }
    }
    const roster = [...votes.keys()]
      .filter((k) => votes.get(k)!.n >= this.#f + 1)
      .sort()
      .slice(0, MAX_ROSTER)
      .map((k) => votes.get(k)!.pk);
    const times = proposals.map((p) => p.time).sort((a, b) => a - b);
    const median = times.length > 0 ? times[(times.length - 1) >> 1]! : 0;
    const time = Math.max(median, this.head.header.time);
    return this.#execute(certs, roster, time);
  }

  /** Applies `certs` to the ledger and builds the unsigned block. */
  #execute(certs: CheckpointCert[], roster: Uint8Array[], time: number): StoredBlackhole {
    const height = this.height + 1;
    const exec = this.#ledger.execute(certs, time);
    const checkpoints = certs.map((c) => c.checkpoint);
    const checkpointsRoot = merkleRoot(checkpoints.map(checkpointHash));
    const accepted = exec.accepted;
    const rejected = exec.rejected.map((r) => r.hash);
    const header: BlackholeHeader = {
      network: this.#opts.network,
      height,
      prev: this.headHash,
      time,
      checkpointsRoot,
      finalRoot: merkleRoot(accepted),
      stateRoot: this.#ledger.stateRoot(),
      reputationDigest: UNIFORM_REPUTATION_DIGEST.slice(),
      clusterCount: nextClusterCount(
        this.head.header.clusterCount,
        roster,
        checkpoints.map((c) => ({ cluster: c.cluster, entries: c.entries.length })),
        this.#clusterPolicy,
      ),
      seed: nextSeed(this.head.header.seed, checkpointsRoot, height),
      rosterRoot: merkleRoot(roster),
    };
    return { block: { header, body: { checkpoints, accepted, rejected, roster }, sigs: [] }, certs };
  }

  /**
   * A stored block (own database or a peer's) is re-executed and must come out identical:
   * prev, certs valid at our head and naming the body's checkpoints, the same header.
   * On success the ledger holds its execution; on failure it is as before.
   */
  #replay(entry: StoredBlackhole, checkQuorum: boolean): string | undefined {
    const { block, certs } = entry;
    const h = block.header;
    if (h.network !== this.#opts.network) return 'another network';
    if (h.height !== this.height + 1 || !bytesEqual(h.prev, this.headHash)) return 'does not extend our head';
    if (checkQuorum) {
      const verdicts = quorumVerifyItems(block, this.#opts.galaxies).map((item) => this.#opts.verify(item));
      if (!hasGalaxyQuorum(block, this.#opts.galaxies, verdicts)) return 'no Galaxy quorum';
    }
    const hash = blackholeHash(h);
    const cur = this.#cur;
    if (cur.candidate !== undefined) {
      // our own candidate for this height is already applied to the ledger
      if (bytesEqual(cur.candidate.hash, hash) && sameBody(cur.candidate.stored.block, block)) return undefined;
      this.#rebuildLedger();
      cur.candidate = undefined;
    }
    if (certs.length !== block.body.checkpoints.length) return 'certs and checkpoints differ in number';
    for (let i = 0; i < certs.length; i++) {
      const problem = this.#validateCert(certs[i]!);
      if (problem !== undefined) return `cert ${i}: ${problem}`;
      if (!bytesEqual(checkpointHash(certs[i]!.checkpoint), checkpointHash(block.body.checkpoints[i]!))) return `cert ${i} is not the body's checkpoint`;
    }
    const again = this.#execute(certs, block.body.roster, h.time);
    if (!bytesEqual(blackholeHash(again.block.header), hash) || !sameBody(again.block, block)) {
      this.#rebuildLedger();
      return 'executing its certs gives another block';
    }
    return undefined;
  }

  #rebuildLedger(): void {
    this.#ledger = new GalaxyLedger(this.#opts.balances);
    for (let h = 1; h < this.#chain.length; h++) {
      const s = this.#chain[h]!;
      this.#ledger.execute(s.certs, s.block.header.time);
    }
  }

  #append(entry: StoredBlackhole): void {
    const height = entry.block.header.height;
    this.#chain.push(entry);
    this.#hashes.push(blackholeHash(entry.block.header));
    for (const a of entry.block.body.accepted) this.#finalAt.set(toHex(a), height);
    this.#prevCheckpoints = advanceCheckpoints(this.#prevCheckpoints, entry.block);
    this.#setSeats(clusterSeatsAfter(entry.block, this.headHash, this.#seatCount));
    this.#certValid = new Map();
  }

  /**
   * A block is final: store it, move to the next height, replay what arrived early for it.
   * `agreed`: made by this Galaxy's own agreement (not fetched to catch up), so its round
   * time counts.
   */
  #complete(entry: StoredBlackhole, out: GalaxyOutputs, now: number, agreed = false): void {
    // Like a view-change timer: when the round's seats had no checkpoint in time, the next
    // round waits twice as long (up to 8×). A fixed timeout shorter than what the seats can
    // do on a loaded network would cut every round and finalise nothing; one checkpoint
    // brings the timeout back down. It only times proposals: block content is unaffected.
    // Resetting to the configured timeout after one checkpoint, though, cut the very next
    // round again whenever the seats need longer than it (measured with 16 tabs on 2 cores:
    // 15 of 22 blocks empty), so the timeout also follows how long rounds with a checkpoint
    // take.
    if (entry.block.body.checkpoints.length > 0) {
      this.#timeouts = 0;
      if (agreed && this.#cur.startedAt !== undefined) this.#noteRoundTime(now - this.#cur.startedAt);
    } else if (this.#seated > 0) this.#timeouts = Math.min(MAX_TIMEOUT_DOUBLINGS, this.#timeouts + 1);
    this.#append(entry);
    out.blocks.push(entry);
    this.#startHeight(now);
    this.#aheadSince = undefined;
    const h = this.#cur.height;
    const certs = this.#earlyCerts.filter((c) => c.checkpoint.round === h);
    this.#earlyCerts = [];
    for (const cert of certs) this.#takeCert(cert, out);
    for (const k of [...this.#early.keys()]) {
      if (k > h) {
        this.#aheadSince ??= now;
        continue;
      }
      // a replayed envelope can complete the block, which replays the next height's itself
      const list = this.#early.get(k);
      if (list === undefined) continue;
      this.#early.delete(k);
      this.#earlyCount -= list.length;
      if (k === h) for (const env of list) if (this.#cur.height === h) this.#envelope(env, out, now);
    }
    if (this.#cur.height === h) this.#maybePropose(out, now);
  }
}

function sameBody(a: BlackholeBlock, b: BlackholeBlock): boolean {
  const eq = (x: Uint8Array[], y: Uint8Array[]) => x.length === y.length && x.every((v, i) => bytesEqual(v, y[i]!));
  return eq(a.body.accepted, b.body.accepted) && eq(a.body.rejected, b.body.rejected) && eq(a.body.roster, b.body.roster);
}

const STORED_VERSION = 1;

/** Encoding of StoredBlackhole for the Galaxy's database and its peers' catch-up. */
export function encodeStoredBlackhole(s: StoredBlackhole): Uint8Array {
  return encodeCanonical({ v: STORED_VERSION, block: encodeBlackhole(s.block), certs: s.certs.map(encodeCheckpointCert) });
}

/**
 * A Galaxy's `GET /blocks` answer: a CBOR array of encodeStoredBlackhole bytes, at most
 * `limit` of them read. What Stars and peer Galaxies catch up from; quorums are the caller's.
 */
export function decodeStoredBlackholeList(bytes: Uint8Array, limit: number): Decoded<StoredBlackhole[]> {
  let list: unknown;
  try {
    list = decodeCanonical(bytes);
  } catch (err) {
    return { ok: false, reason: `not canonical CBOR: ${(err as Error).message}` };
  }
  if (!Array.isArray(list)) return { ok: false, reason: 'the answer is not a CBOR array' };
  const out: StoredBlackhole[] = [];
  for (const [i, item] of list.slice(0, limit).entries()) {
    if (!(item instanceof Uint8Array)) return { ok: false, reason: `entry ${i} is not bytes` };
    const d = decodeStoredBlackhole(item);
    if (!d.ok) return { ok: false, reason: `entry ${i}: ${d.reason}` };
    out.push(d.value);
  }
  return { ok: true, value: out };
}

export function decodeStoredBlackhole(bytes: Uint8Array): Decoded<StoredBlackhole> {
  if (bytes.length > MAX_STORED_BLACKHOLE_BYTES) return { ok: false, reason: `stored block too large (${bytes.length} bytes)` };
  let v: unknown;
  try {
    v = decodeCanonical(bytes);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  if (!isRecord(v) || Object.keys(v).length !== 3 || v.v !== STORED_VERSION) return { ok: false, reason: 'not a stored Blackhole block' };
  if (!(v.block instanceof Uint8Array) || v.block.length > MAX_BLACKHOLE_BYTES) return { ok: false, reason: 'bad block' };
  if (!Array.isArray(v.certs) || v.certs.length > 64) return { ok: false, reason: 'bad certs' };
  const block = decodeBlackhole(v.block);
  if (!block.ok) return { ok: false, reason: `block: ${block.reason}` };
  const certs: CheckpointCert[] = [];
  for (const c of v.certs) {
    if (!(c instanceof Uint8Array)) return { ok: false, reason: 'bad cert' };
    const d = decodeCheckpointCert(c);
    if (!d.ok) return { ok: false, reason: `cert: ${d.reason}` };
    certs.push(d.value);
  }
  return { ok: true, value: { block: block.value, certs } };
}
