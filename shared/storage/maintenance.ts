/**
 * A StorageNode's background duties, run every maintenanceEveryMs:
 *
 * - Hinted handoff: versions kept for an intended member go back to it (`handoff`) while the
 *   membership shows it; the hinted copies are deleted after its ack, exactly the versions it
 *   acknowledged. While the intended member is absent from the membership its hints stay
 *   (for up to hintGraceMs, then it counts as gone for good and they are dropped), and their
 *   versions are also taken into this Star's own shard, whose rules below carry them to the
 *   key's current replicas, so an acknowledged write never rests on hints alone. A hint
 *   holder that the ring has made a replica of the key keeps the version in its shard too.
 * - Re-replication of keys this Star holds but is no longer a replica of (a Star joined in
 *   front of it, or the versions came from a hint): they are `put` to every member of the
 *   key's preference list, and deleted here once every one of them has acknowledged the
 *   version set this Star holds (so a key is never down to fewer copies by this step).
 * - Inbox delivery (DESIGN.md, "Presence and inbox"): a replica holding inbox records
 *   (`inbox/<sender>/<id>` under a recipient) for an owner the membership shows online
 *   delivers them to it (`inbox`); the owner raises each once as an 'inbox' event.
 *
 * One request of each kind per peer at a time; batches stay under the message limits.
 */
import { toHex } from '../codec/hex.ts';
import type { NodeContext } from './node-context.ts';
import { parseInboxName } from './record.ts';
import { digestOf, emptyChange, sizeOf, type KeyVersions } from './replica-store.ts';
import type { Out } from './storage-outputs.ts';
import type { MemberId, SignedRecord } from './types.ts';
import { MAX_RECORDS_PER_MESSAGE, RECORD_BUDGET_BYTES } from './wire.ts';

/** a Set that forgets its oldest entries past `max` */
export class BoundedSet {
  readonly #max: number;
  readonly #set = new Set<string>();
  constructor(max: number) {
    this.#max = max;
  }
  has(v: string): boolean {
    return this.#set.has(v);
  }
  add(v: string): void {
    this.#set.delete(v);
    this.#set.add(v);
    while (this.#set.size > this.#max) this.#set.delete(this.#set.values().next().value!);
  }
}

class Batch {
  records: SignedRecord[] = [];
  bytes = 0;
  full = false;
  take(rs: readonly SignedRecord[]): boolean {
    let bytes = 0;
    for (const r of rs) bytes += sizeOf(r);
    if (this.full || (this.records.length > 0 && (this.records.length + rs.length > MAX_RECORDS_PER_MESSAGE || this.bytes + bytes > RECORD_BUDGET_BYTES))) {
      this.full = true;
      return false;
    }
    this.records.push(...rs);
    this.bytes += bytes;
    return true;
  }
}

export class Maintenance {
  readonly #ctx: NodeContext;
  readonly #handoffBusy = new Set<MemberId>();
  /** when each member with hints here was first seen absent from the membership */
  readonly #absentSince = new Map<MemberId, number>();
  readonly #transferBusy = new Set<MemberId>();
  readonly #inboxBusy = new Set<MemberId>();
  /** stray keys: which members acknowledged the version set (by hash) this Star holds */
  readonly #strayAcks = new Map<string, { hash: string; acked: Set<MemberId> }>();
  /** inbox digests delivered to their owner (holder side) */
  readonly #delivered: BoundedSet;
  /** inbox digests raised as events (owner side) */
  readonly #seen: BoundedSet;
  /** for the simulator's figures */
  handoffs = 0;
  transfers = 0;

  constructor(ctx: NodeContext) {
    this.#ctx = ctx;
    this.#delivered = new BoundedSet(ctx.limits.maxInboxMemory);
    this.#seen = new BoundedSet(ctx.limits.maxInboxMemory);
  }

  run(out: Out, now: number): void {
    this.#handoff(out, now);
    this.#shard(out, now);
  }

