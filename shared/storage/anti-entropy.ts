/**
 * Merkle anti-entropy between co-replicas (DESIGN.md, "Storage shards"). Every
 * antiEntropyEveryMs a Star picks the co-replica (a member that shares a preference list
 * with it) it synced with longest ago and compares, with that one peer, a SyncTree over
 * exactly the keys whose preference list contains both of them (each side filters its own
 * shard by its own ring view; the tree's fixed shape over the whole ring lines the two up).
 *
 *   initiator                                 responder
 *   sync-tree level 0, [root]           →     sync-nodes: indices whose hashes differ
 *   sync-tree level L+3 (children of the      (same, level by level; at most
 *            differing nodes), ...       →     MAX_SYNC_NODES per message)
 *   sync-tree leaf level, bucket hashes →     sync-entries: its entries of the differing buckets
 *   diffEntries per bucket:
 *     only mine / differing      → put    (the responder reconciles)
 *     only theirs / differing    → fetch  → records (the initiator reconciles)
 *
 * Equal trees end after one round trip. The tree depth follows the initiator's key count
 * (about one key per bucket, DEFAULT_SYNC_DEPTH at most); a responder whose bucket holds more
 * than fits in a message sends what fits with `more`, and the next exchange, deeper because
 * the initiator then holds more keys, covers the rest.
 *
 * Re-replication: when the membership changes, every member that entered the preference
 * list of a key this Star replicates (a Star that joined, or one a departure moved in) is
 * marked urgent, and exchanges with urgent co-replicas start at the next tick, up to
 * MAX_SESSIONS at once, until one with each has completed; the exchange pushes it what it
 * lacks. The regular round catches everything else.
 */
import { bytesEqual } from '../codec/cbor.ts';
import { DEFAULT_SYNC_DEPTH, diffEntries, inRange, SyncTree, type RingRange, type SyncEntry } from './merkle-sync.ts';
import type { NodeContext } from './node-context.ts';
import { keyIdOfRecord, keyOfId, sizeOf } from './replica-store.ts';
import { keyPositionOf } from './ring.ts';
import type { Out } from './storage-outputs.ts';
import type { MemberId, SignedRecord } from './types.ts';
import { MAX_KEYS_PER_MESSAGE, MAX_RECORDS_PER_MESSAGE, MAX_SYNC_NODES, RECORD_BUDGET_BYTES, type StoreRequest, type StoreResponse } from './wire.ts';

/** the whole ring (merkle-sync: from === to) */
export const FULL_RANGE: RingRange = { from: 0, to: 0 };
/** levels descended per round trip (the children of a differing node, 2^stride of them) */
export const SYNC_STRIDE = 3;
/** sync-tree round trips one exchange may take */
export const MAX_SYNC_STEPS = 64;
const TREE_CACHE = 8;
/** exchanges running at once (each with a different co-replica) */
export const MAX_SESSIONS = 4;

/** ~one key per bucket: ceil(log2(count)), from 1 to DEFAULT_SYNC_DEPTH */
export function syncDepthFor(count: number): number {
  return Math.min(DEFAULT_SYNC_DEPTH, Math.max(1, Math.ceil(Math.log2(Math.max(2, count)))));
}

/** this Star's entries for the keys whose preference list holds both it and `peer` */
export function sharedEntries(ctx: NodeContext, peer: MemberId, range: RingRange): SyncEntry[] {
  const out: SyncEntry[] = [];
  for (const k of ctx.store.keys()) {
    if (!inRange(range, k.position)) continue;
    const pref = ctx.placement.preferenceList(k.keyId, k.key);
    if (pref.includes(ctx.me) && pref.includes(peer)) out.push({ keyId: k.keyId, position: k.position, versions: k.versionsHash });
  }
  return out;
}

