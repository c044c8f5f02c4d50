/**
 * StorageNode: one per Star, the pure state machine of the storage shards (DESIGN.md,
 * "Storage shards (Dynamo in the browser)", "Presence and inbox"). It is the coordinator of
 * this Star's own client operations and a replica for everyone else's. No I/O, no timers, no
 * clock: every input takes `now` and returns the outputs of that step (storage-outputs.ts),
 * in one uniform shape, for the worker adapter, the tests and the simulator to carry out.
 *
 * Inputs
 *   membership(members)   from presence: the ring is rebuilt (this Star always in it)
 *   clientPut / clientGet / clientList(/clientInbox)   this Star's client, by request id
 *   message(from, msg)    a decoded `/starweave/store/1` message whose records' signatures
 *                         the adapter verified (messageBytes decodes first)
 *   tick(now)             timeouts, handoff/re-replication/inbox (maintenanceEveryMs),
 *                         one anti-entropy exchange (antiEntropyEveryMs), and at once
 *                         exchanges with co-replicas a membership change made new
 *   loaded(versions)      what IndexedDB held at start
 *   startAudits(seed)     proof-of-possession challenges to co-replicas
 * Outputs: send, persist (one transaction, committed before the step's sends and replies),
 * reply, event, penalise.
 *
 * The parts: coordinator.ts (quorum put/get/list), replica-store.ts (reconciled versions,
 * hints), anti-entropy.ts (Merkle exchange), maintenance.ts (hinted handoff,
 * re-replication, inbox delivery), audit-runner.ts, requests.ts (bounded outstanding
 * requests). Message flow and timeouts are described in each.
 *
 * Replica rules: records whose shape or namespace authority is wrong are refused (and the
 * sender penalised); versions are reconciled by vector clock, so an older clock never
 * replaces a newer one and concurrent versions stay as siblings; tombstones are versions.
 * A plain put is accepted only for keys this Star is (nearly: ring views may lag) a replica
 * of; a hinted one only while the hint store has room.
 */
import { StarError } from '../errors.ts';
import { AntiEntropy } from './anti-entropy.ts';
import { AuditRunner, DEFAULT_AUDIT_COUNT } from './audit-runner.ts';
import type { AuditLog } from './audit.ts';
import { errorReply, GetOp, ListOp, PutOp, type ClientOp } from './coordinator.ts';
import { Maintenance } from './maintenance.ts';
import { DEFAULT_LIMITS, DEFAULT_TIMING, type NodeContext, type StorageLimits, type StorageTiming } from './node-context.ts';
import { Placement, type RingFactory } from './placement.ts';
import { PutBatches } from './put-batches.ts';
import { authorityProblem, INBOX_PREFIX, MAX_NAME_BYTES, signedRecordProblem } from './record.ts';
import { digestOf, emptyChange, HintStore, keyIdOfRecord, keyOfId, sizeOf, VersionStore, type KeyVersions, type StoreChange } from './replica-store.ts';
import { Requests } from './requests.ts';
import { Ring } from './ring.ts';
import { Out, type StorageOutput } from './storage-outputs.ts';
import { DEFAULT_QUORUM, keyIdOf, type MemberId, type QuorumConfig, type RingMember, type SignedRecord, type StorageKey } from './types.ts';
import { decodeStoreMessage, isRequest, MAX_KEYS_PER_MESSAGE, MAX_RECORDS_PER_MESSAGE, RECORD_BUDGET_BYTES, type StoreMessage, type StoreRequest, type StoreResponse } from './wire.ts';

export interface StorageNodeOptions {
  /** this Star's account key, hex */
  me: MemberId;
  /** declared capacity units (virtual nodes), used when the membership omits this Star; default 1 */
  capacity?: number;
  quorum?: QuorumConfig;
  timing?: Partial<StorageTiming>;
  limits?: Partial<StorageLimits>;
  /** builds the ring from a membership (the simulator shares one Ring per membership) */
  ringFactory?: RingFactory;
}

