/**
 * Shape checks for decoders of untrusted finality messages. A decoder parses inside
 * `decodeWith`, which enforces the size limit first, requires canonical CBOR, and turns
 * every failure (ours or the CBOR library's) into `{ ok: false, reason }`: no decoder
 * throws on bad input, whatever the bytes.
 */
import { decodeCanonical, isRecord, type CborValue } from '../codec/cbor.ts';
import type { Decoded } from '../chain/half-block.ts';
import { quorumSize } from '../consensus/types.ts';

export const FORMAT_VERSION = 1;
/** most seats (facilitators or Galaxies) a signature list may name */
export const MAX_SEATS = 256;

export class ShapeError extends Error {}

export function malformed(reason: string): never {
  throw new ShapeError(reason);
}

export function decodeWith<T>(bytes: Uint8Array, maxBytes: number, what: string, parse: (value: CborValue) => T): Decoded<T> {
  if (!(bytes instanceof Uint8Array)) return { ok: false, reason: `${what}: not bytes` };
  if (bytes.length > maxBytes) return { ok: false, reason: `${what} too large (${bytes.length} bytes)` };
  try {
    return { ok: true, value: parse(decodeCanonical(bytes)) };
  } catch (err) {
    return { ok: false, reason: `${what}: ${(err as Error).message}` };
  }
}

/** A map with exactly these keys (no more, no fewer). */
export function record(value: unknown, keys: readonly string[], what: string): Record<string, CborValue> {
  if (!isRecord(value)) malformed(`${what} is not a map`);
  const present = Object.keys(value);
  if (present.length !== keys.length) malformed(`${what} has keys ${present.join(',')}, expected ${keys.join(',')}`);
  for (const k of keys) if (!Object.hasOwn(value, k)) malformed(`${what} lacks "${k}"`);
  return value as Record<string, CborValue>;
}

export function version(r: Record<string, CborValue>, what: string): void {
  if (r.v !== FORMAT_VERSION) malformed(`${what}: unsupported version ${String(r.v)}`);
}

export function fixedBytes(value: unknown, length: number, what: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) malformed(`${what} must be ${length} bytes`);
  return value;
}

export function byteString(value: unknown, min: number, max: number, what: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length < min || value.length > max) malformed(`${what} must be ${min}..${max} bytes`);
  return value;
}

export function int(value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) malformed(`${what} must be a whole number in ${min}..${max}`);
  return value;
}

export function bool(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') malformed(`${what} must be a boolean`);
  return value;
}

export function text(value: unknown, min: number, max: number, what: string): string {
  if (typeof value !== 'string' || value.length < min || value.length > max) malformed(`${what} must be text of ${min}..${max} characters`);
  return value;
}

export function list(value: unknown, max: number, what: string): CborValue[] {
  if (!Array.isArray(value)) malformed(`${what} is not a list`);
  if (value.length > max) malformed(`${what} has ${value.length} items (at most ${max})`);
  return value;
}

const utf8 = new TextEncoder();

/** utf8(tag) ‖ data: signatures of one kind can never be replayed as another. */
export function domain(tag: string, data: Uint8Array): Uint8Array {
  const prefix = utf8.encode(tag);
  const out = new Uint8Array(prefix.length + data.length);
  out.set(prefix, 0);
  out.set(data, prefix.length);
  return out;
}

export interface SeatSig {
  signer: number;
  sig: Uint8Array;
}

export function encodeSigs(sigs: readonly SeatSig[]): CborValue {
  return sigs.map((s) => ({ signer: s.signer, sig: s.sig }));
}

/** Seat signatures: bounded, 64-byte signatures, each seat at most once. */
export function parseSigs(value: unknown, what: string): SeatSig[] {
  const seen = new Set<number>();
  return list(value, MAX_SEATS, what).map((item, i) => {
    const r = record(item, ['sig', 'signer'], `${what}[${i}]`);
    const signer = int(r.signer, 0, MAX_SEATS - 1, `${what}[${i}].signer`);
    if (seen.has(signer)) malformed(`${what} names seat ${signer} twice`);
    seen.add(signer);
    return { signer, sig: fixedBytes(r.sig, 64, `${what}[${i}].sig`) };
  });
}

/**
 * Quorum over seat signatures: the items to verify are the signatures whose seat exists
 * (in order); `verdicts` are aligned with those items. Distinct seats are counted.
 */
export function seatVerifyItems(sigs: readonly SeatSig[], seats: readonly Uint8Array[], message: Uint8Array) {
  return sigs.filter((s) => inSeats(s.signer, seats)).map((s) => ({ pk: seats[s.signer]!, message, sig: s.sig }));
}

export function countValidSeats(sigs: readonly SeatSig[], seats: readonly Uint8Array[], verdicts: readonly boolean[]): number {
  const valid = new Set<number>();
  let k = 0;
  for (const s of sigs) {
    if (!inSeats(s.signer, seats)) continue;
    if (verdicts[k++] === true) valid.add(s.signer);
  }
  return valid.size;
}

/** ≥ quorumSize(seats) distinct seats with valid signatures: what certifies a checkpoint or a Blackhole block. */
export function hasSeatQuorum(sigs: readonly SeatSig[], seats: readonly Uint8Array[], verdicts: readonly boolean[]): boolean {
  return countValidSeats(sigs, seats, verdicts) >= quorumSize(seats.length);
}

function inSeats(signer: number, seats: readonly Uint8Array[]): boolean {
  return Number.isInteger(signer) && signer >= 0 && signer < seats.length;
}
