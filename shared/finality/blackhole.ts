/**
 * The Blackhole chain: one block per round, signed by a quorum of Galaxies. Block h
 * finalises round h: the checkpoints it orders, the half-blocks the Galaxy accepted from
 * them (`finalRoot`), the account state after them, and what round h+1 runs on (cluster
 * count, seed, roster of Stars eligible as facilitators). Block 0 is derived from the
 * genesis file by everyone and carries no signatures.
 *
 * Encodings are canonical CBOR with `v: 1`; the hash covers the header only (the body is
 * bound to it through its Merkle roots, which `decodeBlackhole` recomputes).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, encodeCanonical, type CborValue } from '../codec/cbor.ts';
import { toHex } from '../codec/hex.ts';
import type { VerifyItem } from '../crypto/ed25519.ts';
import { HASH_BYTES, ZERO_HASH, type Decoded } from '../chain/half-block.ts';
import { PUBLIC_KEY_BYTES } from '../chain/address.ts';
import { checkpointHash, checkpointToCbor, MAX_CLUSTERS, parseCheckpoint, type Checkpoint } from './checkpoint.ts';
import { merkleProof, merkleRoot, MAX_MERKLE_COUNT, MAX_MERKLE_DEPTH, verifyMerkleProof, type MerkleProof } from './merkle.ts';
import {
  fixedBytes,
  hasSeatQuorum,
  decodeWith,
  domain,
  encodeSigs,
  FORMAT_VERSION,
  int,
  list,
  malformed,
  parseSigs,
  record,
  seatVerifyItems,
  text,
  version,
} from './shape.ts';
import { stateRoot } from './state-root.ts';

export { accountLeaf, stateRoot, type AccountLeafState } from './state-root.ts';

export const MAX_BLACKHOLE_BYTES = 1024 * 1024;
export const MAX_ROSTER = 1024;
export const MAX_FINALITY_PROOF_BYTES = 64 * 1024;
export const MAX_NETWORK_CHARS = 256;
/** accepted or rejected hashes in one block (the byte limit bounds them below this anyway) */
export const MAX_BLOCK_HASHES = 32 * 1024;

const BLACKHOLE_DOMAIN = 'starweave/blackhole/1';
const GENESIS_SEED_DOMAIN = 'starweave/seed/0';
const SEED_DOMAIN = 'starweave/seed/1';

/** Digest of the reputation table while every weight is 1 (no table yet). */
export const UNIFORM_REPUTATION_DIGEST: Uint8Array = sha256(encodeCanonical({ v: FORMAT_VERSION, weights: [] }));

export interface BlackholeHeader {
  network: string;
  height: number;
  /** hash of block height-1 (ZERO_HASH at 0) */
  prev: Uint8Array;
  /** ms since epoch, agreed (median of the Galaxies' proposals) */
  time: number;
  /** Merkle root of the checkpoint hashes in body order */
  checkpointsRoot: Uint8Array;
  /** Merkle root of the accepted half-block hashes in body order */
  finalRoot: Uint8Array;
  /** Merkle root of the account states after this block (see state-root.ts accountLeaf) */
  stateRoot: Uint8Array;
  /** digest of the reputation table; uniform weights for now */
  reputationDigest: Uint8Array;
  /** clusters in round height+1 (1 until clusters split) */
  clusterCount: number;
  /** seed of round height+1: keys the coin and facilitator selection */
  seed: Uint8Array;
  /** Merkle root of the roster */
  rosterRoot: Uint8Array;
}

export interface BlackholeBody {
  checkpoints: Checkpoint[];
  /** accepted (now final) half-block hashes */
  accepted: Uint8Array[];
  /** half-blocks a checkpoint carried that the ledger rules refused for good */
  rejected: Uint8Array[];
  /** public keys eligible as facilitators in round height+1, sorted */
  roster: Uint8Array[];
}

export interface BlackholeBlock {
  header: BlackholeHeader;
  body: BlackholeBody;
  /** signer = the Galaxy's index in the genesis file's galaxy list */
  sigs: Array<{ signer: number; sig: Uint8Array }>;
}