/** record batches under the message limits */
export function batches(records: readonly SignedRecord[]): SignedRecord[][] {
  const out: SignedRecord[][] = [];
  let cur: SignedRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = sizeOf(r);
    if (cur.length > 0 && (cur.length >= MAX_RECORDS_PER_MESSAGE || bytes + size > RECORD_BUDGET_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(r);
    bytes += size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

interface Session {
  peer: MemberId;
  tree: SyncTree;
  depth: number;
  queue: Array<{ level: number; indices: number[] }>;
  push: Set<string>;
  fetch: Set<string>;
  steps: number;
}

export class AntiEntropy {
  readonly #ctx: NodeContext;
  readonly #sessions = new Map<MemberId, Session>();
  /** when an exchange with each co-replica last started: the regular round goes to the longest unsynced */
  readonly #lastSync = new Map<MemberId, number>();
  /** co-replicas a membership change made new for some key: synced first, several at once */
  readonly #urgent = new Set<MemberId>();
  #coReplicas: { storeVersion: number; ringVersion: number; list: MemberId[] } | undefined;
  readonly #trees = new Map<string, { storeVersion: number; ringVersion: number; tree: SyncTree }>();
  /** exchanges started and the keys they found differing (for the simulator's figures) */
  exchanges = 0;
  keysRepaired = 0;

  constructor(ctx: NodeContext) {
    this.#ctx = ctx;
  }

  /** members that share at least one preference list with this Star, over the keys it holds */
  coReplicas(): MemberId[] {
    const ctx = this.#ctx;
    const c = this.#coReplicas;
    if (c !== undefined && c.storeVersion === ctx.store.version && c.ringVersion === ctx.placement.version) return c.list;
    const set = new Set<MemberId>();
    for (const k of ctx.store.keys()) {
      const pref = ctx.placement.preferenceList(k.keyId, k.key);
      if (!pref.includes(ctx.me)) continue;
      for (const m of pref) if (m !== ctx.me) set.add(m);
    }
    const list = [...set].sort();
    this.#coReplicas = { storeVersion: ctx.store.version, ringVersion: ctx.placement.version, list };
    return list;
  }

  /** before the ring changes: each held key's preference list */
  snapshot(): Map<string, MemberId[]> {
    const ctx = this.#ctx;
    const out = new Map<string, MemberId[]>();
    for (const k of ctx.store.keys()) out.set(k.keyId, ctx.placement.preferenceList(k.keyId, k.key));
    return out;
  }

  /**
   * After the ring changed: every member that joined the preference list of a key this Star
   * is a replica of lacks it, most likely (a departure moved it in, or it is new): sync with
   * it first. This is the re-replication.
   */
  ringChanged(before: ReadonlyMap<string, MemberId[]>): void {
    const ctx = this.#ctx;
    for (const k of ctx.store.keys()) {
      const pref = ctx.placement.preferenceList(k.keyId, k.key);
      if (!pref.includes(ctx.me)) continue;
      const old = before.get(k.keyId) ?? [];
      for (const m of pref) if (m !== ctx.me && !old.includes(m)) this.#urgent.add(m);
    }
    for (const m of this.#urgent) if (!ctx.placement.has(m)) this.#urgent.delete(m);
  }

  /**
   * Every tick: exchanges with urgent co-replicas, up to MAX_SESSIONS at once; `regular`:
   * also one with the co-replica synced longest ago.
   */
  run(regular: boolean, out: Out, now: number): void {
    const ctx = this.#ctx;
    for (const peer of [...this.#urgent]) {
      if (this.#sessions.size >= MAX_SESSIONS) return;
      if (!ctx.placement.has(peer) || peer === ctx.me) {
        this.#urgent.delete(peer);
        continue;
      }
      // a failed exchange (the peer may be gone but not yet out of presence) is retried after a pause
      const last = this.#lastSync.get(peer);
      if (last !== undefined && now - last < ctx.timing.replicaTimeoutMs) continue;
      if (!this.#sessions.has(peer) && ctx.requests.canSend(peer)) this.start(peer, out, now);
    }
    if (!regular || this.#sessions.size >= MAX_SESSIONS) return;
    const list = this.coReplicas();
    for (const peer of this.#lastSync.keys()) if (!list.includes(peer)) this.#lastSync.delete(peer);
    let pick: MemberId | undefined;
    let oldest = Infinity;
    for (const peer of list) {
      if (this.#sessions.has(peer)) continue;
      const at = this.#lastSync.get(peer) ?? -Infinity;
      if (at < oldest) {
        oldest = at;
        pick = peer;
      }
    }
    if (pick !== undefined) this.start(pick, out, now);
  }

  start(peer: MemberId, out: Out, now: number): void {
    const depth = syncDepthFor(this.#sharedCount(peer));
    const tree = this.#treeFor(peer, FULL_RANGE, depth);
    this.exchanges++;
    this.#lastSync.set(peer, now);
    const session: Session = { peer, tree, depth, queue: [{ level: 0, indices: [0] }], push: new Set(), fetch: new Set(), steps: 0 };
    this.#sessions.set(peer, session);
    this.#step(session, out, now);
  }

  #end(s: Session): void {
    if (this.#sessions.get(s.peer) === s) this.#sessions.delete(s.peer);
  }

  #step(s: Session, out: Out, now: number): void {
    const ctx = this.#ctx;
    const batch = s.queue.shift();
    if (batch === undefined) {
      this.#repair(s, out, now);
      return;
    }
    if (++s.steps > MAX_SYNC_STEPS) {
      this.#end(s);
      return;
    }
    const hashes = batch.indices.map((i) => s.tree.node(batch.level, i));
    const req = (id: number): StoreRequest => ({ t: 'sync-tree', id, range: FULL_RANGE, depth: s.depth, level: batch.level, indices: batch.indices, hashes });
    const sent = ctx.requests.send(out, s.peer, req, now + ctx.timing.replicaTimeoutMs, (answer, o, t) => {
      if (this.#sessions.get(s.peer) !== s) return;
      if (answer === null) {
        this.#end(s);
        return;
      }
      const problem = this.#absorb(s, batch, answer);
      if (problem !== null) {
        o.penalise(s.peer, problem);
        this.#urgent.delete(s.peer);
        this.#end(s);
        return;
      }
      this.#step(s, o, t);
    });
    if (!sent) this.#end(s);
  }

  /** null, or why the answer cannot be an honest one */
  #absorb(s: Session, batch: { level: number; indices: number[] }, answer: StoreResponse): string | null {
    const asked = new Set(batch.indices);
    if (answer.t === 'sync-nodes') {
      if (batch.level === s.depth) return 'answered a leaf-level sync-tree with nodes';
      if (answer.level !== batch.level || answer.differing.some((i) => !asked.has(i))) return 'sync-nodes names nodes it was not asked about';
      if (answer.differing.length > 0) this.#descend(s, batch.level, answer.differing);
      return null;
    }
    if (answer.t === 'sync-entries') {
      if (batch.level !== s.depth) return 'answered an inner-level sync-tree with entries';
      if (answer.buckets.some((b) => !asked.has(b.index))) return 'sync-entries names buckets it was not asked about';
      for (const b of answer.buckets) {
        const d = diffEntries(s.tree.bucket(b.index), b.entries);
        for (const k of d.onlyMine) s.push.add(k);
        for (const k of d.onlyTheirs) s.fetch.add(k);
        for (const k of d.differing) {
          s.push.add(k);
          s.fetch.add(k);
        }
      }
      if (answer.more) {
        const last = answer.buckets.at(-1)?.index;
        // nothing fitted at all: leave the rest to the next exchange rather than loop
        if (last !== undefined) {
          const rest = batch.indices.filter((i) => i > last);
          if (rest.length > 0) s.queue.unshift({ level: batch.level, indices: rest });
        }
      }
      return null;
    }
    return `answered a sync-tree with ${answer.t}`;
  }

  #descend(s: Session, level: number, differing: number[]): void {
    let next = Math.min(s.depth, level + SYNC_STRIDE);
    while (next > level + 1 && differing.length * 2 ** (next - level) > MAX_SYNC_NODES) next--;
    const fan = 2 ** (next - level);
    const children: number[] = [];
    for (const d of differing) for (let c = d * fan; c < (d + 1) * fan; c++) children.push(c);
    for (let i = 0; i < children.length; i += MAX_SYNC_NODES) s.queue.push({ level: next, indices: children.slice(i, i + MAX_SYNC_NODES) });
  }

  /** push what the peer lacks, pull what this Star lacks */
  #repair(s: Session, out: Out, now: number): void {
    this.#end(s);
    this.#urgent.delete(s.peer);
    const ctx = this.#ctx;
    this.keysRepaired += new Set([...s.push, ...s.fetch]).size;
    const records: SignedRecord[] = [];
    for (const keyId of s.push) records.push(...(ctx.store.get(keyId)?.versions ?? []));
    for (const batch of batches(records)) {
      ctx.requests.send(out, s.peer, (id) => ({ t: 'put', id, records: batch, hint: null }), now + ctx.timing.replicaTimeoutMs, () => {});
    }
    const wanted = [...s.fetch];
    for (let i = 0; i < wanted.length; i += MAX_KEYS_PER_MESSAGE) {
      const keyIds = wanted.slice(i, i + MAX_KEYS_PER_MESSAGE);
      const asked = new Set(keyIds);
      ctx.requests.send(out, s.peer, (id) => ({ t: 'fetch', id, keyIds }), now + ctx.timing.replicaTimeoutMs, (answer, o) => {
        if (answer?.t !== 'records') return;
        const good: SignedRecord[] = [];
        for (const r of answer.records) {
          const keyId = keyIdOfRecord(r);
          if (!asked.has(keyId)) {
            o.penalise(s.peer, 'answered a fetch with a record it was not asked for');
            return;
          }
          // keep only keys this Star is (still) a replica of
          if (ctx.placement.isReplica(keyId, keyOfId(keyId))) good.push(r);
        }
        if (good.length > 0) ctx.storeOwn(good, o);
      });
    }
  }

  #sharedCount(peer: MemberId): number {
    const ctx = this.#ctx;
    let n = 0;
    for (const k of ctx.store.keys()) {
      const pref = ctx.placement.preferenceList(k.keyId, k.key);
      if (pref.includes(ctx.me) && pref.includes(peer)) n++;
    }
    return n;
  }

  /** the responder's side of one sync-tree request */
  answer(from: MemberId, req: Extract<StoreRequest, { t: 'sync-tree' }>): StoreResponse {
    const tree = this.#treeFor(from, req.range, req.depth);
    const differing: number[] = [];
    for (let k = 0; k < req.indices.length; k++) {
      if (!bytesEqual(tree.node(req.level, req.indices[k]!), req.hashes[k]!)) differing.push(req.indices[k]!);
    }
    if (req.level < req.depth) return { t: 'sync-nodes', id: req.id, level: req.level, differing };
    const buckets: Array<{ index: number; entries: SyncEntry[] }> = [];
    let total = 0;
    let more = false;
    for (const index of differing) {
      let entries = tree.bucket(index);
      if (total + entries.length > MAX_KEYS_PER_MESSAGE) {
        more = true;
        if (buckets.length > 0) break;
        entries = entries.slice(0, MAX_KEYS_PER_MESSAGE);
      }
      buckets.push({ index, entries });
      total += entries.length;
      if (more) break;
    }
    return { t: 'sync-entries', id: req.id, buckets, more };
  }

  /** one tree per (peer, range, depth), rebuilt only when the ring changed (updated when the shard did); both sides' trees come from here */
  #treeFor(peer: MemberId, range: RingRange, depth: number): SyncTree {
    const ctx = this.#ctx;
    const key = `${peer}|${range.from}|${range.to}|${depth}`;
    const hit = this.#trees.get(key);
    let tree: SyncTree | undefined;
    if (hit !== undefined && hit.ringVersion === ctx.placement.version) {
      tree = hit.storeVersion === ctx.store.version ? hit.tree : this.#updatedTree(hit, peer, range);
    }
    tree ??= new SyncTree(range, sharedEntries(ctx, peer, range), depth);
    this.#trees.delete(key);
    this.#trees.set(key, { storeVersion: ctx.store.version, ringVersion: ctx.placement.version, tree });
    while (this.#trees.size > TREE_CACHE) this.#trees.delete(this.#trees.keys().next().value!);
    return tree;
  }

  /**
   * The cached tree brought up to date with the keys changed since it was made (the same
   * ring): under a stream of writes the shard changes between every two sync requests, and
   * rebuilding over every key each time was most of anti-entropy's cost. Undefined when the
   * changes are too many or too old to know: then it is rebuilt.
   */
  #updatedTree(hit: { storeVersion: number; tree: SyncTree }, peer: MemberId, range: RingRange): SyncTree | undefined {
    const ctx = this.#ctx;
    const log = ctx.store.changedSince(hit.storeVersion);
    if (log === undefined) return undefined;
    // an update hashes at most the tree's nodes, like a rebuild, but looks only at the changed keys
    const changed = new Set(log);
    if (changed.size > ctx.store.size / 2 + 64) return undefined;
    const changes = [...changed].map((keyId) => {
      const k = ctx.store.get(keyId);
      const key = keyOfId(keyId);
      const position = k?.position ?? keyPositionOf(keyId, key);
      const pref = ctx.placement.preferenceList(keyId, key);
      const shared = k !== undefined && inRange(range, position) && pref.includes(ctx.me) && pref.includes(peer);
      return { keyId, position, entry: shared ? { keyId, position, versions: k.versionsHash } : undefined };
    });
    return hit.tree.updated(changes);
  }
}
