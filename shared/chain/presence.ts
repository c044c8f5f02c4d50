/**
 * Presence records ("coordinates" in the IM design): an account says, under its own
 * signature, which libp2p peer runs it now and how to reach it, for a limited time.
 * Anyone can check a record; nobody can claim someone else's account.
 *
 *   { v: 2, pk, peerId, addrs, cluster, capacity, readerKey, time, ttl, sig }   sig over the record without sig
 *
 * Version 2 adds what the storage shards need from presence (DESIGN.md, "Storage shards"):
 * - `capacity`: the storage units this Star offers (1…MAX_PRESENCE_CAPACITY; 1 = the default
 *   Star), which sets its share of the ring's virtual nodes;
 * - `readerKey`: the account's X25519 public key (32 bytes), what others seal private values
 *   and inbox messages for; null when the sender has none (a Node peer, a browser without
 *   WebCrypto X25519): such an account can be written to only in the clear.
 * A writer may leave both out (capacity 1, no reader key); the encoding always carries them,
 * so each record still has exactly one encoding. Version-1 records are refused.
 */
import { decodeCanonical, encodeCanonical, isRecord, type CborValue } from '../codec/cbor.ts';
import { toHex as hex } from '../codec/hex.ts';
import { PUBLIC_KEY_BYTES } from './address.ts';

export const PRESENCE_VERSION = 2;
const PRESENCE_FIELDS = 10;
/** a Star declares at most this many storage units */
export const MAX_PRESENCE_CAPACITY = 64;
export const READER_KEY_BYTES = 32;
export const MAX_PRESENCE_BYTES = 2048;
export const MAX_PRESENCE_ADDRS = 8;
export const MAX_PRESENCE_TTL_MS = 10 * 60_000;
/** how far a record's clock may run ahead of ours */
export const PRESENCE_SKEW_MS = 60_000;

export interface UnsignedPresence {
  pk: Uint8Array;
  peerId: string;
  addrs: string[];
  cluster: number;
  /** storage units offered; default 1 */
  capacity?: number;
  /** the account's X25519 public key for sealed values; default none (null) */
  readerKey?: Uint8Array | null;
  time: number;
  ttl: number;
}

/** a decoded record: the defaults filled in */
export interface Presence extends UnsignedPresence {
  capacity: number;
  readerKey: Uint8Array | null;
  sig: Uint8Array;
}

function body(p: UnsignedPresence): { [key: string]: CborValue } {
  return {
    v: PRESENCE_VERSION,
    pk: p.pk,
    peerId: p.peerId,
    addrs: p.addrs,
    cluster: p.cluster,
    capacity: p.capacity ?? 1,
    readerKey: p.readerKey ?? null,
    time: p.time,
    ttl: p.ttl,
  };
}

export function presenceSigningBytes(p: UnsignedPresence): Uint8Array {
  return encodeCanonical(body(p));
}

export function encodePresence(p: UnsignedPresence & { sig: Uint8Array }): Uint8Array {
  return encodeCanonical({ ...body(p), sig: p.sig });
}

export type DecodedPresence = { ok: true; value: Presence } | { ok: false; reason: string };

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Shape and freshness; the signature is checked by the caller (batched, in the worker). */
export function decodePresence(bytes: Uint8Array, now: number): DecodedPresence {
  if (bytes.length > MAX_PRESENCE_BYTES) return { ok: false, reason: `presence record too large (${bytes.length} bytes)` };
  let v: CborValue;
  try {
    v = decodeCanonical(bytes);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  if (!isRecord(v) || Object.keys(v).length !== PRESENCE_FIELDS || v.v !== PRESENCE_VERSION) {
    return { ok: false, reason: `presence must be a version-${PRESENCE_VERSION} map of ${PRESENCE_FIELDS} fields` };
  }
  const { pk, peerId, addrs, cluster, capacity, readerKey, time, ttl, sig } = v;
  if (!(pk instanceof Uint8Array) || pk.length !== PUBLIC_KEY_BYTES) return { ok: false, reason: 'pk must be 32 bytes' };
  if (!(sig instanceof Uint8Array) || sig.length !== 64) return { ok: false, reason: 'sig must be 64 bytes' };
  if (typeof peerId !== 'string' || peerId.length < 10 || peerId.length > 128) return { ok: false, reason: 'peerId must be a peer id string' };
  if (!Array.isArray(addrs) || addrs.length > MAX_PRESENCE_ADDRS || !addrs.every((a) => typeof a === 'string' && a.length <= 512)) {
    return { ok: false, reason: `addrs must be at most ${MAX_PRESENCE_ADDRS} multiaddr strings` };
  }
  if (!isCount(capacity) || capacity < 1 || capacity > MAX_PRESENCE_CAPACITY) return { ok: false, reason: `capacity must be a whole number of storage units from 1 to ${MAX_PRESENCE_CAPACITY}` };
  if (readerKey !== null && (!(readerKey instanceof Uint8Array) || readerKey.length !== READER_KEY_BYTES)) return { ok: false, reason: `readerKey must be a ${READER_KEY_BYTES}-byte X25519 public key or null` };
  if (!isCount(cluster) || !isCount(time) || !isCount(ttl) || ttl === 0 || ttl > MAX_PRESENCE_TTL_MS) return { ok: false, reason: 'cluster, time and ttl must be whole numbers (ttl ≤ 10 min)' };
  if (time > now + PRESENCE_SKEW_MS) return { ok: false, reason: 'presence is dated in the future' };
  if (time + ttl < now) return { ok: false, reason: 'presence has expired' };
  return { ok: true, value: { pk, peerId, addrs: addrs as string[], cluster, capacity, readerKey: readerKey as Uint8Array | null, time, ttl, sig } };
}

/** Who is online: the newest valid record per account, until it expires. */
export class PresenceTable {
  private readonly byAccount = new Map<string, Presence>();

  /** true when the record is newer than what we had (worth acting on and forwarding) */
  offer(p: Presence): boolean {
    const id = hex(p.pk);
    const known = this.byAccount.get(id);
    if (known && known.time >= p.time) return false;
    this.byAccount.set(id, p);
    return true;
  }

  get(pk: Uint8Array, now: number): Presence | undefined {
    const p = this.byAccount.get(hex(pk));
    if (!p) return undefined;
    if (p.time + p.ttl < now) {
      this.byAccount.delete(hex(pk));
      return undefined;
    }
    return p;
  }

  /** every live record (the accounts online now), dropping expired ones */
  live(now: number): Presence[] {
    const out: Presence[] = [];
    for (const [id, p] of this.byAccount) {
      if (p.time + p.ttl < now) this.byAccount.delete(id);
      else out.push(p);
    }
    return out;
  }

  /** account (hex pk) of each peer id with a live record */
  accountsByPeer(now: number): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const p of this.byAccount.values()) if (p.time + p.ttl >= now) out.set(p.peerId, p.pk);
    return out;
  }
}


