/**
 * SIMULATOR — an in-process network of Stars and Galaxies running the real finality cores
 * (StarFinality with a ChainEngine per Star, GalaxyCore per Galaxy, the same AgreementRound
 * underneath) over a simulated gossip bus. Not a transport: no sockets, no real time.
 * Simulated time jumps from one scheduled event to the next and a seeded PRNG decides every
 * latency, loss, transfer and byzantine choice, so a run is a pure function of its options.
 *
 * The adapters here do what the worker and the Galaxy process do: sign envelopes, shares
 * and blocks, verify what the cores ask, publish, fetch missed Blackhole blocks from a
 * Galaxy (`GalaxyCore.block(h)`) and verify each one's quorum.
 *
 * Network: every publish reaches every other subscriber (gossip flood) after a latency drawn
 * from `latency`; with probability `loss` a copy is lost and lands `retransmitAfter` later
 * (the protocols assume eventual delivery between honest parties). Messages go through the
 * wire codecs once per publish (encode, decode), so what parties handle is what the wire
 * carries.
 *
 * Clusters (clusters.ts): round envelopes, half-blocks and checkpoint certificates go to the
 * members of one cluster (per-cluster topics; Galaxies take every cluster's certificates),
 * Blackhole blocks to everyone. A Star's cluster follows the count in its head block; when
 * it moves, it publishes its still-open half-blocks in its new cluster. A block whose
 * author's history a Star lacks is held and that one chain is fetched from its author
 * (chain sync for one account). A transfer across clusters: the proposal is checkpointed in
 * the sender's cluster and delivered straight to the receiver, who countersigns once a
 * Blackhole block has made it final and publishes both in its own cluster (the agreement is
 * checkpointed there). A transfer is final when both halves are.
 *
 * CPU (`cpuMsPerMessage`): each message a Star handles keeps it busy that long and later
 * messages queue behind it, so load shows up as latency, as in a tab.
 *
 * Signatures: 'real' signs and verifies Ed25519 with noble (verification verdicts are cached
 * across parties: a verdict is a function of (key, message, signature)); 'fake' uses
 * sha256-derived tags that anyone could forge but no simulated adversary does — for
 * many-seed runs. At least one test runs 'real'.
 *
 * Byzantine behaviours (Stars as facilitators, and Galaxies):
 * - 'silent': publishes nothing (a crashed or withholding party); it still follows blocks;
 * - 'equivocate': runs the honest core, but every item it broadcasts is split per seat: a
 *   seeded half of the seats get a garbled ACS message (corruptAcs) and a validly signed
 *   share on a different hash (a second checkpoint, or a second Blackhole header);
 * - 'delay': its messages take 10× longer.
 *
 * Safety is checked over everything anyone saw: every validly signed share on the bus and
 * every certificate and block published; at most one checkpoint hash per round and one
 * Blackhole hash per height may reach a quorum, and no (pk, seq) may have two final blocks.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ChainEngine, type IncomingBlock, type LogEntry } from '../chain/chain-engine.ts';
import type { StoredBlock } from '../chain/ledger.ts';
import { decodeHalfBlock, encodeHalfBlock, halfBlockHash, signingBytes, type HalfBlock, type UnsignedHalfBlock } from '../chain/half-block.ts';
import { bytesEqual } from '../codec/cbor.ts';
import { fromHex, toHex } from '../codec/hex.ts';
import type { VerifyItem } from '../crypto/ed25519.ts';
import { corruptAcs } from '../consensus/byzantine.ts';
import { seededRng } from '../consensus/prng.ts';
import { MinHeap } from '../consensus/simulator.ts';
import { blackholeHash, blackholeSigningBytes, decodeBlackhole, encodeBlackhole, type BlackholeBlock } from './blackhole.ts';
import {
  certHasQuorum,
  certVerifyItems,
  checkpointHash,
  checkpointSigningBytes,
  decodeCheckpointCert,
  encodeCheckpointCert,
  quorumSize,
  type CandidateBlock,
  type CheckpointCert,
} from './checkpoint.ts';
import { clusterOf, type ClusterPolicy } from './clusters.ts';
import { GalaxyCore, type GalaxyOutputs } from './galaxy-core.ts';
import { seatsAfter } from './round-support.ts';
import { StarFinality, type FinalityOutputs } from './star-finality.ts';
import { decodeEnvelope, encodeEnvelope, envelopeSigningBytes, type Envelope, type RoundMessage, type UnsignedEnvelope } from './wire.ts';

export type FinalityBehaviour = 'honest' | 'silent' | 'equivocate' | 'delay';

export interface FinalitySimOptions {
  stars: number;
  galaxies: number;
  seed: number;
  /** run until every honest Galaxy has this many blocks (and awake honest Stars follow) */
  rounds: number;
  /** per Star / per Galaxy; missing entries are 'honest' */
  starBehaviours?: FinalityBehaviour[];
  galaxyBehaviours?: FinalityBehaviour[];
  facilitatorsPerRound?: number;
  /** per-message latency range (simulated ms); default [5, 50] */
  latency?: [number, number];
  loss?: number;
  retransmitAfter?: number;
  /** a transfer from a random honest awake Star this often (ms); 0: none. Default 150 */
  transferEveryMs?: number;
  signatures?: 'real' | 'fake';
  /** Stars that sleep (receive and send nothing) through `rounds` blocks from `atHeight` on */
  sleepers?: Array<{ star: number; atHeight: number; rounds: number }>;
  /** this Star forks its chain: two proposals at one seq to two receivers, at this height */
  doubleSpend?: { star: number; atHeight: number };
  idleProposeMs?: number;
  roundTimeoutMs?: number;
  emptyRosterMs?: number;
  /** stop (stalled) when simulated time passes this; default 60 s + 5 s per round */
  maxTimeMs?: number;
  tickMs?: number;
  /** when clusters split and merge (the Galaxies'); default DEFAULT_CLUSTER_POLICY */
  clusterPolicy?: ClusterPolicy;
  /** transfers per Star per simulated second (offered load grows with the Stars); overrides transferEveryMs */
  transfersPerStarPerSecond?: number;
  /** no transfers before this simulated time (ms); default: one gap in */
  transfersFromMs?: number;
  /** no new transfers after this simulated time (ms); with `settle`, the run lasts until every one is final */
  transfersUntilMs?: number;
  /** keep running (past `rounds`) until every submitted transfer is final at its sender */
  settle?: boolean;
  /** simulated CPU time a Star spends per message it handles (ms); default 0 (infinitely fast) */
  cpuMsPerMessage?: number;
  /** Stars that never countersign a transfer to them (their agreement never comes) */
  neverAgree?: number[];
}

