/**
 * The storage shards' stream protocol between Stars, `/starweave/store/1` (DESIGN.md,
 * "Storage shards"): length-prefixed messages on one long-lived stream per pair of Stars
 * (web/star/storage-link.ts), requests and responses in both directions. Every request
 * carries a numeric request id chosen by its sender; the response echoes it.
 *
 *   put      records to store (a client write, an anti-entropy push, a re-replication
 *            transfer); `hint` names the intended member when this is a sloppy-quorum
 *            stand-in (hinted handoff)                                   → put-ack
 *   get      one key                                                      → records (every sibling version held)
 *   fetch    keyIds (anti-entropy pull)                                   → records
 *   sync-tree  a ring range (from === to: the whole ring), the tree depth, one level and the requester's node hashes
 *            there                                                       → sync-nodes (indices whose hashes differ)
 *                                                                          or, at the leaf level, sync-entries
 *                                                                          (the responder's entries of the differing buckets)
 *   handoff  hinted records delivered back to their intended member         → put-ack
 *   inbox    inbox records delivered to their owner when it is online      → put-ack
 *   list     an owner's key names under a prefix                           → names
 *   audit    a proof-of-possession challenge (key, version digest, segment) → audit-answer
 *            (audit.ts encodeAuditAnswer inside a byte string, or null: not held)
 *   any request may instead get `refused` (the responder is over its limits: not a fault)
 *
 * Encoding: canonical CBOR (shared/codec/cbor.ts), `v: 1`, maps with exactly their fields.
 * Records travel as their own canonical encoding (record.ts encodeRecord) inside a byte
 * string and are decoded with decodeRecord (shape, limits, segment root, namespace rule; the
 * receiver's adapter verifies the signatures, batched, before the core sees them).
 * Owners and members are 32-byte keys on the wire and lower-case hex in memory.
 *
 * Every decoder checks size first (MAX_STORE_MESSAGE_BYTES), then shape and every bound
 * (records, keys, nodes per message) and returns `{ ok: false, reason }`; none throws.
 */
import { encodeCanonical, type CborValue } from '../codec/cbor.ts';
import { fromHex, toHex } from '../codec/hex.ts';
import { bool, byteString, decodeWith, fixedBytes, FORMAT_VERSION, int, list, malformed, record, text, version } from '../finality/shape.ts';
import { decodeAuditAnswer, encodeAuditAnswer, MAX_AUDIT_ANSWER_BYTES, MAX_SEGMENTS, type AuditAnswer } from './audit.ts';
import { MAX_SYNC_DEPTH, type RingRange, type SyncEntry } from './merkle-sync.ts';
import { decodeRecord, encodeRecord, MAX_NAME_BYTES, MAX_RECORD_BYTES } from './record.ts';
import type { MemberId, SignedRecord } from './types.ts';

export const STORE_PROTOCOL = '/starweave/store/1';

/** no store message is larger than this (a response is cut into several below it) */
export const MAX_STORE_MESSAGE_BYTES = 1024 * 1024;
/** records a sender packs into one message by their encoded size: leaves room under the limit */
export const RECORD_BUDGET_BYTES = MAX_STORE_MESSAGE_BYTES - 2 * MAX_RECORD_BYTES;
export const MAX_RECORDS_PER_MESSAGE = 256;
/** key ids, names or sync entries per message */
export const MAX_KEYS_PER_MESSAGE = 1024;
/** node indices (and hashes) per sync-tree request or sync-nodes response */
export const MAX_SYNC_NODES = 1024;
export const MAX_REASON_CHARS = 200;
/** ring positions are 48-bit: [0, RING_SIZE) */
export const RING_SIZE = 2 ** 48;

const KEY_BYTES = 32;
const HASH_BYTES = 32;
const MAX_KEY_ID_CHARS = 2 * KEY_BYTES + 1 + MAX_NAME_BYTES;
const MAX_REQUEST_ID = Number.MAX_SAFE_INTEGER;

export type StoreRequest =
  | { t: 'put'; id: number; records: SignedRecord[]; hint: MemberId | null }
  | { t: 'get'; id: number; owner: MemberId; name: string }
  | { t: 'fetch'; id: number; keyIds: string[] }
  | { t: 'sync-tree'; id: number; range: RingRange; depth: number; level: number; indices: number[]; hashes: Uint8Array[] }
  | { t: 'handoff'; id: number; records: SignedRecord[] }
  | { t: 'inbox'; id: number; records: SignedRecord[] }
  | { t: 'list'; id: number; owner: MemberId; prefix: string }
  | { t: 'audit'; id: number; owner: MemberId; name: string; digest: string; segment: number };