/** a version as IndexedDB held it: own shard, or hinted for `hint` */
export interface LoadedVersion {
  record: SignedRecord;
  hint?: MemberId;
}

export interface StorageNodeStats {
  keys: number;
  records: number;
  bytes: number;
  hinted: number;
  outstanding: number;
  clientOps: number;
  exchanges: number;
  keysRepaired: number;
  handoffs: number;
  transfers: number;
}

const utf8 = new TextEncoder();

const MEMBER_ID = /^[0-9a-f]{64}$/;

export function isMemberId(id: unknown): id is MemberId {
  return typeof id === 'string' && MEMBER_ID.test(id);
}

/** why a record object cannot be stored (shape or namespace authority), or null */
export function recordShapeProblem(r: unknown): string | null {
  const x = r as Partial<SignedRecord> | null;
  if (x === null || typeof x !== 'object') return 'not a record';
  if (!(x.owner instanceof Uint8Array) || x.owner.length !== 32 || !(x.signer instanceof Uint8Array) || x.signer.length !== 32) return 'owner and signer must be 32-byte keys';
  if (typeof x.name !== 'string' || x.name.length === 0 || utf8.encode(x.name).length > MAX_NAME_BYTES) return 'bad key name';
  if (x.clock === null || typeof x.clock !== 'object') return 'bad clock';
  if (!(x.value === null || x.value instanceof Uint8Array) || !(x.sig instanceof Uint8Array) || !(x.segmentsRoot instanceof Uint8Array)) return 'bad value, root or signature';
  if (typeof x.time !== 'number' || typeof x.sealed !== 'boolean') return 'bad time or sealed flag';
  return authorityProblem(x as SignedRecord);
}

const validated = new WeakMap<readonly RingMember[], readonly RingMember[]>();

/**
 * The well-formed members, each once (the list itself when all are): memoised per list, so
 * one presence list handed to many nodes (the simulator) is checked once and keeps its
 * identity, which lets a shared ring factory reuse one Ring. A membership list is taken as
 * immutable: pass a new array for a new membership.
 */
function validMembers(members: readonly RingMember[]): readonly RingMember[] {
  const hit = validated.get(members);
  if (hit !== undefined) return hit;
  const seen = new Set<MemberId>();
  const valid = members.filter((m) => {
    const ok = isMemberId(m?.id) && Number.isFinite(m.capacity) && m.capacity > 0 && !seen.has(m.id);
    if (ok) seen.add(m.id);
    return ok;
  });
  const out = valid.length === members.length ? members : valid;
  validated.set(members, out);
  return out;
}

function validKey(key: StorageKey): boolean {
  return isMemberId(key?.owner) && typeof key.name === 'string' && key.name.length > 0 && utf8.encode(key.name).length <= MAX_NAME_BYTES;
}

function recordsOf(msg: StoreMessage): SignedRecord[] | undefined {
  return msg.t === 'put' || msg.t === 'handoff' || msg.t === 'inbox' || msg.t === 'records' ? msg.records : undefined;
}

export class StorageNode {
  readonly me: MemberId;
  readonly quorum: QuorumConfig;
  readonly #capacity: number;
  readonly #ctx: NodeContext;
  readonly #store = new VersionStore();
  readonly #hints: HintStore;
  readonly #requests: Requests;
  readonly #placement: Placement;
  readonly #ops = new Map<number, ClientOp>();
  readonly #ae: AntiEntropy;
  readonly #maint: Maintenance;
  readonly #audits: AuditRunner;
  #nextMaintenance: number | undefined;
  #nextAntiEntropy: number | undefined;
  /** the step of the batch() running: inputs inside it add to it */
  #batch: Out | undefined;

