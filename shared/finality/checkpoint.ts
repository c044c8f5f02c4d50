/**
 * A cluster's checkpoint for one round (HyloChain: it names the previous checkpoint of its
 * cluster and the Blackhole block the round started from) and its certificate: the
 * half-blocks it covers and ≥ 2f+1 facilitator signatures on its hash.
 *
 * The checkpoint is the ordered, deduplicated union of the facilitators' ACS proposals
 * (`mergeProposals`). Facilitators only check signatures and conflicts; the ledger rules
 * (sequence, balance, links) are the Galaxy's, applied deterministically to the union.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, encodeCanonical, type CborValue } from '../codec/cbor.ts';
import { toHex } from '../codec/hex.ts';
import type { VerifyItem } from '../crypto/ed25519.ts';
import { decodeHalfBlock, HASH_BYTES, MAX_HALF_BLOCK_BYTES, type Decoded, type HalfBlock } from '../chain/half-block.ts';
import { merkleRoot } from './merkle.ts';
import {
  byteString,
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
  version,
} from './shape.ts';

/** most half-blocks one facilitator proposes, and so one proposal's size bound */
export const MAX_PROPOSAL_BLOCKS = 512;
/** most half-blocks one checkpoint covers (n proposals, mostly overlapping) */
export const MAX_CHECKPOINT_BLOCKS = 2048;
/** most clusters a round can have (cluster ids are 0..MAX_CLUSTERS-1) */
export const MAX_CLUSTERS = 1024;
/** a full proposal: every block at its size limit plus CBOR framing */
export const MAX_PROPOSAL_BYTES = MAX_PROPOSAL_BLOCKS * (MAX_HALF_BLOCK_BYTES + 3) + 64;
/** a full certificate: blocks, their hashes, signatures and framing */
export const MAX_CERT_BYTES = MAX_CHECKPOINT_BLOCKS * (MAX_HALF_BLOCK_BYTES + 3 + HASH_BYTES + 2) + 64 * 1024;

const CHECKPOINT_DOMAIN = 'starweave/checkpoint/1';

export interface Checkpoint {
  cluster: number;
  round: number;
  /** hash of the Blackhole block the round started from (height round-1) */
  base: Uint8Array;
  /** hash of this cluster's previous checkpoint, ZERO_HASH if none yet */
  prev: Uint8Array;
  /** half-block hashes, in checkpoint order */
  entries: Uint8Array[];
}

export interface CheckpointCert {
  checkpoint: Checkpoint;
  /** the covered half-blocks' canonical bytes, in `entries` order */
  blocks: Uint8Array[];
  /** signer = seat index in the round's facilitator list */
  sigs: Array<{ signer: number; sig: Uint8Array }>;
}

/** A half-block a facilitator holds, decoded, with its hash. */
export interface CandidateBlock {
  bytes: Uint8Array;
  block: HalfBlock;
  hash: Uint8Array;
}

/** Checkpoints are never changed once made or decoded: each one's hash is kept with it. */
const hashOf = new WeakMap<Checkpoint, Uint8Array>();

/** sha256 of the canonical {v, cluster, round, base, prev, entriesRoot, count}. */
export function checkpointHash(c: Checkpoint): Uint8Array {
  let hash = hashOf.get(c);
  if (hash === undefined) {
    hash = hashCheckpoint(c);
    hashOf.set(c, hash);
  }
  return hash;
}

function hashCheckpoint(c: Checkpoint): Uint8Array {
  return sha256(
    encodeCanonical({
      v: FORMAT_VERSION,
      cluster: c.cluster,
      round: c.round,
      base: c.base,
      prev: c.prev,
      entriesRoot: merkleRoot(c.entries),
      count: c.entries.length,
    }),
  );
}

/** What a facilitator signs: a domain tag ‖ the checkpoint hash. */
export function checkpointSigningBytes(hash: Uint8Array): Uint8Array {
  return domain(CHECKPOINT_DOMAIN, hash);
}

export { quorumSize } from '../consensus/types.ts';

export function encodeProposal(blocks: readonly Uint8Array[]): Uint8Array {
  return encodeCanonical({ v: FORMAT_VERSION, blocks: [...blocks] });
}