export interface FinalitySimResult {
  /** the lowest honest Galaxy height reached */
  rounds: number;
  stalled: boolean;
  time: number;
  safety: { ok: boolean; violations: string[] };
  /** submit → final (proposal and agreement final at the sender), simulated ms */
  latencies: number[];
  transfers: { submitted: number; final: number };
  /** envelopes and certs published by Stars, and messages each Star received, per Star per round */
  sentPerStarRound: number;
  receivedPerStarRound: number;
  /** simulated ms between consecutive Blackhole blocks (agreed header times) */
  roundMs: number[];
  /** rounds whose checkpoint made it into a block, and entries made final */
  checkpointedRounds: number;
  finalBlocks: number;
  /** per Star: its height, whether its final set equals the Galaxy chain's up to that height, blocks it caught up on */
  stars: Array<{ height: number; finalSetMatches: boolean; caughtUp: boolean; fetched: number }>;
  /** honest Stars' final balances agree with each other and with the Galaxy's accounts */
  balancesAgree: boolean;
  /** the double spend, if any: how many of the two proposals became final */
  doubleSpendFinal?: number;
  faults: number;
  /** the cluster count of the last block, and the most any block had */
  clusters: number;
  maxClusters: number;
  /** times a Star moved to another cluster */
  moves: number;
  /** final transfers whose two halves sat in different clusters */
  crossClusterFinal: number;
  /** bytes each Star received, per Star per round */
  bytesPerStarRound: number;
  /** submitted transfers not final at the end (with `settle`, lost ones) */
  unfinal: number;
  /** the transfers not final at the end: their receiver, whether the two halves sat in different clusters, and whether the proposal alone is final */
  stuck: Array<{ receiver: number; crossCluster: boolean; proposalFinal: boolean }>;
  /** simulated time of the first transfer and of the last one to become final */
  firstSubmitAt: number | undefined;
  lastFinalAt: number | undefined;
}

type Topic = 'round' | 'checkpoint' | 'galaxy' | 'blackhole' | 'chain' | 'presence';

type Event =
  | { at: number; seq: number; kind: 'deliver'; to: Party; topic: Topic; payload: unknown; bytes: number }
  | { at: number; seq: number; kind: 'sync'; to: Party; author: number }
  | { at: number; seq: number; kind: 'tick'; to: Party }
  | { at: number; seq: number; kind: 'fetch'; to: Party; from: number }
  | { at: number; seq: number; kind: 'transfer' }
  | { at: number; seq: number; kind: 'presence' };

type Party = { t: 'star'; i: number } | { t: 'galaxy'; i: number };