export type StoreResponse =
  /** ok: stored (or already superseded here); else why not (nothing of this message was stored) */
  | { t: 'put-ack'; id: number; ok: boolean; reason: string }
  /** `more`: the responder has more than fitted in this message */
  | { t: 'records'; id: number; records: SignedRecord[]; more: boolean }
  | { t: 'sync-nodes'; id: number; level: number; differing: number[] }
  | { t: 'sync-entries'; id: number; buckets: Array<{ index: number; entries: SyncEntry[] }>; more: boolean }
  | { t: 'names'; id: number; names: string[]; more: boolean }
  | { t: 'audit-answer'; id: number; answer: AuditAnswer | null }
  | { t: 'refused'; id: number; reason: string };

export type StoreMessage = StoreRequest | StoreResponse;

export type DecodedStoreMessage = { ok: true; value: StoreMessage } | { ok: false; reason: string };

const REQUESTS = new Set(['put', 'get', 'fetch', 'sync-tree', 'handoff', 'inbox', 'list', 'audit']);

export function isRequest(m: StoreMessage): m is StoreRequest {
  return REQUESTS.has(m.t);
}

/** the response a request expects (besides `refused`) */
export function expectedResponse(t: StoreRequest['t']): StoreResponse['t'][] {
  switch (t) {
    case 'put':
    case 'handoff':
    case 'inbox':
      return ['put-ack'];
    case 'get':
    case 'fetch':
      return ['records'];
    case 'sync-tree':
      return ['sync-nodes', 'sync-entries'];
    case 'list':
      return ['names'];
    case 'audit':
      return ['audit-answer'];
  }
}

// — encoding —

function member(id: MemberId): Uint8Array {
  const bytes = fromHex(id);
  if (bytes === null || bytes.length !== KEY_BYTES) throw new RangeError(`member id must be ${KEY_BYTES} bytes of hex`);
  return bytes;
}

function recordsToCbor(records: readonly SignedRecord[]): CborValue {
  return records.map(encodeRecord);
}

function body(m: StoreMessage): { [key: string]: CborValue } {
  switch (m.t) {
    case 'put':
      return { t: m.t, id: m.id, records: recordsToCbor(m.records), hint: m.hint === null ? null : member(m.hint) };
    case 'get':
      return { t: m.t, id: m.id, owner: member(m.owner), name: m.name };
    case 'fetch':
      return { t: m.t, id: m.id, keyIds: m.keyIds };
    case 'sync-tree':
      return { t: m.t, id: m.id, from: m.range.from, to: m.range.to, depth: m.depth, level: m.level, indices: m.indices, hashes: m.hashes };
    case 'handoff':
    case 'inbox':
      return { t: m.t, id: m.id, records: recordsToCbor(m.records) };
    case 'list':
      return { t: m.t, id: m.id, owner: member(m.owner), prefix: m.prefix };
    case 'audit':
      return { t: m.t, id: m.id, owner: member(m.owner), name: m.name, digest: hashBytes(m.digest), segment: m.segment };
    case 'put-ack':
      return { t: m.t, id: m.id, ok: m.ok, reason: m.reason.slice(0, MAX_REASON_CHARS) };
    case 'records':
      return { t: m.t, id: m.id, records: recordsToCbor(m.records), more: m.more };
    case 'sync-nodes':
      return { t: m.t, id: m.id, level: m.level, differing: m.differing };
    case 'sync-entries':
      return {
        t: m.t,
        id: m.id,
        buckets: m.buckets.map((b) => ({ index: b.index, entries: b.entries.map((e) => ({ key: e.keyId, pos: e.position, versions: hashBytes(e.versions) })) })),
        more: m.more,
      };
    case 'names':
      return { t: m.t, id: m.id, names: m.names, more: m.more };
    case 'audit-answer':
      return { t: m.t, id: m.id, answer: m.answer === null ? null : encodeAuditAnswer(m.answer) };
    case 'refused':
      return { t: m.t, id: m.id, reason: m.reason.slice(0, MAX_REASON_CHARS) };
  }
}

function hashBytes(hex: string): Uint8Array {
  const bytes = fromHex(hex);
  if (bytes === null || bytes.length !== HASH_BYTES) throw new RangeError(`digest must be ${HASH_BYTES} bytes of hex`);
  return bytes;
}

/**
 * Canonical bytes of a message. Throws RangeError on a message this side should never have
 * built (over a limit, a bad member id): the core cuts batches to fit before it sends.
 */