  constructor(options: StorageNodeOptions) {
    if (!isMemberId(options.me)) throw new StarError('INVALID_ARGUMENT', 'a storage node needs its account key as 64 hex characters');
    const quorum = options.quorum ?? DEFAULT_QUORUM;
    if (![quorum.n, quorum.r, quorum.w].every((x) => Number.isInteger(x) && x >= 1) || quorum.r > quorum.n || quorum.w > quorum.n) {
      throw new StarError('INVALID_ARGUMENT', `quorum n${quorum.n} r${quorum.r} w${quorum.w}: need 1 ≤ r, w ≤ n`);
    }
    this.me = options.me;
    this.quorum = { ...quorum };
    this.#capacity = options.capacity ?? 1;
    const timing = { ...DEFAULT_TIMING, ...options.timing };
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#hints = new HintStore(limits.maxHintRecords, limits.maxHintRecordsPerMember);
    this.#requests = new Requests({ maxOutstanding: limits.maxOutstanding, maxPerPeer: limits.maxOutstandingPerPeer });
    const puts = new PutBatches(this.#requests, timing.replicaTimeoutMs);
    this.#placement = new Placement(this.me, quorum.n, this.#capacity, options.ringFactory ?? ((m) => new Ring(m)));
    const store = this.#store;
    const hints = this.#hints;
    this.#ctx = {
      me: this.me,
      quorum: this.quorum,
      timing,
      limits,
      placement: this.#placement,
      store,
      hints,
      requests: this.#requests,
      puts,
      storeOwn: (records, out) => persisted(store.add(records), out),
      storeHint: (intended, records, out) => {
        const change = emptyChange();
        if (!hints.add(intended, records, change)) return false;
        persisted(change, out);
        return true;
      },
      localVersions: (keyId) => {
        const own = store.get(keyId)?.versions ?? [];
        const hinted = hints.versionsOf(keyId);
        if (hinted.length === 0) return [...own];
        const out: SignedRecord[] = [];
        const seen = new Set<string>();
        for (const r of [...own, ...hinted]) {
          if (seen.has(digestOf(r))) continue;
          seen.add(digestOf(r));
          out.push(r);
        }
        return out;
      },
    };
    this.#ae = new AntiEntropy(this.#ctx);
    this.#maint = new Maintenance(this.#ctx);
    this.#audits = new AuditRunner(this.#ctx);
  }

  // — inputs —

