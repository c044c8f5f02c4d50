/**
 * The coordinator side of a StorageNode: the client's put, get and list as quorum
 * operations over the key's preference list (DESIGN.md, "Storage shards").
 *
 * put:  the record goes to the N members of the preference list (this Star's own shard
 *       counts when it is one of them). The client is answered after W stored it. A member
 *       that does not answer within replicaTimeoutMs (or refuses, or leaves the ring) is
 *       replaced by the next member of the ring walk outside the list, as a HINTED put
 *       naming it (sloppy quorum); that fallback keeps it apart and hands it back later.
 *       The operation keeps going after the reply until every member of the list is
 *       covered or the walk is used up, so N copies exist whenever N Stars answer.
 * get:  asks the N members and answers after R replies with the reconciled versions,
 *       siblings included. A member that does not answer in time is asked once more (a lost
 *       message is likelier than a lost Star) and the next member of the walk is asked too,
 *       since it may hold a hint; a stand-in's answer counts only when it holds something.
 *       When every asked Star has answered or timed out, members of the list that answered
 *       with a stale or missing version get the winners (read repair).
 * list: asks every member for the key names it holds under (owner, prefix); answers when all
 *       answered or at the deadline, marked partial when some did not.
 *
 * Fewer than W (R) answers by clientTimeoutMs, or no one left to ask: NO_PEERS.
 */
import type { StarErrorCode } from '../errors.ts';
import type { NodeContext } from './node-context.ts';
import { digestOf, keyIdOfRecord } from './replica-store.ts';
import type { ClientReply, Out } from './storage-outputs.ts';
import type { MemberId, SignedRecord, StorageKey } from './types.ts';
import { reconcile } from './vector-clock.ts';
import { MAX_KEYS_PER_MESSAGE } from './wire.ts';

export interface ClientOp {
  readonly requestId: number;
  readonly deadline: number;
  /** finished: replied and nothing more to do */
  readonly done: boolean;
  /** the client deadline passed */
  expire(out: Out, now: number): void;
}

export function errorReply(requestId: number, code: StarErrorCode, message: string): ClientReply {
  return { requestId, ok: false, error: { code, message } };
}

/**
 * The stand-ins of an operation: the members of the ring walk outside the preference list,
 * in walk order, each asked at most once (members asked directly count as asked).
 */
class Fallbacks {
  readonly #ctx: NodeContext;
  readonly #keyId: string;
  readonly #key: StorageKey;
  readonly #pref: readonly MemberId[];
  /** the walk outside the list, made when a first stand-in is wanted: most operations never need one */
  #walk: MemberId[] | undefined;
  #cursor = 0;
  readonly tried = new Set<MemberId>();

  constructor(ctx: NodeContext, keyId: string, key: StorageKey, pref: readonly MemberId[]) {
    this.#ctx = ctx;
    this.#keyId = keyId;
    this.#key = key;
    this.#pref = pref;
  }

  /** the next member of the walk not asked yet, if any is left */
  next(): MemberId | undefined {
    this.#walk ??= this.#ctx.placement.walk(this.#keyId, this.#key).filter((m) => !this.#pref.includes(m));
    while (this.#cursor < this.#walk.length) {
      const f = this.#walk[this.#cursor++]!;
      if (!this.tried.has(f)) return f;
    }
    return undefined;
  }
}

export class PutOp implements ClientOp {
  readonly requestId: number;
  readonly deadline: number;
  readonly #ctx: NodeContext;
  readonly #record: SignedRecord;
  readonly #fallbacks: Fallbacks;
  #acks = 0;
  #outstanding = 0;
  #replied = false;
  #done = false;

  constructor(ctx: NodeContext, requestId: number, record: SignedRecord, keyId: string, key: StorageKey, out: Out, now: number) {
    this.#ctx = ctx;
    this.requestId = requestId;
    this.#record = record;
    this.deadline = now + ctx.timing.clientTimeoutMs;
    const pref = ctx.placement.preferenceList(keyId, key);
    this.#fallbacks = new Fallbacks(ctx, keyId, key, pref);
    for (const target of pref) this.#ask(target, null, out, now);
    this.#check(out);
  }

  get done(): boolean {
    return this.#done;
  }

