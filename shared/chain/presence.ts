/**
 * Presence records ("coordinates" in the IM design): an account says, under its own
 * signature, which libp2p peer runs it now and how to reach it, for a limited time.
 * Anyone can check a record; nobody can claim someone else's account.
 *
 *   { v, pk, peerId, addrs, cluster, time, ttl, sig }   sig over the record without sig
 */
import { decodeCanonical, encodeCanonical, isRecord, type CborValue } from '../codec/cbor.ts';
import { toHex as hex } from '../codec/hex.ts';
import { PUBLIC_KEY_BYTES } from './address.ts';

export const PRESENCE_VERSION = 1;
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
  time: number;
  ttl: number;
}

export interface Presence extends UnsignedPresence {
  sig: Uint8Array;
}

function body(p: UnsignedPresence): { [key: string]: CborValue } {
  return { v: PRESENCE_VERSION, pk: p.pk, peerId: p.peerId, addrs: p.addrs, cluster: p.cluster, time: p.time, ttl: p.ttl };
}

export function presenceSigningBytes(p: UnsignedPresence): Uint8Array {
  return encodeCanonical(body(p));
}

export function encodePresence(p: Presence): Uint8Array {
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
  if (!isRecord(v) || Object.keys(v).length !== 8 || v.v !== PRESENCE_VERSION) return { ok: false, reason: 'presence must be a version-1 map of 8 fields' };
  const { pk, peerId, addrs, cluster, time, ttl, sig } = v;
  if (!(pk instanceof Uint8Array) || pk.length !== PUBLIC_KEY_BYTES) return { ok: false, reason: 'pk must be 32 bytes' };
  if (!(sig instanceof Uint8Array) || sig.length !== 64) return { ok: false, reason: 'sig must be 64 bytes' };
  if (typeof peerId !== 'string' || peerId.length < 10 || peerId.length > 128) return { ok: false, reason: 'peerId must be a peer id string' };
  if (!Array.isArray(addrs) || addrs.length > MAX_PRESENCE_ADDRS || !addrs.every((a) => typeof a === 'string' && a.length <= 512)) {
    return { ok: false, reason: `addrs must be at most ${MAX_PRESENCE_ADDRS} multiaddr strings` };
  }
  if (!isCount(cluster) || !isCount(time) || !isCount(ttl) || ttl === 0 || ttl > MAX_PRESENCE_TTL_MS) return { ok: false, reason: 'cluster, time and ttl must be whole numbers (ttl ≤ 10 min)' };
  if (time > now + PRESENCE_SKEW_MS) return { ok: false, reason: 'presence is dated in the future' };
  if (time + ttl < now) return { ok: false, reason: 'presence has expired' };
  return { ok: true, value: { pk, peerId, addrs: addrs as string[], cluster, time, ttl, sig } };
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

  /** account (hex pk) of each peer id with a live record */
  accountsByPeer(now: number): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const p of this.byAccount.values()) if (p.time + p.ttl >= now) out.set(p.peerId, p.pk);
    return out;
  }
}