  /**
   * Runs `inputs` (calls of the input methods below) as ONE step: their outputs all come
   * back from this call, in order (one persist), and the inputs called inside return none.
   * Puts they send to one member share one request (put-batches.ts): a window of client
   * puts started together costs each replica one message, not one per put.
   */
  batch(now: number, inputs: () => void): StorageOutput[] {
    if (this.#batch !== undefined) {
      inputs();
      return [];
    }
    return this.#step(now, (out) => {
      this.#batch = out;
      try {
        inputs();
      } finally {
        this.#batch = undefined;
      }
    });
  }

  membership(members: readonly RingMember[], now: number): StorageOutput[] {
    return this.#step(now, (out) => {
      const before = this.#ae.snapshot();
      const { added, removed } = this.#placement.update(validMembers(members), this.#capacity);
      this.#ae.ringChanged(before);
      for (const gone of removed) this.#requests.failPeer(gone, out, now);
      // returning members get their hints, new replicas their keys, owners their inbox: soon
      if (added.length > 0 || removed.length > 0) this.#nextMaintenance = now;
    });
  }

  clientPut(requestId: number, record: SignedRecord, now: number): StorageOutput[] {
    return this.#step(now, (out) => {
      if (!this.#admit(requestId, out)) return;
      const problem = fullRecordProblem(record);
      if (problem !== null) {
        out.reply(errorReply(requestId, 'INVALID_ARGUMENT', `This record cannot be stored: ${problem}.`));
        return;
      }
      const keyId = keyIdOfRecord(record);
      this.#ops.set(requestId, new PutOp(this.#ctx, requestId, record, keyId, keyOfId(keyId), out, now));
    });
  }

  clientGet(requestId: number, key: StorageKey, now: number): StorageOutput[] {
    return this.#step(now, (out) => {
      if (!this.#admit(requestId, out)) return;
      if (!validKey(key)) {
        out.reply(errorReply(requestId, 'INVALID_ARGUMENT', `A key needs its owner's account key (64 hex characters) and a name of 1 to ${MAX_NAME_BYTES} bytes.`));
        return;
      }
      this.#ops.set(requestId, new GetOp(this.#ctx, requestId, keyIdOf(key), { owner: key.owner, name: key.name }, out, now));
    });
  }

  /** names under `owner` starting with `prefix`, over every member (a scatter-gather: use sparingly) */
  clientList(requestId: number, owner: MemberId, prefix: string, now: number): StorageOutput[] {
    return this.#step(now, (out) => {
      if (!this.#admit(requestId, out)) return;
      if (!isMemberId(owner) || typeof prefix !== 'string' || utf8.encode(prefix).length > MAX_NAME_BYTES) {
        out.reply(errorReply(requestId, 'INVALID_ARGUMENT', `A list needs the owner's account key (64 hex characters) and a prefix of at most ${MAX_NAME_BYTES} bytes.`));
        return;
      }
      this.#ops.set(requestId, new ListOp(this.#ctx, requestId, owner, prefix, this.#names(owner, prefix).names, out, now));
    });
  }

  /** the inbox keys (inbox/<sender>/<id>) held for `owner`, default this Star's account */
  clientInbox(requestId: number, now: number, owner: MemberId = this.me): StorageOutput[] {
    return this.clientList(requestId, owner, INBOX_PREFIX, now);
  }

  /** a decoded message; its records' signatures were verified by the adapter */
  message(from: MemberId, msg: StoreMessage, now: number): StorageOutput[] {
    return this.#step(now, (out) => {
      if (from === this.me) return;
      try {
        this.#onMessage(from, msg, out, now);
      } catch (err) {
        // a shape the decoder would have refused reached us directly: the sender's fault, not a crash
        out.penalise(from, `malformed store message: ${(err as Error).message}`);
      }
    });
  }

  /** decodes `/starweave/store/1` bytes first; for transports whose records need no further signature check (the simulator) */
  messageBytes(from: MemberId, bytes: Uint8Array, now: number): StorageOutput[] {
    const d = decodeStoreMessage(bytes);
    if (!d.ok) {
      return this.#step(now, (out) => out.penalise(from, d.reason));
    }
    return this.message(from, d.value, now);
  }

  tick(now: number): StorageOutput[] {
    return this.#step(now, (out) => {
      this.#requests.expire(now, out);
      for (const op of this.#ops.values()) if (op.deadline <= now) op.expire(out, now);
      const phase = parseInt(this.me.slice(0, 8), 16);
      const timing = this.#ctx.timing;
      this.#nextMaintenance ??= now + (phase % timing.maintenanceEveryMs);
      this.#nextAntiEntropy ??= Number.isFinite(timing.antiEntropyEveryMs) ? now + (phase % timing.antiEntropyEveryMs) : Infinity;
      if (now >= this.#nextMaintenance) {
        this.#nextMaintenance = now + timing.maintenanceEveryMs;
        this.#maint.run(out, now);
      }
      if (Number.isFinite(timing.antiEntropyEveryMs)) {
        const regular = now >= this.#nextAntiEntropy;
        if (regular) this.#nextAntiEntropy = now + timing.antiEntropyEveryMs;
        this.#ae.run(regular, out, now);
      }
    });
  }

  /** what IndexedDB held: versions superseded by others loaded with them are deleted */
  loaded(versions: readonly LoadedVersion[], now: number): StorageOutput[] {
    return this.#step(now, (out) => {
      const own: SignedRecord[] = [];
      const byHint = new Map<MemberId, SignedRecord[]>();
      for (const v of versions) {
        if (recordShapeProblem(v?.record) !== null) continue;
        if (v.hint === undefined || v.hint === this.me) own.push(v.record);
        else {
          let list = byHint.get(v.hint);
          if (list === undefined) byHint.set(v.hint, (list = []));
          list.push(v.record);
        }
      }
      const change = this.#store.add(own);
      for (const [hint, records] of byHint) {
        if (!this.#hints.add(hint, records, change)) this.#store.add(records, change);
      }
      // already on disk: only the deletions of superseded versions (and hints moved to the shard) are new
      const onDisk = new Set(versions.map((v) => `${v.hint === this.me ? '' : (v.hint ?? '')}|${digestOf(v.record)}`));
      out.persist(
        change.written.filter((w) => !onDisk.has(`${w.hint ?? ''}|${w.digest}`)),
        change.removed,
      );
    });
  }

  /** proof-of-possession challenges over this Star's co-replicas, from the round seed */
  startAudits(seed: Uint8Array, now: number, count: number = DEFAULT_AUDIT_COUNT): StorageOutput[] {
    return this.#step(now, (out) => {
      this.#audits.start(seed, count, out, now);
    });
  }

  // — inspection —

  get auditLog(): AuditLog {
    return this.#audits.log;
  }

  /** this Star's own shard */
  held(): IterableIterator<KeyVersions> {
    return this.#store.keys();
  }

  heldKey(keyId: string): KeyVersions | undefined {
    return this.#store.get(keyId);
  }

  /** whether this exact version (same bytes, signature included) is held here, in the shard or as a hint */
  holdsVersion(record: SignedRecord): boolean {
    const keyId = keyIdOfRecord(record);
    const digest = digestOf(record);
    if (this.#store.get(keyId)?.digests.includes(digest) === true) return true;
    return this.#hints.versionsOf(keyId).some((r) => digestOf(r) === digest);
  }

  /** members of the ring this Star sees */
  get members(): ReadonlySet<MemberId> {
    return this.#placement.members;
  }

  preferenceList(key: StorageKey): MemberId[] {
    return this.#placement.preferenceList(keyIdOf(key), key);
  }

  stats(): StorageNodeStats {
    return {
      keys: this.#store.size,
      records: this.#store.records,
      bytes: this.#store.bytes,
      hinted: this.#hints.records,
      outstanding: this.#requests.size,
      clientOps: this.#ops.size,
      exchanges: this.#ae.exchanges,
      keysRepaired: this.#ae.keysRepaired,
      handoffs: this.#maint.handoffs,
      transfers: this.#maint.transfers,
    };
  }

  // — internals —

  #step(now: number, body: (out: Out) => void): StorageOutput[] {
    if (this.#batch !== undefined) {
      // inside batch(): its step collects the outputs
      body(this.#batch);
      return [];
    }
    const out = new Out();
    const version = this.#store.version;
    const hinted = this.#hints.records;
    body(out);
    for (const [id, op] of this.#ops) if (op.done) this.#ops.delete(id);
    const nowHinted = this.#hints.records;
    if (this.#store.version !== version || nowHinted !== hinted) {
      out.event({ type: 'stored-changed', keys: this.#store.size, records: this.#store.records, bytes: this.#store.bytes, hinted: nowHinted });
    }
    return out.finish();
  }

  #admit(requestId: number, out: Out): boolean {
    if (!Number.isSafeInteger(requestId)) {
      out.reply(errorReply(requestId, 'INVALID_ARGUMENT', 'A storage request id must be a whole number.'));
      return false;
    }
    if (this.#ops.has(requestId)) {
      out.reply(errorReply(requestId, 'INVALID_ARGUMENT', `Storage request ${requestId} is still running: give each request its own id.`));
      return false;
    }
    if (this.#ops.size >= this.#ctx.limits.maxClientOps) {
      out.reply(errorReply(requestId, 'RATE_LIMITED', 'Too many storage operations are in flight: wait for some to finish, then retry.'));
      return false;
    }
    return true;
  }

  #onMessage(from: MemberId, msg: StoreMessage, out: Out, now: number): void {
    if (msg === null || typeof msg !== 'object' || typeof msg.t !== 'string' || !Number.isSafeInteger(msg.id)) {
      out.penalise(from, 'malformed store message');
      return;
    }
    const records = recordsOf(msg);
    if (records !== undefined) {
      if (!Array.isArray(records)) throw new Error('records is not a list');
      const problem = records.map(recordShapeProblem).find((p) => p !== null);
      if (problem !== undefined) {
        out.penalise(from, `sent a record that cannot be stored: ${problem}`);
        if (isRequest(msg)) out.send(from, { t: 'put-ack', id: msg.id, ok: false, reason: problem });
        return;
      }
    }
    if (isRequest(msg)) {
      out.send(from, this.#serve(from, msg, out));
      return;
    }
    const r = this.#requests.resolve(from, msg, out, now);
    if (r.kind === 'penalise') out.penalise(from, r.reason);
  }

  #serve(from: MemberId, req: StoreRequest, out: Out): StoreResponse {
    const ctx = this.#ctx;
    switch (req.t) {
      case 'put': {
        if (req.hint !== null && req.hint !== this.me) {
          if (!isMemberId(req.hint)) throw new Error('bad hint');
          if (!ctx.storeHint(req.hint, req.records, out)) return { t: 'put-ack', id: req.id, ok: false, reason: 'hint store full' };
          return { t: 'put-ack', id: req.id, ok: true, reason: '' };
        }
        const depth = this.quorum.n + ctx.limits.acceptSlack;
        const foreign = req.records.find((r) => {
          const keyId = keyIdOfRecord(r);
          return !this.#placement.withinWalk(keyId, keyOfId(keyId), this.me, depth);
        });
        if (foreign !== undefined) return { t: 'put-ack', id: req.id, ok: false, reason: `not a replica of ${keyIdOfRecord(foreign)}` };
        ctx.storeOwn(req.records, out);
        return { t: 'put-ack', id: req.id, ok: true, reason: '' };
      }
      case 'handoff':
        ctx.storeOwn(req.records, out);
        return { t: 'put-ack', id: req.id, ok: true, reason: '' };
      case 'inbox': {
        const problem = this.#maint.receiveInbox(req.records, out);
        if (problem !== null) out.penalise(from, problem);
        return { t: 'put-ack', id: req.id, ok: problem === null, reason: problem ?? '' };
      }
      case 'get': {
        const versions = ctx.localVersions(keyIdOf({ owner: req.owner, name: req.name }));
        return { t: 'records', id: req.id, records: versions.slice(0, MAX_RECORDS_PER_MESSAGE), more: versions.length > MAX_RECORDS_PER_MESSAGE };
      }
      case 'fetch': {
        const records: SignedRecord[] = [];
        let bytes = 0;
        let more = false;
        outer: for (const keyId of req.keyIds) {
          for (const r of this.#store.get(keyId)?.versions ?? []) {
            const size = sizeOf(r);
            if (records.length > 0 && (records.length >= MAX_RECORDS_PER_MESSAGE || bytes + size > RECORD_BUDGET_BYTES)) {
              more = true;
              break outer;
            }
            records.push(r);
            bytes += size;
          }
        }
        return { t: 'records', id: req.id, records, more };
      }
      case 'sync-tree':
        return this.#ae.answer(from, req);
      case 'list': {
        const { names, more } = this.#names(req.owner, req.prefix);
        return { t: 'names', id: req.id, names, more };
      }
      case 'audit':
        return this.#audits.answer(req);
    }
  }

  /** names under (owner, prefix) this Star holds with a live version */
  #names(owner: MemberId, prefix: string): { names: string[]; more: boolean } {
    const names: string[] = [];
    for (const k of this.#store.keys()) {
      if (k.key.owner !== owner || !k.key.name.startsWith(prefix) || k.versions.every((v) => v.value === null)) continue;
      if (names.length >= MAX_KEYS_PER_MESSAGE) return { names: names.sort(), more: true };
      names.push(k.key.name);
    }
    return { names: names.sort(), more: false };
  }
}

function persisted(change: StoreChange, out: Out): StoreChange {
  out.persist(change.written, change.removed);
  return change;
}

/** the full check (record.ts recordProblem: limits, segment root, namespace) for records built locally */
function fullRecordProblem(record: SignedRecord): string | null {
  return recordShapeProblem(record) ?? signedRecordProblem(record);
}