  #handoff(out: Out, now: number): void {
    const ctx = this.#ctx;
    for (const member of [...this.#absentSince.keys()]) if (ctx.hints.of(member) === undefined) this.#absentSince.delete(member);
    for (const member of ctx.hints.members()) {
      const store = ctx.hints.of(member)!;
      const present = member !== ctx.me && ctx.placement.has(member);
      if (present) this.#absentSince.delete(member);
      else if (!this.#absentSince.has(member)) this.#absentSince.set(member, now);
      // what this Star is a replica of itself, and everything meant for an absent member,
      // also goes into its own shard: the shard's rules replicate it from there
      const own: SignedRecord[] = [];
      for (const k of store.keys()) if (!present || ctx.placement.isReplica(k.keyId, k.key)) own.push(...k.versions);
      if (own.length > 0) ctx.storeOwn(own, out);
      if (!present) {
        if (member === ctx.me || now - this.#absentSince.get(member)! >= ctx.timing.hintGraceMs) {
          const change = emptyChange();
          for (const k of [...store.keys()]) ctx.hints.remove(member, k.keyId, undefined, change);
          out.persist(change.written, change.removed);
          this.#absentSince.delete(member);
        }
        continue;
      }
      if (this.#handoffBusy.has(member)) continue;
      const batch = new Batch();
      const sent: Array<{ keyId: string; digests: Set<string> }> = [];
      for (const k of store.keys()) {
        if (!batch.take(k.versions)) break;
        sent.push({ keyId: k.keyId, digests: new Set(k.digests) });
      }
      if (batch.records.length === 0) continue;
      const records = batch.records;
      const ok = ctx.requests.send(out, member, (id) => ({ t: 'handoff', id, records }), now + ctx.timing.replicaTimeoutMs, (answer, o) => {
        this.#handoffBusy.delete(member);
        if (answer?.t !== 'put-ack' || !answer.ok) return;
        this.handoffs += records.length;
        const change = emptyChange();
        for (const s of sent) ctx.hints.remove(member, s.keyId, s.digests, change);
        o.persist(change.written, change.removed);
      });
      if (ok) this.#handoffBusy.add(member);
    }
  }

  #shard(out: Out, now: number): void {
    const ctx = this.#ctx;
    const transfers = new Map<MemberId, { batch: Batch; refs: Array<{ keyId: string; hash: string }> }>();
    const deliveries = new Map<MemberId, Batch>();
    const local: SignedRecord[] = [];
    const drop: string[] = [];
    for (const k of ctx.store.keys()) {
      const pref = ctx.placement.preferenceList(k.keyId, k.key);
      if (!pref.includes(ctx.me)) {
        let st = this.#strayAcks.get(k.keyId);
        if (st === undefined || st.hash !== k.versionsHash) this.#strayAcks.set(k.keyId, (st = { hash: k.versionsHash, acked: new Set() }));
        if (pref.every((m) => st.acked.has(m))) {
          drop.push(k.keyId);
          continue;
        }
        for (const m of pref) {
          if (st.acked.has(m) || this.#transferBusy.has(m)) continue;
          let t = transfers.get(m);
          if (t === undefined) transfers.set(m, (t = { batch: new Batch(), refs: [] }));
          if (t.batch.take(k.versions)) t.refs.push({ keyId: k.keyId, hash: k.versionsHash });
        }
        continue;
      }
      this.#strayAcks.delete(k.keyId);
      this.#collectInbox(k, deliveries, local);
    }
    if (drop.length > 0) {
      const change = emptyChange();
      for (const keyId of drop) {
        ctx.store.remove(keyId, undefined, change);
        this.#strayAcks.delete(keyId);
      }
      out.persist(change.written, change.removed);
    }
    for (const keyId of this.#strayAcks.keys()) if (!ctx.store.has(keyId)) this.#strayAcks.delete(keyId);
    for (const [member, t] of transfers) this.#transfer(member, t.batch.records, t.refs, out, now);
    for (const [owner, batch] of deliveries) this.#deliver(owner, batch.records, out, now);
    if (local.length > 0) this.receiveInbox(local, out);
  }

  #transfer(member: MemberId, records: SignedRecord[], refs: Array<{ keyId: string; hash: string }>, out: Out, now: number): void {
    if (records.length === 0) return;
    const ctx = this.#ctx;
    const ok = ctx.requests.send(out, member, (id) => ({ t: 'put', id, records, hint: null }), now + ctx.timing.replicaTimeoutMs, (answer) => {
      this.#transferBusy.delete(member);
      if (answer?.t !== 'put-ack' || !answer.ok) return;
      this.transfers += records.length;
      for (const ref of refs) {
        const st = this.#strayAcks.get(ref.keyId);
        if (st !== undefined && st.hash === ref.hash) st.acked.add(member);
      }
    });
    if (ok) this.#transferBusy.add(member);
  }

  #collectInbox(k: KeyVersions, deliveries: Map<MemberId, Batch>, local: SignedRecord[]): void {
    const ctx = this.#ctx;
    const owner = k.key.owner;
    if (!ctx.placement.has(owner) || parseInboxName(k.key.name) === null) return;
    const live = k.versions.filter((v, i) => v.value !== null && !this.#delivered.has(k.digests[i]!));
    if (live.length === 0) return;
    if (owner === ctx.me) {
      local.push(...live);
      for (const r of live) this.#delivered.add(digestOf(r));
      return;
    }
    if (this.#inboxBusy.has(owner)) return;
    let batch = deliveries.get(owner);
    if (batch === undefined) deliveries.set(owner, (batch = new Batch()));
    batch.take(live);
  }

  #deliver(owner: MemberId, records: SignedRecord[], out: Out, now: number): void {
    if (records.length === 0) return;
    const ctx = this.#ctx;
    const ok = ctx.requests.send(out, owner, (id) => ({ t: 'inbox', id, records }), now + ctx.timing.replicaTimeoutMs, (answer) => {
      this.#inboxBusy.delete(owner);
      if (answer?.t === 'put-ack' && answer.ok) for (const r of records) this.#delivered.add(digestOf(r));
    });
    if (ok) this.#inboxBusy.add(owner);
  }

  /**
   * Inbox records addressed to this Star's account: each raised once. Null when they all
   * are; else why not (a record that is no inbox record of this account).
   */
  receiveInbox(records: readonly SignedRecord[], out: Out): string | null {
    const me = this.#ctx.me;
    for (const r of records) {
      if (toHex(r.owner) !== me || parseInboxName(r.name) === null || r.value === null) return 'delivered a record that is not a live inbox record of this account';
    }
    const fresh = records.filter((r) => !this.#seen.has(digestOf(r)));
    for (const r of fresh) this.#seen.add(digestOf(r));
    if (fresh.length > 0) out.event({ type: 'inbox', records: fresh });
    return null;
  }
}