/** A facilitator's ACS value: ≤ MAX_PROPOSAL_BLOCKS half-block encodings (shape only). */
export function decodeProposal(bytes: Uint8Array): Decoded<Uint8Array[]> {
  return decodeWith(bytes, MAX_PROPOSAL_BYTES, 'proposal', (value) => {
    const r = record(value, ['blocks', 'v'], 'proposal');
    version(r, 'proposal');
    return list(r.blocks, MAX_PROPOSAL_BLOCKS, 'proposal blocks').map((b, i) => byteString(b, 1, MAX_HALF_BLOCK_BYTES, `proposal block ${i}`));
  });
}

/**
 * The half-blocks of a decided proposal that decode, with their hashes, ready for the
 * signature check and `mergeProposals`. Undecodable entries are skipped (every honest
 * seat skips the same ones, so the union stays deterministic); an undecodable proposal
 * gives nothing.
 */
export function proposalCandidates(value: Uint8Array): CandidateBlock[] {
  const d = decodeProposal(value);
  if (!d.ok) return [];
  const out: CandidateBlock[] = [];
  for (const bytes of d.value) {
    const block = decodeHalfBlock(bytes);
    // decodeHalfBlock accepts canonical bytes only, so the hash of the bytes is the block's hash
    if (block.ok) out.push({ bytes, block: block.value, hash: sha256(bytes) });
  }
  return out;
}

/** Order of checkpoint entries: by author key (hex), then sequence. */
function compareCandidates(a: { id: string; seq: number }, b: { id: string; seq: number }): number {
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return a.seq - b.seq;
}

/**
 * The deterministic union of the proposals' signature-valid blocks: one copy per hash;
 * every block of a (pk, seq) that has two different blocks in the union is dropped (a
 * double spend never enters a checkpoint); ordered by (pk hex, seq); at most
 * MAX_CHECKPOINT_BLOCKS.
 */
export function mergeProposals(proposals: readonly (readonly CandidateBlock[])[]): CandidateBlock[] {
  const byHash = new Map<string, CandidateBlock>();
  for (const proposal of proposals) for (const c of proposal) if (!byHash.has(toHex(c.hash))) byHash.set(toHex(c.hash), c);
  const bySlot = new Map<string, { id: string; seq: number; blocks: CandidateBlock[] }>();
  for (const c of byHash.values()) {
    const id = toHex(c.block.pk);
    const slot = `${id}:${c.block.seq}`;
    const entry = bySlot.get(slot);
    if (entry) entry.blocks.push(c);
    else bySlot.set(slot, { id, seq: c.block.seq, blocks: [c] });
  }
  const kept = [...bySlot.values()].filter((s) => s.blocks.length === 1);
  kept.sort(compareCandidates);
  return kept.slice(0, MAX_CHECKPOINT_BLOCKS).map((s) => s.blocks[0]!);
}

export function checkpointToCbor(c: Checkpoint): CborValue {
  return { cluster: c.cluster, round: c.round, base: c.base, prev: c.prev, entries: [...c.entries] };
}

/** A checkpoint's shape (as carried in certs and Blackhole bodies). */
export function parseCheckpoint(value: unknown, what: string): Checkpoint {
  const r = record(value, ['base', 'cluster', 'entries', 'prev', 'round'], what);
  return {
    cluster: int(r.cluster, 0, MAX_CLUSTERS - 1, `${what}.cluster`),
    round: int(r.round, 1, Number.MAX_SAFE_INTEGER, `${what}.round`),
    base: fixedBytes(r.base, HASH_BYTES, `${what}.base`),
    prev: fixedBytes(r.prev, HASH_BYTES, `${what}.prev`),
    entries: list(r.entries, MAX_CHECKPOINT_BLOCKS, `${what}.entries`).map((e, i) => fixedBytes(e, HASH_BYTES, `${what}.entries[${i}]`)),
  };
}

export function encodeCheckpointCert(cert: CheckpointCert): Uint8Array {
  return encodeCanonical({
    v: FORMAT_VERSION,
    checkpoint: checkpointToCbor(cert.checkpoint),
    blocks: [...cert.blocks],
    sigs: encodeSigs(cert.sigs),
  });
}

/**
 * Shape, limits, and that every block hashes to its entry; signatures are checked apart.
 * The entries must also be in the order `mergeProposals` produces (strictly ascending
 * (pk hex, seq)), which no honest quorum can have signed otherwise.
 */