export function encodeStoreMessage(m: StoreMessage): Uint8Array {
  const bytes = encodeCanonical({ v: FORMAT_VERSION, ...body(m) });
  if (bytes.length > MAX_STORE_MESSAGE_BYTES) throw new RangeError(`store message too large (${bytes.length} bytes)`);
  return bytes;
}

// — decoding —

function requestId(value: unknown): number {
  return int(value, 0, MAX_REQUEST_ID, 'id');
}

function memberOf(value: unknown, what: string): MemberId {
  return toHex(fixedBytes(value, KEY_BYTES, what));
}

function hexHash(value: unknown, what: string): string {
  return toHex(fixedBytes(value, HASH_BYTES, what));
}

const utf8 = new TextEncoder();

function nameText(value: unknown, min: number, what: string): string {
  const s = text(value, min, MAX_NAME_BYTES, what);
  if (utf8.encode(s).length > MAX_NAME_BYTES) malformed(`${what} is longer than ${MAX_NAME_BYTES} bytes`);
  return s;
}

const KEY_ID = /^[0-9a-f]{64}\//;

/** `<owner hex>/<name>` as types.ts keyIdOf writes it */
export function isKeyId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > MAX_KEY_ID_CHARS || !KEY_ID.test(value)) return false;
  const name = value.slice(2 * KEY_BYTES + 1);
  return name.length > 0 && utf8.encode(name).length <= MAX_NAME_BYTES;
}

function keyId(value: unknown, what: string): string {
  if (!isKeyId(value)) malformed(`${what} is not a key id (owner hex "/" name)`);
  return value;
}

function records(value: unknown, what: string): SignedRecord[] {
  return list(value, MAX_RECORDS_PER_MESSAGE, what).map((item, i) => {
    const bytes = byteString(item, 1, MAX_RECORD_BYTES, `${what}[${i}]`);
    const d = decodeRecord(bytes);
    if (!d.ok) malformed(`${what}[${i}]: ${d.reason}`);
    return d.value;
  });
}

/** strictly increasing indices, each below `bound` */
function indices(value: unknown, bound: number, what: string): number[] {
  const out = list(value, MAX_SYNC_NODES, what).map((v, i) => int(v, 0, bound - 1, `${what}[${i}]`));
  for (let i = 1; i < out.length; i++) if (out[i]! <= out[i - 1]!) malformed(`${what} must be strictly increasing`);
  return out;
}

function position(value: unknown, what: string): number {
  return int(value, 0, RING_SIZE - 1, what);
}

