/**
 * What StarFinality and GalaxyCore share around an AgreementRound: turning a core step's
 * messages into signed-envelope bodies, the seats of the round after a Blackhole block, the
 * structural checks of a checkpoint certificate, and each cluster's previous checkpoint.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { HASH_BYTES, ZERO_HASH } from '../chain/half-block.ts';
import { bytesEqual } from '../codec/cbor.ts';
import { toHex } from '../codec/hex.ts';
import type { RoundStep } from './agreement-round.ts';
import type { BlackholeBlock } from './blackhole.ts';
import { blocksMatchEntries, checkpointHash, MAX_CHECKPOINT_BLOCKS, type CheckpointCert } from './checkpoint.ts';
import { clusterOf, partitionRoster } from './clusters.ts';
import { selectFacilitators } from './facilitators.ts';
import { MAX_ENVELOPE_BYTES, MAX_ENVELOPE_ITEMS, type RoundMessage, type UnsignedEnvelope } from './wire.ts';

/** a step's messages are split so that no envelope nears the wire limit */
const ENVELOPE_BUDGET_BYTES = MAX_ENVELOPE_BYTES / 2;

/**
 * One envelope per core step (one signature covers the step), split only when a step has
 * more than MAX_ENVELOPE_ITEMS messages or carries more value bytes than half the envelope
 * limit (a proposer's step holds its VAL and its own ECHO, two copies of its proposal).
 * `'all'` becomes seat -1.
 */
export function envelopesOf(
  kind: UnsignedEnvelope['kind'],
  instance: number,
  cluster: number,
  from: Uint8Array,
  messages: RoundStep['messages'],
): UnsignedEnvelope[] {
  const out: UnsignedEnvelope[] = [];
  let items: UnsignedEnvelope['items'] = [];
  let bytes = 0;
  for (const { to, message } of messages) {
    const size = approximateSize(message);
    if (items.length > 0 && (items.length === MAX_ENVELOPE_ITEMS || bytes + size > ENVELOPE_BUDGET_BYTES)) {
      out.push({ kind, instance, cluster, from, items });
      items = [];
      bytes = 0;
    }
    items.push({ to: to === 'all' ? -1 : to, m: message });
    bytes += size;
  }
  if (items.length > 0) out.push({ kind, instance, cluster, from, items });
  return out;
}

function approximateSize(m: RoundMessage): number {
  if (m.t === 'share') return 128;
  const inner = m.m.message;
  return 64 + ('value' in inner && inner.value instanceof Uint8Array ? inner.value.length : 0);
}

/**
 * Every cluster's facilitators for the round after `head` (whose hash is `headHash`), index =
 * cluster id: each cluster draws its seats from the roster Stars in it (clusters.ts), keyed
 * by the same block hash (the member sets are disjoint, so the draws stay independent). The
 * seat count is a network constant (Stars and Galaxies must use the same one). A cluster
 * with no roster Star has no seats that round.
 */
export function clusterSeatsAfter(head: BlackholeBlock, headHash: Uint8Array, count: number): Uint8Array[][] {
  return partitionRoster(head.body.roster, head.header.clusterCount).map((members) => selectFacilitators(headHash, members, { count }));
}

/** One cluster's facilitators for the round after `head` (see clusterSeatsAfter). */
export function seatsAfter(head: BlackholeBlock, headHash: Uint8Array, count: number, cluster = 0): Uint8Array[] {
  const members = head.body.roster.filter((pk) => clusterOf(pk, head.header.clusterCount) === cluster);
  return selectFacilitators(headHash, members, { count });
}

export interface CertExpectation {
  round: number;
  clusterCount: number;
  /** hash of the Blackhole block the round started from */
  base: Uint8Array;
  /** the cluster's previous checkpoint hash, ZERO_HASH if none */
  prevOf(cluster: number): Uint8Array;
}

/** Everything about a cert except its signatures; undefined when it fits. */
export function certProblem(cert: CheckpointCert, expect: CertExpectation): string | undefined {
  const c = cert.checkpoint;
  if (c.round !== expect.round) return `checkpoint for round ${c.round}, expected ${expect.round}`;
  if (!Number.isInteger(c.cluster) || c.cluster < 0 || c.cluster >= expect.clusterCount) return `cluster ${c.cluster} does not exist`;
  if (!bytesEqual(c.base, expect.base)) return 'base is not the Blackhole block the round started from';
  if (!bytesEqual(c.prev, expect.prevOf(c.cluster))) return "prev is not the cluster's previous checkpoint";
  if (c.entries.length > MAX_CHECKPOINT_BLOCKS) return 'too many entries';
  if (cert.blocks.length !== c.entries.length) return 'blocks and entries differ in number';
  if (blocksMatchEntries(cert)) return undefined;
  for (let i = 0; i < c.entries.length; i++) {
    const entry = c.entries[i]!;
    if (entry.length !== HASH_BYTES || !bytesEqual(sha256(cert.blocks[i]!), entry)) return `block ${i} does not hash to its entry`;
  }
  return undefined;
}

/** A cache key for a cert: its checkpoint and exactly its signatures. */
export function certKey(cert: CheckpointCert): string {
  let key = toHex(checkpointHash(cert.checkpoint));
  for (const s of cert.sigs) key += `:${s.signer}.${toHex(s.sig)}`;
  return key;
}

/** The previous checkpoint of each cluster as of a block (carried forward from older blocks). */
export function advanceCheckpoints(prev: ReadonlyMap<number, Uint8Array>, block: BlackholeBlock): Map<number, Uint8Array> {
  const next = new Map(prev);
  for (const c of block.body.checkpoints) next.set(c.cluster, checkpointHash(c));
  return next;
}

export function prevCheckpoint(map: ReadonlyMap<number, Uint8Array>, cluster: number): Uint8Array {
  return map.get(cluster) ?? ZERO_HASH;
}