export function decodeCheckpointCert(bytes: Uint8Array): Decoded<CheckpointCert> {
  const d = decodeWith(bytes, MAX_CERT_BYTES, 'checkpoint cert', (value) => {
    const r = record(value, ['blocks', 'checkpoint', 'sigs', 'v'], 'cert');
    version(r, 'cert');
    const checkpoint = parseCheckpoint(r.checkpoint, 'checkpoint');
    const blocks = list(r.blocks, MAX_CHECKPOINT_BLOCKS, 'cert blocks').map((b, i) => byteString(b, 1, MAX_HALF_BLOCK_BYTES, `cert block ${i}`));
    if (blocks.length !== checkpoint.entries.length) malformed(`${blocks.length} blocks for ${checkpoint.entries.length} entries`);
    if (!sameAsChecked(checkpoint, blocks)) {
      let last: { id: string; seq: number } | undefined;
      blocks.forEach((b, i) => {
        if (!bytesEqual(sha256(b), checkpoint.entries[i]!)) malformed(`block ${i} does not hash to its entry`);
        const d = decodeHalfBlock(b);
        if (!d.ok) malformed(`block ${i}: ${d.reason}`);
        const here = { id: toHex(d.value.pk), seq: d.value.seq };
        if (last && compareCandidates(last, here) >= 0) malformed(`block ${i} is out of checkpoint order`);
        last = here;
      });
    }
    return { checkpoint, blocks, sigs: parseSigs(r.sigs, 'cert sigs') };
  });
  if (d.ok) {
    blocksChecked.add(d.value);
    rememberChecked(d.value);
  }
  return d;
}

/**
 * Every seat of a round sends its own certificate of the same checkpoint (the signature
 * shares differ), and each arrives more than once (gossip, a post to the Galaxy), so the
 * same hundreds of blocks were hashed and decoded again and again: a seventh of a Galaxy's
 * time under load. The last certificates checked are kept by (round, cluster); one whose
 * entries and blocks are the same bytes needs no block checked again: equal bytes hash to
 * equal entries. Comparing bytes costs a fraction of hashing and decoding them.
 */
const CHECKED_KEPT = 16;
const checkedByRound = new Map<string, { entries: Uint8Array[]; blocks: Uint8Array[] }>();
const roundKey = (c: Checkpoint) => `${c.round}/${c.cluster}`;

function sameAsChecked(checkpoint: Checkpoint, blocks: readonly Uint8Array[]): boolean {
  const kept = checkedByRound.get(roundKey(checkpoint));
  if (!kept || kept.entries.length !== checkpoint.entries.length || kept.blocks.length !== blocks.length) return false;
  return kept.entries.every((e, i) => bytesEqual(e, checkpoint.entries[i]!)) && kept.blocks.every((b, i) => bytesEqual(b, blocks[i]!));
}

function rememberChecked(cert: CheckpointCert): void {
  const key = roundKey(cert.checkpoint);
  checkedByRound.delete(key);
  checkedByRound.set(key, { entries: cert.checkpoint.entries, blocks: cert.blocks });
  if (checkedByRound.size > CHECKED_KEPT) checkedByRound.delete(checkedByRound.keys().next().value!);
}

/** Certs from decodeCheckpointCert: their blocks were checked against their entries, and certs are never changed. */
const blocksChecked = new WeakSet<CheckpointCert>();

/** Whether decodeCheckpointCert already checked that every block hashes to its entry. */
export function blocksMatchEntries(cert: CheckpointCert): boolean {
  return blocksChecked.has(cert);
}

/** The facilitator signatures to verify against the round's facilitator list (seats out of range are skipped). */
export function certVerifyItems(cert: CheckpointCert, facilitators: readonly Uint8Array[]): VerifyItem[] {
  return seatVerifyItems(cert.sigs, facilitators, checkpointSigningBytes(checkpointHash(cert.checkpoint)));
}

/** ≥ quorumSize(n) distinct seats with valid signatures (`verdicts` aligned with certVerifyItems). */
export function certHasQuorum(cert: CheckpointCert, facilitators: readonly Uint8Array[], verdicts: readonly boolean[]): boolean {
  return hasSeatQuorum(cert.sigs, facilitators, verdicts);
}