interface Keys {
  pk: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

interface SimStar {
  i: number;
  keys: Keys;
  behaviour: FinalityBehaviour;
  engine: ChainEngine;
  finality: StarFinality;
  /** blocks its engine accepted, oldest first, until final or rejected */
  open: Map<string, CandidateBlock>;
  asleep: boolean;
  sleep?: { atHeight: number; rounds: number; done: boolean };
  /** final hashes by the height that made them final */
  /**
   * what it saw become final, per height: a count and two sums of the hashes' leading words
   * (a digest, not the hashes: a thousand Stars keeping every final hash twice would not fit)
   */
  finalAt: Map<number, FinalDigest>;
  /** the Blackhole hash it accepted at each height */
  accepted: Map<number, string>;
  received: number;
  sent: number;
  fetching: boolean;
  /** Blackhole blocks it took from a Galaxy's store (catch-up) */
  fetched: number;
  /** its cluster as of its head */
  cluster: number;
  bytesIn: number;
  /** simulated CPU busy until */
  busyUntil: number;
  /** authors whose chain it is fetching */
  syncing: Set<number>;
}

interface SimGalaxy {
  i: number;
  keys: Keys;
  behaviour: FinalityBehaviour;
  core: GalaxyCore;
  fetching: boolean;
}

const enc = new TextEncoder();

export function simulateFinality(options: FinalitySimOptions): FinalitySimResult {
  const rng = seededRng(options.seed);
  const [minLatency, maxLatency] = options.latency ?? [5, 50];
  const loss = options.loss ?? 0;
  const retransmitAfter = options.retransmitAfter ?? 200;
  const tickMs = options.tickMs ?? 50;
  const transferEveryMs = options.transferEveryMs ?? 150;
  const maxTime = options.maxTimeMs ?? 60_000 + 5_000 * options.rounds;
  const real = (options.signatures ?? 'real') === 'real';
  const seats = options.facilitatorsPerRound;
  const cpuMs = options.cpuMsPerMessage ?? 0;
  const transfersUntil = options.transfersUntilMs ?? Infinity;
  if (options.transfersPerStarPerSecond !== undefined && !(options.transfersPerStarPerSecond > 0)) throw new RangeError('transfersPerStarPerSecond must be above 0');

  // — keys and signatures —
  const verdictCache = new Map<string, boolean>();
  const makeKeys = (tag: string, i: number): Keys => {
    const secret = sha256(enc.encode(`${tag}/${options.seed}/${i}`));
    if (real) {
      const pk = ed25519.getPublicKey(secret);
      return { pk, sign: (m) => ed25519.sign(m, secret) };
    }
    const pk = sha256(secret);
    return { pk, sign: (m) => fakeSig(pk, m) };
  };
  // the same message object (an envelope's cached signing bytes) is checked by many Stars
  const verdictsByMessage = new WeakMap<Uint8Array, Map<string, boolean>>();
  const verify = (item: VerifyItem): boolean => {
    if (item.sig.length !== 64 || item.pk.length !== 32) return false;
    const byMessage = verdictsByMessage.get(item.message) ?? new Map<string, boolean>();
    verdictsByMessage.set(item.message, byMessage);
    const signer = `${toHex(item.pk)}${toHex(item.sig)}`;
    const known = byMessage.get(signer);
    if (known !== undefined) return known;
    const v = verifyByContent(item);
    byMessage.set(signer, v);
    return v;
  };
  const verifyByContent = (item: VerifyItem): boolean => {
    const key = `${toHex(item.pk)}${toHex(item.sig)}${toHex(sha256(item.message))}`;
    let v = verdictCache.get(key);
    if (v === undefined) {
      if (real) {
        try {
          v = ed25519.verify(item.sig, item.message, item.pk);
        } catch {
          v = false;
        }
      } else v = bytesEqual(fakeSig(item.pk, item.message), item.sig);
      if (verdictCache.size > 500_000) verdictCache.clear();
      verdictCache.set(key, v);
    }
    return v;
  };
  const verifyAll = (items: readonly VerifyItem[]) => items.map(verify);

  const starKeys = Array.from({ length: options.stars }, (_, i) => makeKeys('star', i));
  const galaxyKeys = Array.from({ length: options.galaxies }, (_, i) => makeKeys('galaxy', i));
  const balances = new Map<string, number>(starKeys.map((k) => [toHex(k.pk), 1_000_000]));
  const galaxyPks = galaxyKeys.map((k) => k.pk);
  const network = 'starweave-sim';

  const galaxies: SimGalaxy[] = galaxyKeys.map((keys, i) => ({
    i,
    keys,
    behaviour: options.galaxyBehaviours?.[i] ?? 'honest',
    core: new GalaxyCore({
      network,
      galaxies: galaxyPks,
      me: i,
      balances,
      verify,
      roundTimeoutMs: options.roundTimeoutMs,
      emptyRosterMs: options.emptyRosterMs,
      facilitatorsPerRound: seats,
      presenceTtlMs: 3_000,
      clusterPolicy: options.clusterPolicy,
    }),
    fetching: false,
  }));
  const genesis = galaxies[0]!.core.block(0)!.block;
  const stars: SimStar[] = starKeys.map((keys, i) => {
    const open = new Map<string, CandidateBlock>();
    const star: SimStar = {
      i,
      keys,
      behaviour: options.starBehaviours?.[i] ?? 'honest',
      engine: new ChainEngine(new Map(balances), keys.pk),
      finality: new StarFinality({
        self: keys.pk,
        genesis,
        galaxies: galaxyPks,
        pending: () => [...open.values()],
        idleProposeMs: options.idleProposeMs,
        facilitatorsPerRound: seats,
      }),
      open,
      asleep: false,
      finalAt: new Map(),
      accepted: new Map(),
      received: 0,
      sent: 0,
      fetching: false,
      fetched: 0,
      cluster: 0,
      bytesIn: 0,
      busyUntil: 0,
      syncing: new Set(),
    };
    // what the engine asks to adopt another cluster's final proposals
    star.engine.finality = (id) => star.finality.statusOf(id);
    const s = options.sleepers?.find((x) => x.star === i);
    if (s) star.sleep = { atHeight: s.atHeight, rounds: s.rounds, done: false };
    return star;
  });
  const honestGalaxies = galaxies.filter((g) => g.behaviour === 'honest');
  const reference = honestGalaxies[0] ?? galaxies[0]!;

  // — bookkeeping for the checks —
  const halfBlocks = new Map<string, HalfBlock>();
  /** round and cluster → checkpoint hash → seats (pk hex) with a valid share */
  const starShares = new Map<string, Map<string, Set<string>>>();
  const galaxyShares = new Map<number, Map<string, Set<number>>>();
  /** round and cluster → certificates */
  const certsSeen = new Map<string, Set<string>>();
  const roundKey = (round: number, cluster: number) => `${round}:${cluster}`;
  const blocksSeen = new Map<number, Set<string>>();
  const violations: string[] = [];
  /** by sender: its transfers not final yet (proposal id → when, and the cluster count it was sent under) */
  const submitted = new Map<number, Map<string, { at: number; pk: Uint8Array; seq: number; count: number }>>();
  let maxClusters = 1;
  const latencies: number[] = [];
  let faults = 0;
  let doubleSpend: { a: string; b: string } | undefined;
  const certByKey = new Map<string, CheckpointCert>();

  // — the event queue —
  const queue = new MinHeap<Event>((a, b) => a.at - b.at || a.seq - b.seq);
  let seq = 0;
  let now = 0;
  const schedule = (e: DistributiveOmit<Event, 'seq'>): void => queue.push({ ...e, seq: seq++ } as Event);
  const latencyOf = (behaviour: FinalityBehaviour): number => {
    let d = minLatency + rng.next() * (maxLatency - minLatency);
    if (rng.next() < loss) d += retransmitAfter;
    // whole milliseconds: times end up in half-blocks and Blackhole headers
    return Math.max(1, Math.round(behaviour === 'delay' ? d * 10 : d));
  };

  // — topics: per-cluster ones reach the cluster's members (as of their heads) —
  const starIndex = new Map(stars.map((s) => [toHex(s.keys.pk), s.i]));
  const galaxyParties = galaxies.map((g): Party => ({ t: 'galaxy', i: g.i }));
  const allStars = stars.map((s): Party => ({ t: 'star', i: s.i }));
  let members = new Map<number, Party[]>();
  let membersDirty = true;
  const membersOf = (cluster: number): Party[] => {
    if (membersDirty) {
      members = new Map();
      for (const s of stars) {
        const list = members.get(s.cluster) ?? [];
        list.push({ t: 'star', i: s.i });
        members.set(s.cluster, list);
      }
      membersDirty = false;
    }
    return members.get(cluster) ?? [];
  };
  const recipients = (topic: Topic, cluster: number): Party[] => {
    if (topic === 'round' || topic === 'chain') return membersOf(cluster);
    if (topic === 'checkpoint') return [...membersOf(cluster), ...galaxyParties];
    if (topic === 'blackhole') return allStars;
    return galaxyParties;
  };
  const send = (behaviour: FinalityBehaviour, to: Party, topic: Topic, payload: unknown, bytes: number, extra = 0): void => {
    schedule({ at: now + latencyOf(behaviour) + extra, kind: 'deliver', to, topic, payload, bytes });
  };
  const publish = (from: Party, behaviour: FinalityBehaviour, topic: Topic, payload: unknown, bytes: number, cluster = 0, extraDelay?: (to: Party) => number): void => {
    if (behaviour === 'silent' && topic !== 'chain' && topic !== 'presence') return;
    if (from.t === 'star') stars[from.i]!.sent++;
    for (const to of recipients(topic, cluster)) {
      if (to.t === from.t && to.i === from.i) continue;
      send(behaviour, to, topic, payload, bytes, extraDelay?.(to) ?? 0);
    }
  };

  // — signing through the wire codecs —
  const sealEnvelope = (keys: Keys, u: UnsignedEnvelope): { env: Envelope; bytes: number } => {
    const bytes = encodeEnvelope({ ...u, sig: keys.sign(envelopeSigningBytes(u)) });
    const d = decodeEnvelope(bytes);
    if (!d.ok) throw new Error(`simulator: an envelope does not survive the wire: ${d.reason}`);
    return { env: d.value, bytes: bytes.length };
  };

  /** equivocation: per seat, a garbled copy for a seeded half of the seats */
  const equivocate = (u: UnsignedEnvelope, seatCount: number, me: number, lie: (m: RoundMessage, to: number) => RoundMessage): UnsignedEnvelope => {
    const items: UnsignedEnvelope['items'] = [];
    for (const item of u.items) {
      const targets = item.to === -1 ? Array.from({ length: seatCount }, (_, k) => k).filter((k) => k !== me) : [item.to];
      for (const to of targets) items.push({ to, m: rng.next() < 0.5 ? lie(item.m, to) : item.m });
    }
    return { ...u, items: items.slice(0, 256) };
  };

  const recordStarShares = (env: Envelope): void => {
    for (const { m } of env.items) {
      if (m.t !== 'share' || !verify({ pk: env.from, message: checkpointSigningBytes(m.hash), sig: m.sig })) continue;
      const k = roundKey(env.instance, env.cluster);
      const byHash = starShares.get(k) ?? new Map<string, Set<string>>();
      starShares.set(k, byHash);
      const set = byHash.get(toHex(m.hash)) ?? new Set<string>();
      byHash.set(toHex(m.hash), set);
      set.add(toHex(env.from));
    }
  };
  const recordGalaxyShares = (env: Envelope, seat: number): void => {
    for (const { m } of env.items) {
      if (m.t !== 'share' || !verify({ pk: env.from, message: blackholeSigningBytes(m.hash), sig: m.sig })) continue;
      const byHash = galaxyShares.get(env.instance) ?? new Map<string, Set<number>>();
      galaxyShares.set(env.instance, byHash);
      const set = byHash.get(toHex(m.hash)) ?? new Set<number>();
      byHash.set(toHex(m.hash), set);
      set.add(seat);
    }
  };

  // — Stars —
  const starOut = (star: SimStar, out: FinalityOutputs): void => {
    faults += out.faults.length;
    const rs = star.finality;
    for (const u of out.send) {
      let body = u;
      if (star.behaviour === 'equivocate') {
        const seatList = rs.facilitators(u.instance) ?? [];
        const me = seatList.findIndex((s) => bytesEqual(s, star.keys.pk));
        body = equivocate(u, seatList.length, me, (m, to) => {
          if (m.t === 'acs') return { t: 'acs', m: corruptAcs(m.m, to, rng) };
          // a second checkpoint: ours without its first entry (or with another prev)
          const cp = rs.checkpoint(u.instance);
          const other = cp ? checkpointHash(cp.entries.length > 0 ? { ...cp, entries: cp.entries.slice(1) } : { ...cp, prev: sha256(cp.prev) }) : sha256(m.hash);
          return { t: 'share', hash: other, sig: star.keys.sign(checkpointSigningBytes(other)) };
        });
      }
      const { env, bytes } = sealEnvelope(star.keys, body);
      recordStarShares(env);
      publish({ t: 'star', i: star.i }, star.behaviour, 'round', env, bytes, u.cluster);
    }
    if (out.verifyUnion) {
      const verdicts = out.verifyUnion.blocks.map((c) => verify({ pk: c.block.pk, message: signingBytes(c.block), sig: c.block.sig }));
      starOut(star, rs.unionVerified(out.verifyUnion.round, verdicts, now));
    }
    if (out.signCheckpoint) {
      const { round, hash } = out.signCheckpoint;
      starOut(star, rs.signedCheckpoint(round, star.keys.sign(checkpointSigningBytes(hash)), now));
    }
    for (const cert of out.certs) {
      const bytes = encodeCheckpointCert(cert);
      const d = decodeCheckpointCert(bytes);
      if (!d.ok) throw new Error(`simulator: a cert does not survive the wire: ${d.reason}`);
      noteCert(d.value);
      publish({ t: 'star', i: star.i }, star.behaviour, 'checkpoint', d.value, bytes.length, cert.checkpoint.cluster);
    }
    for (const id of [...out.final, ...out.rejected]) star.open.delete(id);
    if (out.final.length > 0) star.finalAt.set(rs.height, addToDigest(star.finalAt.get(rs.height), out.final));
    if (out.final.length > 0) {
      noteLatencies(star);
      // another cluster's proposal to this Star (or to a cluster-mate) is final: adopt it, countersign
      const report = star.engine.noteFinal(out.final, now);
      noteStored(star, report.stored);
      agreeTo(star, report.toAgree);
    }
    if (out.fetchFrom !== undefined) fetchFor({ t: 'star', i: star.i }, out.fetchFrom);
    for (const env of out.replay ?? []) starEnvelope(star, env);
  };

  const noteCert = (cert: CheckpointCert): void => {
    const k = roundKey(cert.checkpoint.round, cert.checkpoint.cluster);
    const set = certsSeen.get(k) ?? new Set<string>();
    certsSeen.set(k, set);
    set.add(certKeyOf(cert));
  };

  const starEnvelope = (star: SimStar, env: Envelope): void => {
    const c = star.finality.checkEnvelope(env);
    if (c.kind !== 'verify') return;
    starOut(star, star.finality.acceptEnvelope(env, verifyAll(c.items), now));
  };

  const starBlock = (star: SimStar, block: BlackholeBlock): void => {
    const c = star.finality.checkBlackhole(block);
    if (c.kind === 'gap') return fetchFor({ t: 'star', i: star.i }, c.from);
    if (c.kind !== 'verify') return;
    const out = star.finality.acceptBlackhole(block, verifyAll(c.items), now);
    if (star.finality.height === block.header.height) star.accepted.set(block.header.height, toHex(blackholeHash(block.header)));
    if (star.finality.cluster !== star.cluster) moveCluster(star);
    starOut(star, out);
  };

  /** At a round boundary the Star is in another cluster: its open blocks go to its new cluster-mates. */
  const moveCluster = (star: SimStar): void => {
    star.cluster = star.finality.cluster;
    membersDirty = true;
    moves++;
    if (star.behaviour === 'silent') return;
    for (const c of star.open.values()) if (bytesEqual(c.block.pk, star.keys.pk)) publishOwn(star, c.block, c.bytes);
  };
  let moves = 0;

  /** decoded, hashed and verified once per published copy: every cluster member gets the same bytes */
  const incoming = new WeakMap<Uint8Array, IncomingBlock | null>();
  const incomingOf = (bytes: Uint8Array): IncomingBlock | undefined => {
    let item = incoming.get(bytes);
    if (item === undefined) {
      const d = decodeHalfBlock(bytes);
      item = d.ok ? { bytes, block: d.value, hash: sha256(bytes), signatureValid: verify({ pk: d.value.pk, message: signingBytes(d.value), sig: d.value.sig }) } : null;
      incoming.set(bytes, item);
    }
    return item ?? undefined;
  };

  const ingest = (star: SimStar, bytes: Uint8Array): void => {
    const item = incomingOf(bytes);
    if (!item) return;
    const block = item.block;
    const report = star.engine.ingest([item], now);
    noteStored(star, report.stored);
    // a gap in the author's chain: fetch that one chain from its author (the chain-sync
    // protocol); an agreement waiting for another cluster's proposal waits for its finality
    if (report.missing && block.seq > star.engine.ledger.head(block.pk).seq + 1) requestSync(star, block.pk);
    // the receiver countersigns at once (the worker does the same)
    agreeTo(star, report.toAgree);
  };

  const agreeTo = (star: SimStar, proposals: readonly StoredBlock[]): void => {
    if (options.neverAgree?.includes(star.i)) return;
    for (const p of proposals) authorBlock(star, star.engine.agree(p, now));
  };

  const noteStored = (star: SimStar, entries: readonly LogEntry[]): void => {
    for (const e of entries) {
      const stored = decodeHalfBlock(e.bytes);
      if (!stored.ok) continue;
      const hash = sha256(e.bytes);
      const id = toHex(hash);
      const st = star.finality.statusOf(id);
      if (st !== 'final' && st !== 'rejected') star.open.set(id, { bytes: e.bytes, block: stored.value, hash });
    }
  };

  const requestSync = (star: SimStar, pk: Uint8Array): void => {
    const author = starIndex.get(toHex(pk));
    if (author === undefined || author === star.i || star.syncing.has(author)) return;
    star.syncing.add(author);
    schedule({ at: now + 2 * latencyOf('honest'), kind: 'sync', to: { t: 'star', i: star.i }, author });
  };

  /** The author's chain after the asker's head, each agreement preceded by the proposal it countersigns. */
  const doSync = (star: SimStar, authorIndex: number): void => {
    star.syncing.delete(authorIndex);
    const author = stars[authorIndex]!;
    if (star.asleep || author.asleep) return;
    const from = star.engine.ledger.head(author.keys.pk).seq;
    for (const b of author.engine.ledger.chain(author.keys.pk).slice(from)) {
      if (b.block.linkSeq > 0 && !star.engine.ledger.block(b.block.linkPk, b.block.linkSeq)) {
        const pBytes = proposalBytes(author, b.block);
        if (pBytes) ingest(star, pBytes);
      }
      const bytes = author.engine.bytesOf(b.hash);
      if (bytes) ingest(star, bytes);
    }
  };

  const authorBlock = (star: SimStar, unsigned: UnsignedHalfBlock, extraDelay?: (to: Party) => number): HalfBlock => {
    const block: HalfBlock = { ...unsigned, sig: star.keys.sign(signingBytes(unsigned)) };
    const bytes = encodeHalfBlock(block);
    const id = toHex(sha256(bytes));
    halfBlocks.set(id, block);
    if (block.linkSeq > 0) agreementOf.set(`${toHex(block.linkPk)}:${block.linkSeq}`, id);
    ingest(star, bytes);
    publishOwn(star, block, bytes, extraDelay);
    return block;
  };
  /** proposal (pk:seq) → its agreement's hash: how the sender's view learns when a transfer is final */
  const agreementOf = new Map<string, string>();

  /**
   * A Star's own block in its cluster. A proposal to another cluster's account also goes
   * straight to its receiver; an agreement to another cluster's proposal goes with that
   * (final) proposal, so cluster-mates can judge it.
   */
  /** the bytes of the proposal an agreement countersigns, as this Star holds them */
  const proposalBytes = (star: SimStar, agreement: HalfBlock): Uint8Array | undefined => {
    const p = star.engine.ledger.block(agreement.linkPk, agreement.linkSeq);
    return p && star.engine.bytesOf(p.hash);
  };

  const publishOwn = (star: SimStar, block: HalfBlock, bytes: Uint8Array, extraDelay?: (to: Party) => number): void => {
    const me: Party = { t: 'star', i: star.i };
    const count = star.finality.head.header.clusterCount;
    const other = star.cluster !== clusterOf(block.linkPk, count);
    if (block.linkSeq > 0 && other) {
      const pBytes = proposalBytes(star, block);
      if (pBytes) publish(me, 'honest', 'chain', pBytes, pBytes.length, star.cluster);
    }
    publish(me, 'honest', 'chain', bytes, bytes.length, star.cluster, extraDelay);
    const receiver = starIndex.get(toHex(block.linkPk));
    if (block.linkSeq === 0 && other && receiver !== undefined) send('honest', { t: 'star', i: receiver }, 'chain', bytes, bytes.length, extraDelay?.({ t: 'star', i: receiver }) ?? 0);
  };

  /** Transfers of this sender whose two halves are both final in its view (its Blackhole blocks). */
  const noteLatencies = (star: SimStar): void => {
    const mine = submitted.get(star.i);
    if (!mine) return;
    for (const [id, t] of mine) {
      if (star.finality.statusOf(id) !== 'final') continue;
      const agreement = agreementOf.get(`${toHex(t.pk)}:${t.seq}`);
      if (!agreement || star.finality.statusOf(agreement) !== 'final') continue;
      latencies.push(now - t.at);
      mine.delete(id);
      finalTransfers++;
      lastFinalAt = now;
      const receiver = halfBlocks.get(id)!.linkPk;
      if (clusterOf(receiver, t.count) !== clusterOf(t.pk, t.count)) crossClusterFinal++;
    }
  };
  let crossClusterFinal = 0;
  let lastFinalAt: number | undefined;
  let firstSubmitAt: number | undefined;
  let finalTransfers = 0;
  let submittedCount = 0;

  // — Galaxies —
  const galaxyOut = (g: SimGalaxy, out: GalaxyOutputs): void => {
    faults += out.faults.length;
    for (const u of out.send) {
      let body = u;
      if (g.behaviour === 'equivocate') {
        body = equivocate(u, galaxies.length, g.i, (m, to) => {
          if (m.t === 'acs') return { t: 'acs', m: corruptAcs(m.m, to, rng) };
          const other = sha256(m.hash); // a second Blackhole header, signed
          return { t: 'share', hash: other, sig: g.keys.sign(blackholeSigningBytes(other)) };
        });
      }
      const { env, bytes } = sealEnvelope(g.keys, body);
      recordGalaxyShares(env, g.i);
      publish({ t: 'galaxy', i: g.i }, g.behaviour, 'galaxy', env, bytes);
    }
    if (out.signBlock) {
      const { height, hash } = out.signBlock;
      galaxyOut(g, g.core.signedBlock(height, g.keys.sign(blackholeSigningBytes(hash)), now));
    }
    for (const stored of out.blocks) {
      // persisted (the core keeps its chain) before it is published
      const bytes = encodeBlackhole(stored.block);
      const d = decodeBlackhole(bytes);
      if (!d.ok) throw new Error(`simulator: a block does not survive the wire: ${d.reason}`);
      noteBlock(d.value);
      maxClusters = Math.max(maxClusters, d.value.header.clusterCount);
      publish({ t: 'galaxy', i: g.i }, g.behaviour, 'blackhole', d.value, bytes.length);
      afterBlock();
    }
    if (out.fetchFrom !== undefined) fetchFor({ t: 'galaxy', i: g.i }, out.fetchFrom);
  };

  const noteBlock = (block: BlackholeBlock): void => {
    const h = block.header.height;
    const set = blocksSeen.get(h) ?? new Set<string>();
    blocksSeen.set(h, set);
    set.add(toHex(blackholeHash(block.header)));
  };

  const fetchFor = (party: Party, from: number): void => {
    const p = party.t === 'star' ? stars[party.i]! : galaxies[party.i]!;
    if (p.fetching) return;
    p.fetching = true;
    schedule({ at: now + 2 * latencyOf('honest'), kind: 'fetch', to: party, from });
  };

  const doFetch = (party: Party, from: number): void => {
    if (party.t === 'star') {
      const star = stars[party.i]!;
      star.fetching = false;
      if (star.asleep) return;
      // a Galaxy's stored blocks, each verified here (quorum, prev, roots) before it counts
      const source = galaxies.reduce((best, g) => (g.behaviour !== 'silent' && g.core.height > best.core.height ? g : best), reference);
      for (let h = Math.max(from, star.finality.height + 1); h <= source.core.height; h++) {
        const stored = source.core.block(h);
        if (!stored) break;
        starBlock(star, stored.block);
        if (star.finality.height !== h) break;
        star.fetched++;
      }
    } else {
      const g = galaxies[party.i]!;
      g.fetching = false;
      const peers = galaxies.filter((p) => p.i !== g.i && p.behaviour !== 'silent');
      const peer = peers.reduce<SimGalaxy | undefined>((best, p) => (best === undefined || p.core.height > best.core.height ? p : best), undefined);
      if (!peer || peer.core.height < from) return;
      galaxyOut(g, g.core.catchUp(peer.core.blocks(from, 64), now));
    }
  };

  // — sleepers and the double spend, driven by the reference Galaxy's height —
  const afterBlock = (): void => {
    const h = reference.core.height;
    for (const star of stars) {
      const s = star.sleep;
      if (!s || s.done) continue;
      if (!star.asleep && h >= s.atHeight && h < s.atHeight + s.rounds) star.asleep = true;
      else if (star.asleep && h >= s.atHeight + s.rounds) {
        star.asleep = false;
        s.done = true;
        // back online: its chains from a peer Star (the sync protocol), its Blackhole blocks from a Galaxy
        const peer = stars.find((p) => !p.asleep && p.i !== star.i && p.behaviour === 'honest');
        if (peer) {
          const answer = peer.engine.answerSync(new Map(star.engine.heads()), 1_000_000);
          for (const bytes of answer.blocks) ingest(star, bytes);
        }
        fetchFor({ t: 'star', i: star.i }, star.finality.height + 1);
      }
    }
    const ds = options.doubleSpend;
    if (ds && !doubleSpend && h >= ds.atHeight) forkChain(stars[ds.star]!);
  };

  const forkChain = (f: SimStar): void => {
    const others = stars.filter((s) => s.i !== f.i && s.behaviour === 'honest' && !s.asleep);
    const x = others[0]!;
    const y = others[1]!;
    const a = f.engine.propose(x.keys.pk, 10, 'fork a', now);
    const b: UnsignedHalfBlock = { ...a, linkPk: y.keys.pk, payload: { amount: 20, memo: 'fork b' } };
    // the twins race: each half of the network hears one first
    const half = (to: Party) => (to.t === 'star' && to.i % 2 === 0 ? 0 : 300);
    const blockA = authorBlock(f, a, half);
    const sigB = f.keys.sign(signingBytes(b));
    const blockB: HalfBlock = { ...b, sig: sigB };
    const bytesB = encodeHalfBlock(blockB);
    halfBlocks.set(toHex(sha256(bytesB)), blockB);
    publish({ t: 'star', i: f.i }, 'honest', 'chain', bytesB, bytesB.length, f.cluster, (to) => 300 - half(to));
    doubleSpend = { a: toHex(halfBlockHash(blockA)), b: toHex(halfBlockHash(blockB)) };
  };

  // — transfers and presence —
  const transferGapMs = options.transfersPerStarPerSecond !== undefined ? 1_000 / (options.transfersPerStarPerSecond * stars.length) : transferEveryMs;
  let transferDebt = 0;
  const transfer = (): void => {
    // honest Stars that stay online (a sleeper's transfers could not be countersigned while it sleeps)
    const candidates = stars.filter((s) => s.behaviour === 'honest' && s.sleep === undefined && s.i !== options.doubleSpend?.star);
    if (candidates.length < 2) return;
    const from = candidates[rng.int(0, candidates.length - 1)]!;
    const receivers = candidates.filter((s) => s.i !== from.i);
    const to = receivers[rng.int(0, receivers.length - 1)]!;
    let unsigned: UnsignedHalfBlock;
    try {
      unsigned = from.engine.propose(to.keys.pk, rng.int(1, 100), '', now);
    } catch {
      return;
    }
    const block = authorBlock(from, unsigned);
    const mine = submitted.get(from.i) ?? new Map();
    submitted.set(from.i, mine);
    mine.set(toHex(halfBlockHash(block)), { at: now, pk: block.pk, seq: block.seq, count: from.finality.head.header.clusterCount });
    submittedCount++;
    firstSubmitAt ??= now;
  };

  // — the loop —
  const handle = (e: Event): void => {
    switch (e.kind) {
      case 'tick': {
        schedule({ at: now + tickMs, kind: 'tick', to: e.to });
        if (e.to.t === 'star') {
          const star = stars[e.to.i]!;
          if (!star.asleep) starOut(star, star.finality.tick(now));
        } else {
          const g = galaxies[e.to.i]!;
          if (g.behaviour !== 'silent') galaxyOut(g, g.core.tick(now));
        }
        return;
      }
      case 'fetch':
        return doFetch(e.to, e.from);
      case 'transfer': {
        // whole milliseconds (times end up in half-blocks); a fractional gap is made up by
        // sending as many transfers per event as the time since the last one calls for
        const step = Math.max(1, Math.round(transferGapMs));
        if (now + step <= transfersUntil) schedule({ at: now + step, kind: 'transfer' });
        transferDebt += step / transferGapMs;
        for (; transferDebt >= 1; transferDebt--) transfer();
        return;
      }
      case 'presence':
        schedule({ at: now + 1_000, kind: 'presence' });
        for (const s of stars) if (!s.asleep) publish({ t: 'star', i: s.i }, 'honest', 'presence', s.keys.pk, 32);
        return;
      case 'sync':
        return doSync(stars[e.to.i]!, e.author);
      case 'deliver': {
        if (e.to.t === 'star' && cpuMs > 0) {
          // one CPU per Star: a message waits until the Star has handled the ones before it
          // (handled within the current whole millisecond, or moved to the one it is free in)
          const star = stars[e.to.i]!;
          if (star.busyUntil >= now + 1) return schedule({ ...e, at: Math.floor(star.busyUntil) });
          star.busyUntil = Math.max(star.busyUntil, now) + cpuMs;
        }
        return deliver(e.to, e.topic, e.payload, e.bytes);
      }
    }
  };

  const deliver = (to: Party, topic: Topic, payload: unknown, bytes: number): void => {
    if (to.t === 'star') {
      const star = stars[to.i]!;
      if (star.asleep) return;
      star.received++;
      star.bytesIn += bytes;
      if (topic === 'round') starEnvelope(star, payload as Envelope);
      else if (topic === 'checkpoint') {
        const cert = payload as CheckpointCert;
        const c = star.finality.checkCert(cert);
        if (c.kind === 'verify') starOut(star, star.finality.acceptCert(cert, verifyAll(c.items)));
      } else if (topic === 'blackhole') starBlock(star, payload as BlackholeBlock);
      else if (topic === 'chain') ingest(star, payload as Uint8Array);
      return;
    }
    const g = galaxies[to.i]!;
    if (g.behaviour === 'silent') return;
    if (topic === 'galaxy') {
      const env = payload as Envelope;
      // the adapter authenticates: a Galaxy key and its signature
      if (!galaxyPks.some((pk) => bytesEqual(pk, env.from))) return;
      if (!verify({ pk: env.from, message: envelopeSigningBytes(env), sig: env.sig })) return;
      galaxyOut(g, g.core.onEnvelope(env, now));
    } else if (topic === 'checkpoint') galaxyOut(g, g.core.onCheckpoint(payload as CheckpointCert, now));
    else if (topic === 'presence') g.core.onPresence(payload as Uint8Array, 0, now);
  };

  for (const s of stars) schedule({ at: rng.int(0, tickMs - 1), kind: 'tick', to: { t: 'star', i: s.i } });
  for (const g of galaxies) schedule({ at: rng.int(0, tickMs - 1), kind: 'tick', to: { t: 'galaxy', i: g.i } });
  schedule({ at: 0, kind: 'presence' });
  const transfersFrom = options.transfersFromMs ?? Math.max(1, transferGapMs);
  if (transferGapMs > 0 && transfersFrom <= transfersUntil) schedule({ at: transfersFrom, kind: 'transfer' });

  const target = options.rounds;
  const honestStars = () => stars.filter((s) => s.behaviour === 'honest' && !s.asleep);
  const unfinal = (): number => submittedCount - finalTransfers;
  const done = (): boolean =>
    honestGalaxies.every((g) => g.core.height >= target) &&
    honestStars().every((s) => s.finality.height >= target) &&
    stars.every((s) => !s.sleep || s.sleep.done) &&
    (!options.settle || (now >= transfersUntil && unfinal() === 0));
  // done() walks every Star: asked every 10 simulated ms, not after every event
  let checkAt = 0;
  while (queue.size > 0) {
    if (now >= checkAt) {
      if (done()) break;
      checkAt = now + 10;
    }
    const e = queue.pop()!;
    if (e.at > maxTime) break;
    now = e.at;
    handle(e);
  }
  const stalled = !done();
  // — the checks —
  const seatsOfRound = (k: string): { round: number; cluster: number; seatList: Uint8Array[] } | undefined => {
    const [round, cluster] = k.split(':').map(Number) as [number, number];
    const block = reference.core.block(round - 1)?.block;
    if (!block) return undefined;
    return { round, cluster, seatList: seatsAfter(block, blackholeHash(block.header), seats ?? 4, cluster) };
  };
  for (const [k, byHash] of starShares) {
    const at = seatsOfRound(k);
    if (!at) continue;
    const { round } = at;
    const seatList = at.seatList.map(toHex);
    const quorum = quorumSize(seatList.length);
    const withQuorum = [...byHash].filter(([, signers]) => [...signers].filter((s) => seatList.includes(s)).length >= quorum);
    if (withQuorum.length > 1) violations.push(`round ${round}: ${withQuorum.length} checkpoints have a facilitator quorum of shares`);
  }
  for (const [k, keys] of certsSeen) {
    const at = seatsOfRound(k);
    if (!at) continue;
    const { round, seatList } = at;
    const hashes = new Set<string>();
    for (const key of keys) {
      const cert = certByKey.get(key);
      if (cert && certHasQuorum(cert, seatList, verifyAll(certVerifyItems(cert, seatList)))) hashes.add(toHex(checkpointHash(cert.checkpoint)));
    }
    if (hashes.size > 1) violations.push(`round ${round}: ${hashes.size} different certified checkpoints`);
  }
  const galaxyQuorum = quorumSize(galaxies.length);
  for (const [height, byHash] of galaxyShares) {
    const withQuorum = [...byHash].filter(([, signers]) => signers.size >= galaxyQuorum);
    if (withQuorum.length > 1) violations.push(`height ${height}: ${withQuorum.length} Blackhole blocks have a Galaxy quorum of shares`);
  }
  for (const [height, hashes] of blocksSeen) if (hashes.size > 1) violations.push(`height ${height}: ${hashes.size} different complete Blackhole blocks`);
  for (const star of stars) {
    for (const [height, hash] of star.accepted) {
      const ref = reference.core.block(height)?.block;
      if (ref && toHex(blackholeHash(ref.header)) !== hash) violations.push(`star ${star.i} accepted another block at height ${height}`);
    }
  }

  const refFinalTo = (height: number): Set<string> => {
    const out = new Set<string>();
    for (let h = 1; h <= Math.min(height, reference.core.height); h++) for (const a of reference.core.block(h)!.block.body.accepted) out.add(toHex(a));
    return out;
  };
  const honestAwake = stars.filter((s) => s.behaviour === 'honest');
  const common = Math.min(...honestGalaxies.map((g) => g.core.height), ...honestAwake.map((s) => s.finality.height));
  const refFinal = refFinalTo(common);
  // no (pk, seq) has two final blocks
  const slots = new Map<string, string>();
  for (let h = 1; h <= reference.core.height; h++) {
    for (const a of reference.core.block(h)!.block.body.accepted) {
      const b = halfBlocks.get(toHex(a));
      if (!b) continue;
      const slot = `${toHex(b.pk)}:${b.seq}`;
      if (slots.has(slot) && slots.get(slot) !== toHex(a)) violations.push(`two final blocks at ${slot}`);
      slots.set(slot, toHex(a));
    }
  }
  // every Star's final set, up to its own height, is the Galaxy chain's
  const refDigests = new Map<number, FinalDigest>();
  for (let h = 1; h <= reference.core.height; h++) {
    const accepted = reference.core.block(h)!.block.body.accepted;
    if (accepted.length > 0) refDigests.set(h, addToDigest(undefined, accepted.map(toHex)));
  }
  const starResults = stars.map((s) => {
    const upTo = Math.min(s.finality.height, reference.core.height);
    let matches = true;
    for (let h = 1; h <= upTo; h++) if (!sameDigest(s.finalAt.get(h), refDigests.get(h))) matches = false;
    return { height: s.finality.height, finalSetMatches: matches, caughtUp: s.finality.height >= target, fetched: s.fetched };
  });
  if (starResults.some((r) => !r.finalSetMatches)) violations.push('a Star’s final set differs from the Galaxy chain');

  // final balances from each Star's final set, and from the reference Galaxy's accounts
  const balanceOf = (finalIds: Iterable<string>): Map<string, number> => {
    const out = new Map(balances);
    for (const id of finalIds) {
      const b = halfBlocks.get(id);
      if (!b) continue;
      const k = toHex(b.pk);
      out.set(k, (out.get(k) ?? 0) + (b.linkSeq === 0 ? -b.payload.amount : b.payload.amount));
    }
    return out;
  };
  const refBalances = balanceOf(refFinal);
  let balancesAgree = true;
  if (common === reference.core.height) {
    for (const [k, v] of refBalances) if (reference.core.account(fromHex(k)!)?.balance !== v) balancesAgree = false;
  }
  // each Star's final balances are a function of its final set, checked equal to the chain's above
  if (!balancesAgree) violations.push('final balances differ');

  let doubleSpendFinal: number | undefined;
  if (doubleSpend) {
    const all = new Set<string>();
    for (let h = 1; h <= reference.core.height; h++) for (const a of reference.core.block(h)!.block.body.accepted) all.add(toHex(a));
    doubleSpendFinal = (all.has(doubleSpend.a) ? 1 : 0) + (all.has(doubleSpend.b) ? 1 : 0);
    if (doubleSpendFinal > 1) violations.push('both twins of the double spend are final');
  }

  const rounds = Math.min(...honestGalaxies.map((g) => g.core.height));
  let checkpointedRounds = 0;
  let finalBlocks = 0;
  const roundMs: number[] = [];
  for (let h = 1; h <= reference.core.height; h++) {
    const b = reference.core.block(h)!.block;
    if (h >= 2) roundMs.push(b.header.time - reference.core.block(h - 1)!.block.header.time);
    if (b.body.checkpoints.length > 0) checkpointedRounds++;
    finalBlocks += b.body.accepted.length;
  }
  const starRounds = Math.max(1, rounds);
  return {
    rounds,
    stalled,
    time: now,
    safety: { ok: violations.length === 0, violations },
    latencies,
    transfers: { submitted: submittedCount, final: finalTransfers },
    sentPerStarRound: stars.reduce((a, s) => a + s.sent, 0) / stars.length / starRounds,
    receivedPerStarRound: stars.reduce((a, s) => a + s.received, 0) / stars.length / starRounds,
    roundMs,
    checkpointedRounds,
    finalBlocks,
    stars: starResults,
    balancesAgree,
    doubleSpendFinal,
    faults,
    clusters: reference.core.head.header.clusterCount,
    maxClusters,
    moves,
    crossClusterFinal,
    bytesPerStarRound: stars.reduce((a, s) => a + s.bytesIn, 0) / stars.length / starRounds,
    unfinal: unfinal(),
    firstSubmitAt,
    lastFinalAt,
    stuck: [...submitted].flatMap(([si, mine]) =>
      [...mine].map(([id, t]) => {
        const receiver = halfBlocks.get(id)!.linkPk;
        return {
          receiver: starIndex.get(toHex(receiver))!,
          crossCluster: clusterOf(receiver, t.count) !== clusterOf(t.pk, t.count),
          proposalFinal: stars[si]!.finality.statusOf(id) === 'final',
        };
      }),
    ),
  };

  function certKeyOf(cert: CheckpointCert): string {
    const key = `${toHex(checkpointHash(cert.checkpoint))}:${cert.sigs.map((s) => `${s.signer}.${toHex(s.sig)}`).join(',')}`;
    certByKey.set(key, cert);
    return key;
  }
}

interface FinalDigest {
  count: number;
  a: number;
  b: number;
}

function addToDigest(d: FinalDigest | undefined, ids: readonly string[]): FinalDigest {
  const out = d ? { ...d } : { count: 0, a: 0, b: 0 };
  for (const id of ids) {
    out.count++;
    out.a = (out.a + parseInt(id.slice(0, 8), 16)) >>> 0;
    out.b = (out.b ^ parseInt(id.slice(8, 16), 16)) >>> 0;
  }
  return out;
}

function sameDigest(x: FinalDigest | undefined, y: FinalDigest | undefined): boolean {
  const e = { count: 0, a: 0, b: 0 };
  const p = x ?? e;
  const q = y ?? e;
  return p.count === q.count && p.a === q.a && p.b === q.b;
}

function fakeSig(pk: Uint8Array, message: Uint8Array): Uint8Array {
  const m = sha256(message);
  const out = new Uint8Array(64);
  out.set(sha256(concat(pk, m)), 0);
  out.set(sha256(concat(m, pk)), 32);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
