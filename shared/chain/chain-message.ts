/**
 * Messages that carry account-chain data, on gossip and on streams, in the one canonical
 * CBOR encoding:
 *
 *   { t: 'blocks', blocks: [halfBlockBytes…], more, proofs }  gossip, transfer delivery, sync answers
 *                                                (proofs: [{ kind, a, b }…], so a newcomer learns them)
 *   { t: 'fraud', kind, a: halfBlockBytes, b: halfBlockBytes } gossip: permanent evidence
 *   { t: 'sync', heads: [[pk, seq]…] }                          sync request: "what I have"
 *
 * Decoding checks size and shape only; the blocks themselves are decoded and judged by the
 * ledger after their signatures are checked.
 */
import { decodeStrict, encodeCanonical, isRecord, type CborValue } from '../codec/cbor.ts';
import { PUBLIC_KEY_BYTES } from './address.ts';
import { MAX_HALF_BLOCK_BYTES } from './half-block.ts';

export const SYNC_PROTOCOL = '/starweave/chain-sync/1';
export const TRANSFER_PROTOCOL = '/starweave/transfer/1';

/** one gossip message: a writer's small batch */
export const MAX_GOSSIP_BLOCKS = 64;
export const MAX_GOSSIP_BYTES = 64 * 1024;
/** one sync answer */
export const MAX_SYNC_BLOCKS = 2048;
export const MAX_STREAM_BYTES = 2 * 1024 * 1024;
export const MAX_SYNC_HEADS = 4096;

export type FraudKind = 'double-block' | 'double-agreement';

export const MAX_PROOFS = 256;

export interface ProofBytes {
  kind: FraudKind;
  a: Uint8Array;
  b: Uint8Array;
}

export type ChainMessage =
  | { t: 'blocks'; blocks: Uint8Array[]; more: boolean; proofs: ProofBytes[] }
  | { t: 'fraud'; kind: FraudKind; a: Uint8Array; b: Uint8Array }
  | { t: 'sync'; heads: Array<[Uint8Array, number]> };

export function encodeChainMessage(m: ChainMessage): Uint8Array {
  switch (m.t) {
    case 'blocks':
      return encodeCanonical({ t: 'blocks', blocks: m.blocks, more: m.more, proofs: m.proofs.map((p) => ({ kind: p.kind, a: p.a, b: p.b })) });
    case 'fraud':
      return encodeCanonical({ t: 'fraud', kind: m.kind, a: m.a, b: m.b });
    case 'sync':
      return encodeCanonical({ t: 'sync', heads: m.heads.map(([pk, seq]) => [pk, seq]) });
  }
}

export type DecodedMessage = { ok: true; value: ChainMessage } | { ok: false; reason: string };

const isBlockBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.length > 0 && v.length <= MAX_HALF_BLOCK_BYTES;