export function headerToCbor(h: BlackholeHeader): { [key: string]: CborValue } {
  return {
    v: FORMAT_VERSION,
    network: h.network,
    height: h.height,
    prev: h.prev,
    time: h.time,
    checkpointsRoot: h.checkpointsRoot,
    finalRoot: h.finalRoot,
    stateRoot: h.stateRoot,
    reputationDigest: h.reputationDigest,
    clusterCount: h.clusterCount,
    seed: h.seed,
    rosterRoot: h.rosterRoot,
  };
}

export function blackholeHash(header: BlackholeHeader): Uint8Array {
  return sha256(encodeCanonical(headerToCbor(header)));
}

export function blackholeSigningBytes(hash: Uint8Array): Uint8Array {
  return domain(BLACKHOLE_DOMAIN, hash);
}

function u64be(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

/** Seed of round height+1, carried by block `height`: sha256(domain ‖ prev seed ‖ checkpointsRoot ‖ u64be(height)). */
export function nextSeed(prevSeed: Uint8Array, checkpointsRoot: Uint8Array, height: number): Uint8Array {
  const data = new Uint8Array(prevSeed.length + checkpointsRoot.length + 8);
  data.set(prevSeed, 0);
  data.set(checkpointsRoot, prevSeed.length);
  data.set(u64be(height), prevSeed.length + checkpointsRoot.length);
  return sha256(domain(SEED_DOMAIN, data));
}

/** Seed of round 1: fixed by the genesis file (network name and Galaxy keys). */
export function genesisSeed(network: string, galaxies: readonly Uint8Array[]): Uint8Array {
  return sha256(domain(GENESIS_SEED_DOMAIN, encodeCanonical({ network, galaxies: [...galaxies] })));
}

/** Block 0: from the genesis file's network name, galaxies and balances. */
export function genesisBlackhole(network: string, galaxies: readonly Uint8Array[], balances: ReadonlyMap<string, number>): BlackholeBlock {
  const accounts = [...balances].map(([pk, balance]) => [pk, { seq: 0, head: ZERO_HASH, balance, blocked: false }] as const);
  return {
    header: {
      network,
      height: 0,
      prev: ZERO_HASH.slice(),
      time: 0,
      checkpointsRoot: merkleRoot([]),
      finalRoot: merkleRoot([]),
      stateRoot: stateRoot(accounts),
      reputationDigest: UNIFORM_REPUTATION_DIGEST.slice(),
      clusterCount: 1,
      seed: genesisSeed(network, galaxies),
      rosterRoot: merkleRoot([]),
    },
    body: { checkpoints: [], accepted: [], rejected: [], roster: [] },
    sigs: [],
  };
}

function blockToCbor(block: BlackholeBlock): CborValue {
  return {
    v: FORMAT_VERSION,
    header: headerToCbor(block.header),
    body: {
      checkpoints: block.body.checkpoints.map(checkpointToCbor),
      accepted: [...block.body.accepted],
      rejected: [...block.body.rejected],
      roster: [...block.body.roster],
    },
    sigs: encodeSigs(block.sigs),
  };
}

export function encodeBlackhole(block: BlackholeBlock): Uint8Array {
  return encodeCanonical(blockToCbor(block));
}

const HEADER_KEYS = [
  'checkpointsRoot',
  'clusterCount',
  'finalRoot',
  'height',
  'network',
  'prev',
  'reputationDigest',
  'rosterRoot',
  'seed',
  'stateRoot',
  'time',
  'v',
];

export function parseHeader(value: unknown): BlackholeHeader {
  const r = record(value, HEADER_KEYS, 'header');
  version(r, 'header');
  return {
    network: text(r.network, 1, MAX_NETWORK_CHARS, 'header.network'),
    height: int(r.height, 0, Number.MAX_SAFE_INTEGER, 'header.height'),
    prev: fixedBytes(r.prev, HASH_BYTES, 'header.prev'),
    time: int(r.time, 0, Number.MAX_SAFE_INTEGER, 'header.time'),
    checkpointsRoot: fixedBytes(r.checkpointsRoot, HASH_BYTES, 'header.checkpointsRoot'),
    finalRoot: fixedBytes(r.finalRoot, HASH_BYTES, 'header.finalRoot'),
    stateRoot: fixedBytes(r.stateRoot, HASH_BYTES, 'header.stateRoot'),
    reputationDigest: fixedBytes(r.reputationDigest, HASH_BYTES, 'header.reputationDigest'),
    clusterCount: int(r.clusterCount, 1, MAX_CLUSTERS, 'header.clusterCount'),
    seed: fixedBytes(r.seed, HASH_BYTES, 'header.seed'),
    rosterRoot: fixedBytes(r.rosterRoot, HASH_BYTES, 'header.rosterRoot'),
  };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** The body's shape and that it matches the header (roots, round, base). */
function parseBody(value: unknown, header: BlackholeHeader): BlackholeBody {
  const r = record(value, ['accepted', 'checkpoints', 'rejected', 'roster'], 'body');
  const clusters = new Set<number>();
  const checkpoints = list(r.checkpoints, MAX_CLUSTERS, 'body.checkpoints').map((c, i) => {
    const cp = parseCheckpoint(c, `body.checkpoints[${i}]`);
    // block h orders round h's checkpoints, which started from block h-1
    if (cp.round !== header.height) malformed(`checkpoint ${i} is for round ${cp.round}, not ${header.height}`);
    if (!bytesEqual(cp.base, header.prev)) malformed(`checkpoint ${i} starts from another block`);
    if (clusters.has(cp.cluster)) malformed(`two checkpoints for cluster ${cp.cluster}`);
    clusters.add(cp.cluster);
    return cp;
  });
  const seen = new Set<string>();
  const hashes = (v: unknown, what: string) =>
    list(v, MAX_BLOCK_HASHES, what).map((h, i) => {
      const hash = fixedBytes(h, HASH_BYTES, `${what}[${i}]`);
      const id = toHex(hash);
      if (seen.has(id)) malformed(`${what}[${i}] repeats a half-block`);
      seen.add(id);
      return hash;
    });
  const accepted = hashes(r.accepted, 'body.accepted');
  const rejected = hashes(r.rejected, 'body.rejected');
  const roster = list(r.roster, MAX_ROSTER, 'body.roster').map((k, i) => fixedBytes(k, PUBLIC_KEY_BYTES, `body.roster[${i}]`));
  for (let i = 1; i < roster.length; i++) {
    if (compareBytes(roster[i - 1]!, roster[i]!) >= 0) malformed('body.roster is not sorted and unique');
  }
  const body = { checkpoints, accepted, rejected, roster };
  const problem = rootsProblem(header, body);
  if (problem !== undefined) malformed(problem);
  return body;
}

/** Which of the header's roots the body does not match; undefined when all do. */
function rootsProblem(header: BlackholeHeader, body: BlackholeBody): string | undefined {
  if (!bytesEqual(merkleRoot(body.checkpoints.map(checkpointHash)), header.checkpointsRoot)) return 'checkpointsRoot does not match the checkpoints';
  if (!bytesEqual(merkleRoot(body.accepted), header.finalRoot)) return 'finalRoot does not match the accepted half-blocks';
  if (!bytesEqual(merkleRoot(body.roster), header.rosterRoot)) return 'rosterRoot does not match the roster';
  return undefined;
}

/**
 * Blocks that came out of decodeBlackhole, whose body is known to match the header's roots.
 * Decoded blocks are never changed, so a Star need not recompute the roots (and the
 * simulator's Stars share one decoded block).
 */
const rootsChecked = new WeakSet<BlackholeBlock>();

/** Shape, limits, and that the body matches the header's roots; signatures are checked apart. */
export function decodeBlackhole(bytes: Uint8Array): Decoded<BlackholeBlock> {
  const d = decodeWith(bytes, MAX_BLACKHOLE_BYTES, 'blackhole block', (value) => {
    const r = record(value, ['body', 'header', 'sigs', 'v'], 'block');
    version(r, 'block');
    const header = parseHeader(r.header);
    return { header, body: parseBody(r.body, header), sigs: parseSigs(r.sigs, 'block sigs') };
  });
  if (d.ok) rootsChecked.add(d.value);
  return d;
}

/** Which of the header's roots the block's body does not match (decoded blocks were checked then); undefined when all do. */
export function bodyRootsProblem(block: BlackholeBlock): string | undefined {
  return rootsChecked.has(block) ? undefined : rootsProblem(block.header, block.body);
}

function headerVerifyItems(header: BlackholeHeader, sigs: BlackholeBlock['sigs'], galaxies: readonly Uint8Array[]): VerifyItem[] {
  return seatVerifyItems(sigs, galaxies, blackholeSigningBytes(blackholeHash(header)));
}

/** One item per signature whose signer is a Galaxy seat (out-of-range signers are skipped), in sig order. */
export function quorumVerifyItems(block: BlackholeBlock, galaxies: readonly Uint8Array[]): VerifyItem[] {
  return headerVerifyItems(block.header, block.sigs, galaxies);
}

/** ≥ quorumSize(galaxies.length) distinct valid Galaxy signatures. */
export function hasGalaxyQuorum(block: BlackholeBlock, galaxies: readonly Uint8Array[], verdicts: readonly boolean[]): boolean {
  return hasSeatQuorum(block.sigs, galaxies, verdicts);
}

/** A half-block's finality: the signed header and the path from its hash to `finalRoot`. */
export interface FinalityProof {
  header: BlackholeHeader;
  sigs: BlackholeBlock['sigs'];
  leaf: Uint8Array;
  proof: MerkleProof;
}

export function finalityProofFor(block: BlackholeBlock, halfBlockHash: Uint8Array): FinalityProof | undefined {
  const index = block.body.accepted.findIndex((h) => bytesEqual(h, halfBlockHash));
  if (index < 0) return undefined;
  return { header: block.header, sigs: block.sigs, leaf: block.body.accepted[index]!, proof: merkleProof(block.body.accepted, index) };
}

export function encodeFinalityProof(p: FinalityProof): Uint8Array {
  return encodeCanonical({
    v: FORMAT_VERSION,
    header: headerToCbor(p.header),
    sigs: encodeSigs(p.sigs),
    leaf: p.leaf,
    proof: { index: p.proof.index, count: p.proof.count, siblings: [...p.proof.siblings] },
  });
}

export function decodeFinalityProof(bytes: Uint8Array): Decoded<FinalityProof> {
  return decodeWith(bytes, MAX_FINALITY_PROOF_BYTES, 'finality proof', (value) => {
    const r = record(value, ['header', 'leaf', 'proof', 'sigs', 'v'], 'finality proof');
    version(r, 'finality proof');
    const pr = record(r.proof, ['count', 'index', 'siblings'], 'proof');
    const count = int(pr.count, 1, MAX_MERKLE_COUNT, 'proof.count');
    const index = int(pr.index, 0, count - 1, 'proof.index');
    const siblings = list(pr.siblings, MAX_MERKLE_DEPTH, 'proof.siblings').map((s, i) => fixedBytes(s, HASH_BYTES, `proof.siblings[${i}]`));
    return {
      header: parseHeader(r.header),
      sigs: parseSigs(r.sigs, 'proof sigs'),
      leaf: fixedBytes(r.leaf, HASH_BYTES, 'leaf'),
      proof: { index, count, siblings },
    };
  });
}

/** The Galaxy signatures a finality proof rests on (what `verifyFinalityProof`'s verdicts are aligned with). */
export function finalityProofVerifyItems(p: FinalityProof, galaxies: readonly Uint8Array[]): VerifyItem[] {
  return headerVerifyItems(p.header, p.sigs, galaxies);
}

/** Path and quorum (`verdicts` aligned with finalityProofVerifyItems, i.e. quorumVerifyItems of a block with this header and sigs). */
export function verifyFinalityProof(p: FinalityProof, galaxies: readonly Uint8Array[], verdicts: readonly boolean[]): boolean {
  if (!verifyMerkleProof(p.leaf, p.proof, p.header.finalRoot)) return false;
  return hasSeatQuorum(p.sigs, galaxies, verdicts);
}
