/**
 * Reads a half-block from its canonical bytes without a general CBOR decoder: the
 * ingestion hot path (thousands of blocks a second per tab). A half-block has exactly
 * one valid encoding, so the reader expects every byte of the fixed layout in RFC 8949
 * order — v, pk, seq, sig, kind, prev, time, linkPk, linkSeq, payload{memo, amount} —
 * with minimal lengths, and refuses anything else. That proves the canonical form, and
 * the signing bytes fall out as the same bytes without the `sig` entry: no re-encoding.
 * Unit tests hold it to the cborg encoder on vectors, random blocks and mutations.
 */
import type { Decoded, HalfBlock } from './half-block.ts';

export type ReadResult = Decoded<{ block: HalfBlock; signing: Uint8Array }>;

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** a text-string key as CBOR bytes: header (major 3) and the characters */
const key = (name: string) => Uint8Array.from([0x60 + name.length, ...utf8.encode(name)]);
const K = {
  v: key('v'),
  pk: key('pk'),
  seq: key('seq'),
  sig: key('sig'),
  kind: key('kind'),
  prev: key('prev'),
  time: key('time'),
  linkPk: key('linkPk'),
  linkSeq: key('linkSeq'),
  payload: key('payload'),
  memo: key('memo'),
  amount: key('amount'),
};
const KIND_TRANSFER = Uint8Array.from([0x68, ...utf8.encode('transfer')]);

class Malformed extends Error {}

class Reader {
  pos = 0;
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  expect(expected: Uint8Array, what: string): void {
    const b = this.bytes;
    if (this.pos + expected.length > b.length) throw new Malformed(`ends before ${what}`);
    for (let i = 0; i < expected.length; i++) if (b[this.pos + i] !== expected[i]) throw new Malformed(`expected ${what} at byte ${this.pos}`);
    this.pos += expected.length;
  }

  byte(value: number, what: string): void {
    if (this.bytes[this.pos] !== value) throw new Malformed(`expected ${what} at byte ${this.pos}`);
    this.pos++;
  }

  /** an argument of `major` (0 uint, 2 bytes, 3 text) in its shortest form */
  argument(major: number, what: string): number {
    const b = this.bytes;
    const first = b[this.pos++];
    if (first === undefined || first >> 5 !== major) throw new Malformed(`expected ${what} at byte ${this.pos - 1}`);
    const info = first & 0x1f;
    if (info < 24) return info;
    const width = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (width === 0 || this.pos + width > b.length) throw new Malformed(`bad length of ${what}`);
    let n = 0;
    for (let i = 0; i < width; i++) n = n * 256 + b[this.pos + i]!;
    this.pos += width;
    const min = width === 1 ? 24 : width === 2 ? 0x100 : width === 4 ? 0x10000 : 0x100000000;
    if (n < min) throw new Malformed(`${what} is not in its shortest form`);
    if (!Number.isSafeInteger(n)) throw new Malformed(`${what} is too large`);
    return n;
  }

  uint(what: string): number {
    return this.argument(0, what);
  }

  fixedBytes(n: number, what: string): Uint8Array {
    if (this.argument(2, what) !== n) throw new Malformed(`${what} must be ${n} bytes`);
    return this.take(n, what);
  }

  text(what: string, maxBytes: number): string {
    const n = this.argument(3, what);
    if (n > maxBytes) throw new Malformed(`${what} is too long`);
    try {
      return strictUtf8.decode(this.take(n, what));
    } catch {
      throw new Malformed(`${what} is not valid UTF-8`);
    }
  }

  take(n: number, what: string): Uint8Array {
    if (this.pos + n > this.bytes.length) throw new Malformed(`ends inside ${what}`);
    // a plain copy (not a view, not a Buffer subclass): blocks outlive the message they came in
    const out = new Uint8Array(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }
}

export function readHalfBlock(bytes: Uint8Array, maxMemoBytes: number): ReadResult {
  const r = new Reader(bytes);
  try {
    r.byte(0xaa, 'a map of 10 fields');
    r.expect(K.v, '"v"');
    r.byte(0x01, 'version 1');
    r.expect(K.pk, '"pk"');
    const pk = r.fixedBytes(32, 'pk');
    r.expect(K.seq, '"seq"');
    const seq = r.uint('seq');
    const sigStart = r.pos;
    r.expect(K.sig, '"sig"');
    const sig = r.fixedBytes(64, 'sig');
    const sigEnd = r.pos;
    r.expect(K.kind, '"kind"');
    r.expect(KIND_TRANSFER, 'kind "transfer"');
    r.expect(K.prev, '"prev"');
    const prev = r.fixedBytes(32, 'prev');
    r.expect(K.time, '"time"');
    const time = r.uint('time');
    r.expect(K.linkPk, '"linkPk"');
    const linkPk = r.fixedBytes(32, 'linkPk');
    r.expect(K.linkSeq, '"linkSeq"');
    const linkSeq = r.uint('linkSeq');
    r.expect(K.payload, '"payload"');
    r.byte(0xa2, 'a payload map of 2 fields');
    r.expect(K.memo, '"memo"');
    const memo = r.text('memo', maxMemoBytes);
    r.expect(K.amount, '"amount"');
    const amount = r.uint('amount');
    if (r.pos !== bytes.length) throw new Malformed('trailing bytes after the half-block');
    if (seq < 1) throw new Malformed('seq must be a whole number ≥ 1');
    const signing = new Uint8Array(bytes.length - (sigEnd - sigStart));
    signing[0] = 0xa9; // the same map without "sig"
    signing.set(bytes.subarray(1, sigStart), 1);
    signing.set(bytes.subarray(sigEnd), sigStart);
    return { ok: true, value: { block: { pk, seq, prev, linkPk, linkSeq, kind: 'transfer', payload: { amount, memo }, time, sig }, signing } };
  } catch (err) {
    if (err instanceof Malformed) return { ok: false, reason: `not a canonical half-block: ${err.message}` };
    throw err;
  }
}