/** `limits`: gossip messages are small; stream answers may be larger. */
export function decodeChainMessage(bytes: Uint8Array, limits: { maxBytes: number; maxBlocks: number }): DecodedMessage {
  if (bytes.length > limits.maxBytes) return { ok: false, reason: `chain message too large (${bytes.length} bytes, limit ${limits.maxBytes})` };
  let v: CborValue;
  try {
    // the envelope is neither hashed nor signed, so strict decoding is enough; each block
    // inside proves its own canonical form
    v = decodeStrict(bytes);
  } catch (err) {
    return { ok: false, reason: `chain message is not valid CBOR: ${(err as Error).message}` };
  }
  if (!isRecord(v)) return { ok: false, reason: 'chain message must be a map' };
  if (v.t === 'blocks') {
    const { blocks, more, proofs } = v;
    if (Object.keys(v).length !== 4 || !Array.isArray(blocks) || typeof more !== 'boolean' || !Array.isArray(proofs)) {
      return { ok: false, reason: 'blocks message must be { t, blocks, more, proofs }' };
    }
    if (blocks.length > limits.maxBlocks) return { ok: false, reason: `too many blocks in one message (${blocks.length}, limit ${limits.maxBlocks})` };
    if (!blocks.every(isBlockBytes)) return { ok: false, reason: `each block must be 1–${MAX_HALF_BLOCK_BYTES} bytes` };
    if (proofs.length > MAX_PROOFS) return { ok: false, reason: `too many proofs in one message (limit ${MAX_PROOFS})` };
    const decodedProofs: ProofBytes[] = [];
    for (const p of proofs) {
      const proof = proofShape(p);
      if (!proof) return { ok: false, reason: 'each proof must be { kind, a, b }' };
      decodedProofs.push(proof);
    }
    return { ok: true, value: { t: 'blocks', blocks: blocks as Uint8Array[], more, proofs: decodedProofs } };
  }
  if (v.t === 'fraud') {
    const { t: _t, ...rest } = v;
    const proof = proofShape(rest);
    if (!proof) return { ok: false, reason: 'fraud message must be { t, kind, a, b }' };
    return { ok: true, value: { t: 'fraud', ...proof } };
  }
  if (v.t === 'sync') {
    const { heads } = v;
    if (Object.keys(v).length !== 2 || !Array.isArray(heads) || heads.length > MAX_SYNC_HEADS) return { ok: false, reason: `sync request must be { t, heads } with at most ${MAX_SYNC_HEADS} heads` };
    const out: Array<[Uint8Array, number]> = [];
    for (const h of heads) {
      if (!Array.isArray(h) || h.length !== 2) return { ok: false, reason: 'each head must be [pk, seq]' };
      const [pk, seq] = h;
      if (!(pk instanceof Uint8Array) || pk.length !== PUBLIC_KEY_BYTES || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
        return { ok: false, reason: 'each head must be [32-byte key, seq ≥ 0]' };
      }
      out.push([pk, seq]);
    }
    return { ok: true, value: { t: 'sync', heads: out } };
  }
  return { ok: false, reason: `unknown chain message type ${String(v.t)}` };
}

function proofShape(v: unknown): ProofBytes | undefined {
  if (!isRecord(v) || Object.keys(v).length !== 3) return undefined;
  const { kind, a, b } = v;
  if ((kind !== 'double-block' && kind !== 'double-agreement') || !isBlockBytes(a) || !isBlockBytes(b)) return undefined;
  return { kind, a, b };
}

export const GOSSIP_LIMITS = { maxBytes: MAX_GOSSIP_BYTES, maxBlocks: MAX_GOSSIP_BLOCKS };
export const STREAM_LIMITS = { maxBytes: MAX_STREAM_BYTES, maxBlocks: MAX_SYNC_BLOCKS };

/** what a 'blocks' message adds around its blocks: the map and each block's byte-string header */
const MESSAGE_OVERHEAD_BYTES = 32;
const BLOCK_OVERHEAD_BYTES = 3;

/**
 * Blocks to gossip, in order, packed into as few 'blocks' messages as GOSSIP_LIMITS allow:
 * a burst of this account's blocks costs every Star one gossip message, one signature check
 * by gossipsub and one trip to its worker instead of one per block.
 */
export function gossipBlockMessages(blocks: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let batch: Uint8Array[] = [];
  let bytes = MESSAGE_OVERHEAD_BYTES;
  const flush = () => {
    if (batch.length > 0) out.push(encodeChainMessage({ t: 'blocks', blocks: batch, more: false, proofs: [] }));
    batch = [];
    bytes = MESSAGE_OVERHEAD_BYTES;
  };
  for (const b of blocks) {
    if (batch.length === MAX_GOSSIP_BLOCKS || bytes + b.length + BLOCK_OVERHEAD_BYTES > MAX_GOSSIP_BYTES) flush();
    batch.push(b);
    bytes += b.length + BLOCK_OVERHEAD_BYTES;
  }
  flush();
  return out;
}
