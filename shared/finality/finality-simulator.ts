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
import { ChainEngine, type IncomingBlock } from '../chain/chain-engine.ts';
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
}

type Topic = 'round' | 'checkpoint' | 'galaxy' | 'blackhole' | 'chain' | 'presence';

type Event =
  | { at: number; seq: number; kind: 'deliver'; to: Party; topic: Topic; payload: unknown }
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
  finalAt: Map<string, number>;
  /** the Blackhole hash it accepted at each height */
  accepted: Map<number, string>;
  received: number;
  sent: number;
  fetching: boolean;
  /** Blackhole blocks it took from a Galaxy's store (catch-up) */
  fetched: number;
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
  const verify = (item: VerifyItem): boolean => {
    if (item.sig.length !== 64 || item.pk.length !== 32) return false;
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
        cluster: 0,
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
    };
    const s = options.sleepers?.find((x) => x.star === i);
    if (s) star.sleep = { atHeight: s.atHeight, rounds: s.rounds, done: false };
    return star;
  });
  const honestGalaxies = galaxies.filter((g) => g.behaviour === 'honest');
  const reference = honestGalaxies[0] ?? galaxies[0]!;

  // — bookkeeping for the checks —
  const halfBlocks = new Map<string, HalfBlock>();
  /** round → checkpoint hash → seats (pk hex) with a valid share */
  const starShares = new Map<number, Map<string, Set<string>>>();
  const galaxyShares = new Map<number, Map<string, Set<number>>>();
  const certsSeen = new Map<number, Set<string>>();
  const blocksSeen = new Map<number, Set<string>>();
  const violations: string[] = [];
  const submitted = new Map<string, { at: number; star: number; pk: Uint8Array; seq: number }>();
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

  const subscribers: Record<Topic, Party[]> = {
    round: stars.map((s) => ({ t: 'star', i: s.i })),
    chain: stars.map((s) => ({ t: 'star', i: s.i })),
    blackhole: stars.map((s) => ({ t: 'star', i: s.i })),
    checkpoint: [...stars.map((s): Party => ({ t: 'star', i: s.i })), ...galaxies.map((g): Party => ({ t: 'galaxy', i: g.i }))],
    galaxy: galaxies.map((g) => ({ t: 'galaxy', i: g.i })),
    presence: galaxies.map((g) => ({ t: 'galaxy', i: g.i })),
  };
  const publish = (from: Party, behaviour: FinalityBehaviour, topic: Topic, payload: unknown, extraDelay?: (to: Party) => number): void => {
    if (behaviour === 'silent' && topic !== 'chain' && topic !== 'presence') return;
    if (from.t === 'star') stars[from.i]!.sent++;
    for (const to of subscribers[topic]) {
      if (to.t === from.t && to.i === from.i) continue;
      schedule({ at: now + latencyOf(behaviour) + (extraDelay?.(to) ?? 0), kind: 'deliver', to, topic, payload });
    }
  };

  // — signing through the wire codecs —
  const sealEnvelope = (keys: Keys, u: UnsignedEnvelope): Envelope => {
    const d = decodeEnvelope(encodeEnvelope({ ...u, sig: keys.sign(envelopeSigningBytes(u)) }));
    if (!d.ok) throw new Error(`simulator: an envelope does not survive the wire: ${d.reason}`);
    return d.value;
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
      const byHash = starShares.get(env.instance) ?? new Map<string, Set<string>>();
      starShares.set(env.instance, byHash);
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
      const env = sealEnvelope(star.keys, body);
      recordStarShares(env);
      publish({ t: 'star', i: star.i }, star.behaviour, 'round', env);
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
      const d = decodeCheckpointCert(encodeCheckpointCert(cert));
      if (!d.ok) throw new Error(`simulator: a cert does not survive the wire: ${d.reason}`);
      noteCert(d.value);
      publish({ t: 'star', i: star.i }, star.behaviour, 'checkpoint', d.value);
    }
    for (const id of [...out.final, ...out.rejected]) star.open.delete(id);
    for (const id of out.final) star.finalAt.set(id, rs.height);
    if (out.final.length > 0) noteLatencies(star);
    if (out.fetchFrom !== undefined) fetchFor({ t: 'star', i: star.i }, out.fetchFrom);
    for (const env of out.replay ?? []) starEnvelope(star, env);
  };

  const noteCert = (cert: CheckpointCert): void => {
    const round = cert.checkpoint.round;
    const set = certsSeen.get(round) ?? new Set<string>();
    certsSeen.set(round, set);
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
    starOut(star, out);
  };

  const ingest = (star: SimStar, bytes: Uint8Array): void => {
    const d = decodeHalfBlock(bytes);
    if (!d.ok) return;
    const block = d.value;
    const item: IncomingBlock = { bytes, block, hash: sha256(bytes), signatureValid: verify({ pk: block.pk, message: signingBytes(block), sig: block.sig }) };
    const report = star.engine.ingest([item], now);
    for (const e of report.stored) {
      const stored = decodeHalfBlock(e.bytes);
      if (!stored.ok) continue;
      const hash = sha256(e.bytes);
      const id = toHex(hash);
      const st = star.finality.statusOf(id);
      if (st !== 'final' && st !== 'rejected') star.open.set(id, { bytes: e.bytes, block: stored.value, hash });
    }
    // the receiver countersigns at once (the worker does the same)
    for (const p of report.toAgree) authorBlock(star, star.engine.agree(p, now));
  };

  const authorBlock = (star: SimStar, unsigned: UnsignedHalfBlock, extraDelay?: (to: Party) => number): HalfBlock => {
    const block: HalfBlock = { ...unsigned, sig: star.keys.sign(signingBytes(unsigned)) };
    const bytes = encodeHalfBlock(block);
    halfBlocks.set(toHex(sha256(bytes)), block);
    ingest(star, bytes);
    publish({ t: 'star', i: star.i }, 'honest', 'chain', bytes, extraDelay);
    return block;
  };

  const noteLatencies = (star: SimStar): void => {
    for (const [id, t] of submitted) {
      if (t.star !== star.i || star.finality.statusOf(id) !== 'final') continue;
      const agreement = star.engine.ledger.agreementFor(t.pk, t.seq);
      if (!agreement || star.finality.statusOf(toHex(halfBlockHash(agreement))) !== 'final') continue;
      latencies.push(now - t.at);
      submitted.delete(id);
      finalTransfers++;
    }
  };
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
      const env = sealEnvelope(g.keys, body);
      recordGalaxyShares(env, g.i);
      publish({ t: 'galaxy', i: g.i }, g.behaviour, 'galaxy', env);
    }
    if (out.signBlock) {
      const { height, hash } = out.signBlock;
      galaxyOut(g, g.core.signedBlock(height, g.keys.sign(blackholeSigningBytes(hash)), now));
    }
    for (const stored of out.blocks) {
      // persisted (the core keeps its chain) before it is published
      const d = decodeBlackhole(encodeBlackhole(stored.block));
      if (!d.ok) throw new Error(`simulator: a block does not survive the wire: ${d.reason}`);
      noteBlock(d.value);
      publish({ t: 'galaxy', i: g.i }, g.behaviour, 'blackhole', d.value);
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
    publish({ t: 'star', i: f.i }, 'honest', 'chain', bytesB, (to) => 300 - half(to));
    doubleSpend = { a: toHex(halfBlockHash(blockA)), b: toHex(halfBlockHash(blockB)) };
  };

  // — transfers and presence —
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
    submitted.set(toHex(halfBlockHash(block)), { at: now, star: from.i, pk: block.pk, seq: block.seq });
    submittedCount++;
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
      case 'transfer':
        if (transferEveryMs > 0) schedule({ at: now + transferEveryMs, kind: 'transfer' });
        return transfer();
      case 'presence':
        schedule({ at: now + 1_000, kind: 'presence' });
        for (const s of stars) if (!s.asleep) publish({ t: 'star', i: s.i }, 'honest', 'presence', s.keys.pk);
        return;
      case 'deliver':
        return deliver(e.to, e.topic, e.payload);
    }
  };

  const deliver = (to: Party, topic: Topic, payload: unknown): void => {
    if (to.t === 'star') {
      const star = stars[to.i]!;
      if (star.asleep) return;
      star.received++;
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
  if (transferEveryMs > 0) schedule({ at: transferEveryMs, kind: 'transfer' });

  const target = options.rounds;
  const honestStars = () => stars.filter((s) => s.behaviour === 'honest' && !s.asleep);
  const done = (): boolean =>
    honestGalaxies.every((g) => g.core.height >= target) && honestStars().every((s) => s.finality.height >= target) && stars.every((s) => !s.sleep || s.sleep.done);
  while (!done() && queue.size > 0) {
    const e = queue.pop()!;
    if (e.at > maxTime) break;
    now = e.at;
    handle(e);
  }
  const stalled = !done();

  // — the checks —
  for (const [round, byHash] of starShares) {
    const block = reference.core.block(round - 1)?.block;
    if (!block) continue;
    const seatList = seatsAfter(block, blackholeHash(block.header), seats ?? 4).map(toHex);
    const quorum = quorumSize(seatList.length);
    const withQuorum = [...byHash].filter(([, signers]) => [...signers].filter((s) => seatList.includes(s)).length >= quorum);
    if (withQuorum.length > 1) violations.push(`round ${round}: ${withQuorum.length} checkpoints have a facilitator quorum of shares`);
  }
  for (const [round, keys] of certsSeen) {
    const block = reference.core.block(round - 1)?.block;
    if (!block) continue;
    const seatList = seatsAfter(block, blackholeHash(block.header), seats ?? 4);
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
  const starResults = stars.map((s) => {
    const upTo = Math.min(s.finality.height, reference.core.height);
    const ref = refFinalTo(upTo);
    const mine = new Set([...s.finalAt].filter(([, h]) => h <= upTo).map(([id]) => id));
    const matches = mine.size === ref.size && [...ref].every((id) => mine.has(id));
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
  for (const s of honestAwake) {
    const mine = balanceOf([...s.finalAt].filter(([, h]) => h <= common).map(([id]) => id));
    for (const [k, v] of refBalances) if (mine.get(k) !== v) balancesAgree = false;
  }
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
  };

  function certKeyOf(cert: CheckpointCert): string {
    const key = `${toHex(checkpointHash(cert.checkpoint))}:${cert.sigs.map((s) => `${s.signer}.${toHex(s.sig)}`).join(',')}`;
    certByKey.set(key, cert);
    return key;
  }
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