function parse(value: CborValue): StoreMessage {
  const t = (value as { t?: unknown } | null)?.t;
  if (typeof t !== 'string') malformed('store message has no type');
  switch (t) {
    case 'put': {
      const r = record(value, ['hint', 'id', 'records', 't', 'v'], t);
      version(r, t);
      const recs = records(r.records, 'records');
      if (recs.length === 0) malformed('put carries no records');
      return { t, id: requestId(r.id), records: recs, hint: r.hint === null ? null : memberOf(r.hint, 'hint') };
    }
    case 'get': {
      const r = record(value, ['id', 'name', 'owner', 't', 'v'], t);
      version(r, t);
      return { t, id: requestId(r.id), owner: memberOf(r.owner, 'owner'), name: nameText(r.name, 1, 'name') };
    }
    case 'fetch': {
      const r = record(value, ['id', 'keyIds', 't', 'v'], t);
      version(r, t);
      const ids = list(r.keyIds, MAX_KEYS_PER_MESSAGE, 'keyIds').map((k, i) => keyId(k, `keyIds[${i}]`));
      if (ids.length === 0) malformed('fetch names no keys');
      if (new Set(ids).size !== ids.length) malformed('fetch names a key twice');
      return { t, id: requestId(r.id), keyIds: ids };
    }
    case 'sync-tree': {
      const r = record(value, ['depth', 'from', 'hashes', 'id', 'indices', 'level', 't', 'to', 'v'], t);
      version(r, t);
      const depth = int(r.depth, 0, MAX_SYNC_DEPTH, 'depth');
      const level = int(r.level, 0, depth, 'level');
      const idx = indices(r.indices, 2 ** level, 'indices');
      if (idx.length === 0) malformed('sync-tree names no nodes');
      const hashes = list(r.hashes, MAX_SYNC_NODES, 'hashes').map((h, i) => fixedBytes(h, HASH_BYTES, `hashes[${i}]`));
      if (hashes.length !== idx.length) malformed('sync-tree needs one hash per node index');
      return { t, id: requestId(r.id), range: { from: position(r.from, 'from'), to: position(r.to, 'to') }, depth, level, indices: idx, hashes };
    }
    case 'handoff':
    case 'inbox': {
      const r = record(value, ['id', 'records', 't', 'v'], t);
      version(r, t);
      const recs = records(r.records, 'records');
      if (recs.length === 0) malformed(`${t} carries no records`);
      return { t, id: requestId(r.id), records: recs };
    }
    case 'list': {
      const r = record(value, ['id', 'owner', 'prefix', 't', 'v'], t);
      version(r, t);
      return { t, id: requestId(r.id), owner: memberOf(r.owner, 'owner'), prefix: nameText(r.prefix, 0, 'prefix') };
    }
    case 'audit': {
      const r = record(value, ['digest', 'id', 'name', 'owner', 'segment', 't', 'v'], t);
      version(r, t);
      return {
        t,
        id: requestId(r.id),
        owner: memberOf(r.owner, 'owner'),
        name: nameText(r.name, 1, 'name'),
        digest: hexHash(r.digest, 'digest'),
        segment: int(r.segment, 0, MAX_SEGMENTS - 1, 'segment'),
      };
    }
    case 'put-ack': {
      const r = record(value, ['id', 'ok', 'reason', 't', 'v'], t);
      version(r, t);
      return { t, id: requestId(r.id), ok: bool(r.ok, 'ok'), reason: text(r.reason, 0, MAX_REASON_CHARS, 'reason') };
    }
    case 'records': {
      const r = record(value, ['id', 'more', 'records', 't', 'v'], t);
      version(r, t);
      return { t, id: requestId(r.id), records: records(r.records, 'records'), more: bool(r.more, 'more') };
    }
    case 'sync-nodes': {
      const r = record(value, ['differing', 'id', 'level', 't', 'v'], t);
      version(r, t);
      const level = int(r.level, 0, MAX_SYNC_DEPTH, 'level');
      return { t, id: requestId(r.id), level, differing: indices(r.differing, 2 ** level, 'differing') };
    }
    case 'sync-entries': {
      const r = record(value, ['buckets', 'id', 'more', 't', 'v'], t);
      version(r, t);
      let total = 0;
      let last = -1;
      const buckets = list(r.buckets, MAX_SYNC_NODES, 'buckets').map((b, i) => {
        const br = record(b, ['entries', 'index'], `buckets[${i}]`);
        const index = int(br.index, 0, 2 ** MAX_SYNC_DEPTH - 1, `buckets[${i}].index`);
        if (index <= last) malformed('buckets must be in increasing index order');
        last = index;
        const entries = list(br.entries, MAX_KEYS_PER_MESSAGE, `buckets[${i}].entries`).map((e, j) => {
          const what = `buckets[${i}].entries[${j}]`;
          const er = record(e, ['key', 'pos', 'versions'], what);
          return { keyId: keyId(er.key, `${what}.key`), position: position(er.pos, `${what}.pos`), versions: hexHash(er.versions, `${what}.versions`) };
        });
        total += entries.length;
        if (total > MAX_KEYS_PER_MESSAGE) malformed(`sync-entries carries more than ${MAX_KEYS_PER_MESSAGE} entries`);
        return { index, entries };
      });
      return { t, id: requestId(r.id), buckets, more: bool(r.more, 'more') };
    }
    case 'names': {
      const r = record(value, ['id', 'more', 'names', 't', 'v'], t);
      version(r, t);
      const names = list(r.names, MAX_KEYS_PER_MESSAGE, 'names').map((n, i) => nameText(n, 1, `names[${i}]`));
      return { t, id: requestId(r.id), names, more: bool(r.more, 'more') };
    }
    case 'audit-answer': {
      const r = record(value, ['answer', 'id', 't', 'v'], t);
      version(r, t);
      if (r.answer === null) return { t, id: requestId(r.id), answer: null };
      const answer = decodeAuditAnswer(byteString(r.answer, 1, MAX_AUDIT_ANSWER_BYTES, 'answer'));
      if (answer === null) malformed('answer is not an audit answer');
      return { t, id: requestId(r.id), answer };
    }
    case 'refused': {
      const r = record(value, ['id', 'reason', 't', 'v'], t);
      version(r, t);
      return { t, id: requestId(r.id), reason: text(r.reason, 0, MAX_REASON_CHARS, 'reason') };
    }
    default:
      return malformed(`unknown store message "${t.slice(0, 20)}"`);
  }
}

/** Size, canonical form, shape and every bound; records through decodeRecord. Never throws. */
export function decodeStoreMessage(bytes: Uint8Array): DecodedStoreMessage {
  return decodeWith(bytes, MAX_STORE_MESSAGE_BYTES, 'store message', parse);
}