  #ask(to: MemberId, hint: MemberId | null, out: Out, now: number): void {
    const ctx = this.#ctx;
    this.#fallbacks.tried.add(to);
    if (to === ctx.me) {
      if (hint === null) {
        ctx.storeOwn([this.#record], out);
        this.#acks++;
      } else if (ctx.storeHint(hint, [this.#record], out)) {
        this.#acks++;
      } else {
        this.#next(hint, out, now);
      }
      return;
    }
    const sent = ctx.puts.send(out, to, hint, this.#record, now, (answer, o, t) => {
      this.#outstanding--;
      if (answer?.t === 'put-ack' && answer.ok) this.#acks++;
      else this.#next(hint ?? to, o, t);
      this.#check(o);
    });
    if (sent) this.#outstanding++;
    else this.#next(hint ?? to, out, now);
  }

  /** a stand-in for `intended`: the next member of the walk not asked yet */
  #next(intended: MemberId, out: Out, now: number): void {
    if (this.#done) return;
    const f = this.#fallbacks.next();
    if (f !== undefined) this.#ask(f, intended, out, now);
  }

  #check(out: Out): void {
    if (this.#done) return;
    const w = this.#ctx.quorum.w;
    if (!this.#replied && this.#acks >= w) {
      this.#replied = true;
      out.reply({ requestId: this.requestId, ok: true, op: 'put' });
    }
    if (this.#outstanding === 0) this.#finish(out);
  }

  #finish(out: Out): void {
    this.#done = true;
    if (!this.#replied) {
      this.#replied = true;
      out.reply(noPeersForWrite(this.requestId, this.#acks, this.#ctx.quorum.w));
    }
  }

  expire(out: Out): void {
    if (!this.#done) this.#finish(out);
  }
}

function noPeersForWrite(requestId: number, acks: number, w: number): ClientReply {
  const kept = acks > 0 ? ` It is kept on ${acks} Star${acks === 1 ? '' : 's'} and copied on when more come back.` : '';
  return errorReply(
    requestId,
    'NO_PEERS',
    `Only ${acks} of the ${w} Stars a write needs stored it in time: too few Stars are reachable.${kept} Check the network connection, keep this page open to let peers find it, and retry.`,
  );
}

export class GetOp implements ClientOp {
  readonly requestId: number;
  readonly deadline: number;
  readonly #ctx: NodeContext;
  readonly #keyId: string;
  readonly #pref: MemberId[];
  readonly #fallbacks: Fallbacks;
  readonly #retried = new Set<MemberId>();
  readonly #seen: SignedRecord[] = [];
  /** digests each member of the preference list answered with (read repair) */
  readonly #answers = new Map<MemberId, Set<string>>();
  #replies = 0;
  #outstanding = 0;
  #replied = false;
  #done = false;

  constructor(ctx: NodeContext, requestId: number, keyId: string, key: StorageKey, out: Out, now: number) {
    this.#ctx = ctx;
    this.requestId = requestId;
    this.#keyId = keyId;
    this.deadline = now + ctx.timing.clientTimeoutMs;
    this.#pref = ctx.placement.preferenceList(keyId, key);
    this.#fallbacks = new Fallbacks(ctx, keyId, key, this.#pref);
    for (const target of this.#pref) this.#ask(target, key, out, now);
    this.#check(out, now);
  }

  get done(): boolean {
    return this.#done;
  }

  #ask(to: MemberId, key: StorageKey, out: Out, now: number): void {
    const ctx = this.#ctx;
    this.#fallbacks.tried.add(to);
    if (to === ctx.me) {
      this.#answer(to, ctx.localVersions(this.#keyId));
      return;
    }
    const sent = ctx.requests.send(out, to, (id) => ({ t: 'get', id, owner: key.owner, name: key.name }), now + ctx.timing.replicaTimeoutMs, (answer, o, t) => {
      this.#outstanding--;
      if (answer?.t === 'records') {
        const foreign = answer.records.find((r) => keyIdOfRecord(r) !== this.#keyId);
        if (foreign !== undefined) {
          o.penalise(to, `answered a get for ${this.#keyId} with a record of another key`);
          this.#next(key, o, t);
        } else this.#answer(to, answer.records);
      } else {
        // a lost message is likelier than a lost Star: ask a replica once more, and a stand-in meanwhile
        if (this.#pref.includes(to) && !this.#retried.has(to) && !this.#done) {
          this.#retried.add(to);
          this.#ask(to, key, o, t);
        }
        this.#next(key, o, t);
      }
      this.#check(o, t);
    });
    if (sent) this.#outstanding++;
    else this.#next(key, out, now);
  }

  /**
   * A replica's answer counts toward R whatever it holds; a stand-in's only when it holds
   * something (a hint): an empty answer from a Star that was never asked to keep the key
   * says nothing about it.
   */
  #answer(from: MemberId, records: readonly SignedRecord[]): void {
    const replica = this.#pref.includes(from);
    if (!replica && records.length === 0) return;
    this.#replies++;
    this.#seen.push(...records);
    if (replica) this.#answers.set(from, new Set(records.map(digestOf)));
  }

  #next(key: StorageKey, out: Out, now: number): void {
    if (this.#done) return;
    const f = this.#fallbacks.next();
    if (f !== undefined) this.#ask(f, key, out, now);
  }

  #winners(): SignedRecord[] {
    return reconcile(this.#seen, (r) => r.clock, digestOf);
  }

  #check(out: Out, now: number): void {
    if (this.#done) return;
    if (!this.#replied && this.#replies >= this.#ctx.quorum.r) {
      this.#replied = true;
      out.reply({ requestId: this.requestId, ok: true, op: 'get', records: this.#winners() });
    }
    if (this.#outstanding === 0) this.#finish(out, now);
  }

  #finish(out: Out, now: number): void {
    this.#done = true;
    if (!this.#replied) {
      this.#replied = true;
      const r = this.#ctx.quorum.r;
      out.reply(
        errorReply(
          this.requestId,
          'NO_PEERS',
          `Only ${this.#replies} of the ${r} Stars a read needs answered in time: too few Stars are reachable. Check the network connection, keep this page open to let peers find it, and retry.`,
        ),
      );
    }
    this.#readRepair(out, now);
  }

  /** members of the list that answered without every winner get the ones they lack */
  #readRepair(out: Out, now: number): void {
    const winners = this.#winners();
    if (winners.length === 0) return;
    const ctx = this.#ctx;
    for (const [member, had] of this.#answers) {
      const missing = winners.filter((w) => !had.has(digestOf(w)));
      if (missing.length === 0) continue;
      if (member === ctx.me) ctx.storeOwn(missing, out);
      else ctx.requests.send(out, member, (id) => ({ t: 'put', id, records: missing, hint: null }), now + ctx.timing.replicaTimeoutMs, () => {});
    }
  }

  expire(out: Out, now: number): void {
    if (!this.#done) this.#finish(out, now);
  }
}

export class ListOp implements ClientOp {
  readonly requestId: number;
  readonly deadline: number;
  readonly #prefix: string;
  readonly #names = new Set<string>();
  #asked = 0;
  #answered = 0;
  #partial = false;
  #outstanding = 0;
  #done = false;

  constructor(ctx: NodeContext, requestId: number, owner: MemberId, prefix: string, local: readonly string[], out: Out, now: number) {
    this.requestId = requestId;
    this.#prefix = prefix;
    this.deadline = now + ctx.timing.clientTimeoutMs;
    for (const n of local) this.#names.add(n);
    for (const member of [...ctx.placement.members].sort()) {
      if (member === ctx.me) continue;
      this.#asked++;
      const sent = ctx.requests.send(out, member, (id) => ({ t: 'list', id, owner, prefix }), now + ctx.timing.replicaTimeoutMs, (answer, o) => {
        this.#outstanding--;
        if (answer?.t === 'names') {
          if (answer.names.some((n) => !n.startsWith(this.#prefix))) o.penalise(member, 'answered a list with names outside the prefix');
          else {
            this.#answered++;
            if (answer.more) this.#partial = true;
            for (const n of answer.names) this.#names.add(n);
          }
        }
        this.#check(o);
      });
      if (sent) this.#outstanding++;
    }
    this.#check(out);
  }

  get done(): boolean {
    return this.#done;
  }

  #check(out: Out): void {
    if (!this.#done && this.#outstanding === 0) this.#finish(out);
  }

  #finish(out: Out): void {
    this.#done = true;
    const names = [...this.#names].sort();
    const partial = this.#partial || this.#answered < this.#asked || names.length > MAX_LIST_NAMES;
    out.reply({ requestId: this.requestId, ok: true, op: 'list', names: names.slice(0, MAX_LIST_NAMES), partial });
  }

  expire(out: Out): void {
    if (!this.#done) this.#finish(out);
  }
}

/** most names a list answers the client with */
export const MAX_LIST_NAMES = 4 * MAX_KEYS_PER_MESSAGE;
