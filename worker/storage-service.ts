/**
 * The worker's storage adapter: drives the pure StorageNode (shared/storage/storage-node.ts)
 * with this account's keys, IndexedDB and the network (DESIGN.md, "Storage shards",
 * "Presence and inbox").
 *
 * - One queue (`serial`) runs every core step, as FinalityService does, so an await never
 *   interleaves two steps. A step's outputs are carried out in order: its `persist` is ONE
 *   IndexedDB transaction, awaited BEFORE that step's sends and replies leave (an ack never
 *   promises a write that is not on disk). Frames that arrive together are one batch: their
 *   steps' persists share one transaction, and their sends go out as one frame list per peer.
 * - Membership is the presence table (accounts online, each with its declared capacity);
 *   a member is reached through the peer id and addresses of its presence record, and frames
 *   are attributed to the member whose presence names the peer they came from. Frames for a
 *   member without presence are dropped (the core's timeouts and sloppy quorum handle it);
 *   frames from a peer without presence are dropped too.
 * - Every record in incoming frames has its signature verified, all in one batch, before the
 *   core sees the message; a message carrying a bad one is dropped and its sender penalised
 *   (storage-penalties.ts: repeated offences mute that member for a while).
 * - Writes carry the clock of what this Star knows of the key (held here, or last read or
 *   written here), with this device's entry moved to max(entry + 1, now). A put does not read
 *   first (Dynamo's put without context: one round trip, not two); the time-based entry
 *   means a device that forgot its clocks (a reload) still supersedes its own earlier
 *   writes, and a write from another device it never read stays a sibling until a put after
 *   a get reconciles them. A delete does read first when it knows nothing of the key, so it
 *   only writes a tombstone over something that exists.
 * - Values carry a type byte (storage-value.ts); private ones are sealed (sealed-value.ts)
 *   for the named readers and this account, with the reader keys accounts published in
 *   presence.
 * - `send` writes an inbox record (owner = recipient, `inbox/<sender>/<id>`, signed by this
 *   account). It is sealed for the recipient when this Star knows its reader key (from a
 *   presence record, now or from an earlier session); a recipient this Star has never seen
 *   online gets it UNSEALED: the inbox exists for recipients that are away, and refusing
 *   would make a first message to an offline account impossible. It is still signed, so
 *   nobody can forge or alter it, but storage Stars can read it.
 * - Inbox delivery: the core raises 'inbox' events with records for this account; each
 *   message is raised once as CoreOutputs.message (delivered ids kept in IndexedDB, so a
 *   reload does not repeat one), then deleted with a tombstone this account signs.
 * - A full disk (QuotaExceededError) fails the client operation whose own write did not
 *   commit with QUOTA_EXCEEDED and reports the quota at once; a replica write that did not
 *   commit sends no ack (the coordinator tries another Star). Nothing is dropped silently.
 */
import { addressFromPublicKey, publicKeyFromAddress } from '../shared/chain/address.ts';
import type { GetResult, PutOptions, StorageStats, StoredValue } from '../shared/api.ts';
import { toHex } from '../shared/codec/hex.ts';
import { Ed25519Verifier, type VerifyItem } from '../shared/crypto/ed25519.ts';
import { MAX_READERS, openValue, sealValue, type SealReader } from '../shared/crypto/sealed-value.ts';
import type { Signer } from '../shared/crypto/signer.ts';
import { StarError } from '../shared/errors.ts';
import type { StorageTiming } from '../shared/storage/node-context.ts';
import { encodeRecord, INBOX_PREFIX, inboxName, MAX_NAME_BYTES, MAX_VALUE_BYTES, recordVerifyItem, segmentsRootOf, signRecord, type UnsignedRecord } from '../shared/storage/record.ts';
import type { ClientReply, StorageEvent, StorageOutput } from '../shared/storage/storage-outputs.ts';
import { StorageNode } from '../shared/storage/storage-node.ts';
import { DEFAULT_QUORUM, keyIdOf, type MemberId, type SignedRecord, type VectorClock } from '../shared/storage/types.ts';
import { incrementClock, mergeClocks } from '../shared/storage/vector-clock.ts';
import { decodeStoreMessage, encodeStoreMessage, type StoreMessage } from '../shared/storage/wire.ts';
import type { CoreOutputs } from './chain-service.ts';
import { PenaltyBox } from './storage-penalties.ts';
import { StorageMembers, type PresenceView } from './storage-members.ts';
import { InboxDelivery } from './storage-inbox.ts';
import { Outbox } from './storage-outbox.ts';
import { isQuotaError, quotaExceeded, storeFailed, type QuotaSource } from './storage-quota.ts';
import { StatsReporter } from './storage-stats.ts';
import { randomHex, type PersistBatch, type StorageIdentity, type StorageStore } from './storage-store.ts';
import { decodeValue, encodeProposalValue, encodeValue } from './storage-value.ts';
import { sha256 } from '@noble/hashes/sha2.js';

/** What the storage service asks the main thread to do (part of CoreOutputs). */
export type StorageOutputs = Pick<CoreOutputs, 'storeSend' | 'message' | 'storage'>;

/** the core's timers (timeouts, maintenance, anti-entropy) run this often */
export const STORAGE_TICK_MS = 250;
/** audits start at most this often, whatever the pace of Blackhole blocks (a catch-up brings many) */
const AUDIT_MIN_MS = 10_000;
/** presence is looked at again for an unknown peer at most this often (between ticks) */
const REFRESH_MIN_MS = 200;
/** a failing disk is logged and reported at once at most this often */
const FAILURE_REPORT_MS = 5_000;
/** delivered inbox ids are forgotten after this long */
const DELIVERED_KEEP_MS = 90 * 24 * 3600_000;
/** clocks of this account's keys remembered from reads and writes */
const MAX_REMEMBERED_CLOCKS = 10_000;
/**
 * client operations running in the core at once (the rest wait their turn in order). Puts
 * started together share one request per replica, so a wider window makes bigger, fewer
 * messages; but everything admitted must be answered within the replica timeout. Measured
 * (8 tabs, 64 puts in flight each, 2 cores): 16: 256 puts/s; 32: 330/s; 64: 269/s and a
 * put failing NO_PEERS (its replicas' answers came after the timeout).
 */
export const CLIENT_WINDOW = 32;

const utf8 = new TextEncoder();
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export interface StorageServiceDeps {
  signer: Signer;
  store: StorageStore;
  out: StorageOutputs;
  presence: PresenceView;
  /** storage units this Star offers (default 1) */
  capacity?: number;
  quota?: QuotaSource;
  timing?: Partial<StorageTiming>;
  /** the worker's clock (tests pass their own) */
  clock?: () => number;
  /** the core's tick timer; false: none (tests call tick()) */
  tickMs?: number | false;
  /** a transfer proposal found in this account's inbox (the chain countersigns it) */
  proposal?(halfBlock: Uint8Array): Promise<void>;
}

type OkReply = Extract<ClientReply, { ok: true }>;

/** a step's outputs go out once its transaction committed */
interface Released {
  released: Promise<void>;
}

interface Pending {
  resolve(reply: OkReply): void;
  reject(err: StarError): void;
}

export class StorageService {
  readonly me: MemberId;
  readonly address: string;
  readonly capacity: number;
  readonly #deps: StorageServiceDeps;
  readonly #identity: StorageIdentity;
  readonly #core: StorageNode;
  readonly #members: StorageMembers;
  readonly #verifier = new Ed25519Verifier();
  readonly #penalties = new PenaltyBox();
  readonly #clock: () => number;
  readonly #pending = new Map<number, Pending>();
  /** client operations waiting for a place in the window, and how many run */
  readonly #waiting: Array<{ start: (requestId: number, now: number) => StorageOutput[]; resolve: (r: OkReply) => void; reject: (e: StarError) => void }> = [];
  #running = 0;
  #admitQueued = false;
  /** the outputs of the last step carried out: the next step's go out after them */
  #released: Promise<void> = Promise.resolve();
  /** per own key (keyId): the merged clock of what this Star last read or wrote, and whether a value (not only tombstones) was among it */
  readonly #clocks = new Map<string, { clock: VectorClock; live: boolean }>();
  #lastRefreshAt = -Infinity;
  readonly #inbox: InboxDelivery;
  /** released messages, handed to the main thread once per task and peer */
  readonly #outbox = new Outbox((sends) => this.#sendFrames(sends));
  readonly #reporter: StatsReporter;
  #queue: Promise<unknown> = Promise.resolve();
  #nextRequest = 1;
  #lastNow = 0;
  #timer?: ReturnType<typeof setInterval>;
  #ticking = false;
  #lastAuditAt = -Infinity;
  #lastFailureReportAt = -Infinity;
  #closed = false;

  private constructor(deps: StorageServiceDeps, identity: StorageIdentity) {
    this.#deps = deps;
    this.#identity = identity;
    this.me = toHex(deps.signer.pk);
    this.address = addressFromPublicKey(deps.signer.pk);
    this.capacity = deps.capacity ?? 1;
    this.#clock = deps.clock ?? Date.now;
    this.#core = new StorageNode({ me: this.me, capacity: this.capacity, quorum: DEFAULT_QUORUM, ...(deps.timing ? { timing: deps.timing } : {}) });
    this.#members = new StorageMembers(this.me);
    this.#inbox = new InboxDelivery({
      me: this.me,
      store: deps.store,
      open: (r) => this.#open(r),
      emit: (m) => deps.out.message(m),
      proposal: async (halfBlock) => {
        if (!deps.proposal) throw new Error('no chain to take a transfer proposal from the inbox');
        await deps.proposal(halfBlock);
      },
      remove: (r) => this.#removeInbox(r),
      clock: this.#clock,
    });
    this.#reporter = new StatsReporter({ held: () => this.#held(), ...(deps.quota ? { quota: deps.quota } : {}), emit: (stats) => deps.out.storage(stats) });
  }

  /**
   * Loads this account's storage identity (device id, reader key: what its presence record
   * needs) and returns; then, in the background, the reader keys seen before, every stored
   * version (core.loaded), the membership, and the ticks. Operations wait for that (`ready`).
   */
  static async open(deps: StorageServiceDeps): Promise<StorageService> {
    const identity = await deps.store.identity(toHex(deps.signer.pk));
    const s = new StorageService(deps, identity);
    s.ready = s.#start();
    s.ready.catch((err: unknown) => console.error('starweave: storage could not load what this browser kept; put, get and send fail in this tab', err));
    return s;
  }

  /** resolves once the stored versions are loaded and the ticks run; rejects when they could not be */
  ready: Promise<void> = Promise.resolve();

  async #start(): Promise<void> {
    const quota = this.#deps.quota;
    // once per start: keep this origin's data from eviction where the browser agrees
    if (quota) void quota.persist().then((granted) => console.debug(`starweave: persistent storage ${granted ? 'granted' : 'not granted'}`));
    this.#members.remember(await this.#deps.store.readerKeys());
    const versions = await this.#deps.store.load();
    const now = this.#clock();
    await (await this.#serial(() => this.#carry(this.#core.loaded(versions, this.#at(now))))).released;
    await this.tick(now);
    void this.#deps.store.pruneDelivered(now - DELIVERED_KEEP_MS).catch((err: unknown) => console.warn('starweave: cannot prune delivered inbox ids', err));
    const every = this.#deps.tickMs ?? STORAGE_TICK_MS;
    if (every !== false && !this.#closed) this.#timer = setInterval(() => this.#onTimer(), every);
  }

  /** this account's X25519 public key, for its presence record (null: none in this browser) */
  get readerKey(): Uint8Array | null {
    return this.#identity.readerPublic;
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#outbox.close();
    this.#inbox.close();
    this.#reporter.close();
    const err = new StarError('CLOSED', 'this Star was closed before the storage operation finished; connect again and retry');
    for (const w of this.#waiting.splice(0)) w.reject(err);
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  // ---- the embed API ------------------------------------------------------------------

  /** `star.put`: signs (and, with readers, seals) in this worker; resolves once W replicas acknowledged */
  async put(key: string, value: string | Uint8Array, opts: PutOptions, now: number): Promise<void> {
    await this.#started();
    checkName(key);
    const plain = encodeValue(value);
    checkSize(plain.length);
    const readers = opts?.readers === undefined ? undefined : await this.#sealReaders(opts.readers, now);
    const { clock } = await this.#nextClock(key, false, now);
    const payload = readers ? await sealValue(plain, readers) : plain;
    checkSize(payload.length, readers !== undefined);
    await this.#write({ owner: this.#deps.signer.pk, name: key, signer: this.#deps.signer.pk, clock, time: timeOf(now), value: payload, sealed: readers !== undefined, segmentsRoot: segmentsRootOf(payload) });
  }

  async get(key: string, owner: string | undefined, now: number): Promise<GetResult> {
    await this.#started();
    checkName(key, true);
    const ownerPk = owner === undefined ? this.#deps.signer.pk : publicKeyFromAddress(owner);
    const ownerHex = toHex(ownerPk);
    const records = await this.#quorumGet(ownerHex, key);
    if (ownerHex === this.me) this.#noteClocks(keyIdOf({ owner: ownerHex, name: key }), records);
    // a tombstone sibling is a concurrent delete: the values beside it are still shown
    const versions: StoredValue[] = [];
    for (const r of records) {
      if (r.value === null) continue;
      versions.push({ value: await this.#open(r), writer: addressFromPublicKey(r.signer), writtenAt: r.time, private: r.sealed });
    }
    return { key, owner: addressFromPublicKey(ownerPk), versions };
  }

  /** a tombstone put; nothing is written when no live version is known anywhere */
  async delete(key: string, now: number): Promise<void> {
    await this.#started();
    checkName(key);
    const { clock, live } = await this.#nextClock(key, true, now);
    if (!live) return;
    await this.#write({ owner: this.#deps.signer.pk, name: key, signer: this.#deps.signer.pk, clock, time: timeOf(now), value: null, sealed: false, segmentsRoot: segmentsRootOf(null) });
  }

  /** names with a live value under `prefix`; inbox keys only when the prefix asks for them */
  async list(prefix: string, owner: string | undefined, now: number): Promise<string[]> {
    await this.#started();
    if (typeof prefix !== 'string' || utf8.encode(prefix).length > MAX_NAME_BYTES) throw new StarError('INVALID_ARGUMENT', `list(prefix): the prefix must be a string of at most ${MAX_NAME_BYTES} bytes`);
    const ownerHex = owner === undefined ? this.me : toHex(publicKeyFromAddress(owner));
    const reply = await this.#request((id, t) => this.#core.clientList(id, ownerHex, prefix, t));
    if (reply.op !== 'list') throw new StarError('MALFORMED', 'the storage core answered a list with something else');
    if (reply.partial) console.info(`starweave: list("${prefix}") is partial: some Stars did not answer in time`);
    return prefix.startsWith(INBOX_PREFIX) ? reply.names : reply.names.filter((n) => !n.startsWith(INBOX_PREFIX));
  }

  /** `star.send`: into the recipient's inbox keys; resolves with the message id once stored with W acks */
  async send(to: string, data: string | Uint8Array, now: number): Promise<{ id: string }> {
    await this.#started();
    const toPk = publicKeyFromAddress(to);
    const toHexId = toHex(toPk);
    const plain = encodeValue(data);
    checkSize(plain.length);
    const readerKey = await this.#readerKeyOf(toHexId, now);
    // no reader key known: sent unsealed (signed, readable by storage Stars); see the file comment
    const value = readerKey ? await sealValue(plain, [{ id: toHexId, x25519: readerKey }]) : plain;
    checkSize(value.length, readerKey !== undefined);
    const id = randomHex(16);
    // a fresh key: no earlier version to supersede
    const clock = incrementClock({}, this.#identity.deviceId);
    await this.#write({ owner: toPk, name: inboxName(this.me, id), signer: this.#deps.signer.pk, clock, time: timeOf(now), value, sealed: readerKey !== undefined, segmentsRoot: segmentsRootOf(value) });
    return { id };
  }

  /**
   * A transfer proposal to an account that is not online: left in its inbox, so it is
   * countersigned when it returns even if this Star is gone by then. Public (the chain
   * gossips the same bytes); named by the proposal's hash, so sending it twice writes one key.
   */
  async sendProposal(receiver: Uint8Array, halfBlock: Uint8Array, now: number): Promise<void> {
    await this.#started();
    const value = encodeProposalValue(halfBlock);
    checkSize(value.length);
    const id = `tx-${toHex(sha256(halfBlock)).slice(0, 40)}`;
    const clock = advanceClock({}, this.#identity.deviceId, now);
    await this.#write({ owner: receiver, name: inboxName(this.me, id), signer: this.#deps.signer.pk, clock, time: timeOf(now), value, sealed: false, segmentsRoot: segmentsRootOf(value) });
  }

  /** frames that arrived on store streams, from these peers (batched by the main thread); never throws */
  async frames(batch: ReadonlyArray<{ peerId: string; frames: readonly Uint8Array[] }>, now: number): Promise<void> {
    try {
      await this.ready;
      if (this.#closed) return;
      if (batch.some((b) => this.#members.memberOf(b.peerId) === undefined) && now - this.#lastRefreshAt >= REFRESH_MIN_MS) {
        // its presence may have arrived since the last tick
        await (await this.#serial(() => this.#carry(this.#refreshPresence(this.#at(now))))).released;
      }
      const messages: Array<{ from: MemberId; msg: StoreMessage }> = [];
      for (const { peerId, frames } of batch) {
        const from = this.#members.memberOf(peerId);
        if (from === undefined) {
          console.debug(`starweave: ${frames.length} store frames from ${peerId}, which has no presence record: dropped`);
          continue;
        }
        if (this.#penalties.banned(from, now)) continue;
        for (const frame of frames) {
          const d = decodeStoreMessage(frame);
          if (d.ok) messages.push({ from, msg: d.value });
          else this.#penalise(from, `malformed store frame: ${d.reason}`, now);
        }
      }
      const verified = await this.#verified(messages, now);
      if (verified.length === 0) return;
      const step = await this.#serial(() => {
        const t = this.#at(now);
        return this.#carry(
          this.#core.batch(t, () => {
            for (const { from, msg } of verified) this.#core.message(from, msg, t);
          }),
        );
      });
      // not awaited: the main thread hands over the next frames while this step's
      // transaction commits (its outputs go out in order all the same)
      void step.released;
    } catch (err) {
      console.warn('starweave: store frames could not be handled', err);
    }
  }

  stats(): Promise<StorageStats> {
    return this.#reporter.stats();
  }

  /** a new Blackhole seed (finality): proof-of-possession challenges to co-replicas */
  onSeed(seed: Uint8Array, now: number): void {
    if (this.#closed || now - this.#lastAuditAt < AUDIT_MIN_MS) return;
    this.#lastAuditAt = now;
    void this.#serial(() => this.#carry(this.#core.startAudits(seed, this.#at(now))));
  }

  /** membership from presence, then the core's timers */
  tick(now: number = this.#clock()): Promise<void> {
    this.#inbox.retry(now);
    return this.#serial(() => {
      const t = this.#at(now);
      return this.#carry([...this.#refreshPresence(t), ...this.#core.tick(t)]);
    }).then((step) => step.released);
  }

  // ---- test and debug views -----------------------------------------------------------

  /** names of `owner`'s keys in this Star's own shard (hints not counted) */
  heldNames(ownerHex: MemberId): string[] {
    const out: string[] = [];
    for (const k of this.#core.held()) if (k.key.owner === ownerHex) out.push(k.key.name);
    return out.sort();
  }

  /** the accounts (pk hex) this Star's ring is made of, itself included */
  ringMembers(): MemberId[] {
    return [...this.#core.members].sort();
  }

  /** the signed bytes of every version of one key in this Star's own shard */
  heldVersions(ownerHex: MemberId, name: string): Uint8Array[] {
    return (this.#core.heldKey(keyIdOf({ owner: ownerHex, name }))?.versions ?? []).map(encodeRecord);
  }

  // ---- internals ----------------------------------------------------------------------

  /** Runs core steps one at a time. */
  #serial<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = async () => fn();
    const result = this.#queue.then(run, run);
    this.#queue = result.catch((err: unknown) => console.warn('starweave: storage step failed', err));
    return result;
  }

  /** time for the core: never backwards (the API's `now` comes from the main thread) */
  #at(now: number): number {
    this.#lastNow = Math.max(this.#lastNow, now);
    return this.#lastNow;
  }

  #onTimer(): void {
    if (this.#closed || this.#ticking) return;
    this.#ticking = true;
    void this.tick().finally(() => (this.#ticking = false));
  }

  /**
   * Carries out core outputs, inside the queue: ONE transaction for their persists, started
   * now; once it committed (and every earlier step's outputs went out), the sends (one frame
   * list per peer), replies, events and penalties. The queue does not wait for the commit:
   * the next step runs in the core while this one's transaction is on its way (group commit;
   * waiting made every step cost a commit, measured at about 13 puts/s per tab with 8 tabs).
   * IndexedDB commits readwrite transactions over the same stores in the order they were
   * created, and outputs are released in that same order, so an ack still never goes out
   * before its write is on disk. `ops`: client operations started by these steps, which
   * fail when the transaction does. `released` settles when the outputs went out.
   */
  #carry(outputs: readonly StorageOutput[], ops: readonly number[] = []): Released {
    const persists: PersistBatch[] = [];
    for (const o of outputs) if (o.kind === 'persist') persists.push(o);
    const committed =
      persists.length === 0
        ? Promise.resolve(true)
        : this.#deps.store.commit(persists).then(
            () => true,
            (err: unknown) => {
              this.#persistFailed(err, ops);
              return false;
            },
          );
    const released = Promise.all([committed, this.#released]).then(([ok]) => this.#release(outputs, ok));
    this.#released = released.catch((err: unknown) => console.warn('starweave: storage outputs failed', err));
    // wrapped, so the queue that awaits this step does not await its commit
    return { released };
  }

  #release(outputs: readonly StorageOutput[], committed: boolean): void {
    if (this.#closed) return;
    const sends = new Map<MemberId, StoreMessage[]>();
    const now = this.#lastNow;
    for (const o of outputs) {
      switch (o.kind) {
        case 'send': {
          // not on disk: no ack may promise it, and no request may build on it
          if (!committed) break;
          const list = sends.get(o.to);
          if (list) list.push(o.msg);
          else sends.set(o.to, [o.msg]);
          break;
        }
        case 'reply':
          this.#settle(o.reply);
          break;
        case 'event':
          this.#onEvent(o.event);
          break;
        case 'penalise':
          this.#penalise(o.peer, o.reason, now);
          break;
        case 'persist':
          break;
      }
    }
    this.#outbox.add(sends);
  }

  #persistFailed(err: unknown, ops: readonly number[]): void {
    const quota = isQuotaError(err);
    const error = quota ? quotaExceeded() : storeFailed(err);
    for (const id of ops) {
      const p = this.#pending.get(id);
      if (!p) continue;
      this.#pending.delete(id);
      p.reject(error);
    }
    // a full disk fails step after step: said (and shown) once in a while, not per step
    const now = Date.now();
    if (now - this.#lastFailureReportAt < FAILURE_REPORT_MS) return;
    this.#lastFailureReportAt = now;
    console.warn(`starweave: storage could not save to IndexedDB${quota ? ' (the browser quota is full)' : ''}; the acks of what was not saved were not sent`, err);
    // the wallet shows it now, not after the throttle
    if (quota) void this.#reporter.emitNow(true);
  }

  #sendFrames(sends: ReadonlyMap<MemberId, readonly StoreMessage[]>): void {
    for (const [member, messages] of sends) {
      const route = this.#members.routeTo(member);
      if (!route) {
        console.debug(`starweave: ${messages.length} store messages for ${member.slice(0, 12)}…, which has no presence record: dropped`);
        continue;
      }
      const frames: Uint8Array[] = [];
      for (const m of messages) {
        try {
          frames.push(encodeStoreMessage(m));
        } catch (err) {
          console.warn('starweave: a store message could not be encoded', m.t, err);
        }
      }
      if (frames.length > 0) this.#deps.out.storeSend(route.peerId, route.addrs, frames);
    }
  }

  #settle(reply: ClientReply): void {
    const p = this.#pending.get(reply.requestId);
    if (!p) return; // failed already (its write did not commit)
    this.#pending.delete(reply.requestId);
    if (reply.ok) p.resolve(reply);
    else p.reject(new StarError(reply.error.code, reply.error.message));
  }

  #onEvent(event: StorageEvent): void {
    switch (event.type) {
      case 'stored-changed':
        this.#reporter.changed();
        break;
      case 'inbox':
        void this.#inbox.deliver(event.records);
        break;
      case 'audit':
        // reputation input (the Galaxy will count audits); logged until it does
        console.debug(`starweave: audit of ${event.holder.slice(0, 12)}…: ${event.outcome}`);
        break;
    }
  }

  #penalise(member: MemberId, reason: string, now: number): void {
    console.debug(`starweave: store peer ${member.slice(0, 12)}… misbehaved: ${reason}`);
    if (this.#penalties.penalise(member, now)) console.info(`starweave: ignoring store frames from ${member.slice(0, 12)}… for a while (repeated misbehaviour)`);
  }

  /** the ring from presence (applied to the core when it changed), and reader keys to keep */
  #refreshPresence(now: number): StorageOutput[] {
    this.#lastRefreshAt = now;
    const r = this.#members.refresh(this.#deps.presence.live(now));
    if (r.readerKeys.length > 0) void this.#deps.store.rememberReaderKeys(r.readerKeys, now).catch((err: unknown) => console.warn('starweave: cannot keep reader keys', err));
    return r.members ? this.#core.membership(r.members, now) : [];
  }

  /** Verifies every record of the messages in one batch; messages with a bad signature are dropped and their sender penalised. */
  async #verified(messages: ReadonlyArray<{ from: MemberId; msg: StoreMessage }>, now: number): Promise<Array<{ from: MemberId; msg: StoreMessage }>> {
    const items: VerifyItem[] = [];
    // per record, in message order: its index in `items`, or -1 for a version held here
    // already (the same bytes, signature included: verified when it was first stored)
    const checks: number[] = [];
    const spans: Array<[number, number]> = [];
    for (const { msg } of messages) {
      const records = recordsOf(msg);
      spans.push([checks.length, checks.length + records.length]);
      for (const r of records) {
        if (this.#core.holdsVersion(r)) checks.push(-1);
        else checks.push(items.push(recordVerifyItem(r)) - 1);
      }
    }
    const valid = items.length > 0 ? await this.#verifier.verifyMany(items) : [];
    return messages.filter((m, i) => {
      const [from, to] = spans[i]!;
      const bad = checks.slice(from, to).findIndex((k) => k >= 0 && !valid[k]);
      if (bad === -1) return true;
      this.#penalise(m.from, `sent a ${m.msg.t} whose record ${bad} has a bad signature`, now);
      return false;
    });
  }

  /**
   * Starts one client operation in the core, or queues it while CLIENT_WINDOW are running:
   * a burst of puts otherwise fills the core's per-peer request limits, and every put over
   * them falls back to hinted puts at once, which loads the other Stars further (measured:
   * 8 tabs with 64 puts in flight each, before puts shared requests, made more hinted
   * puts than puts, and almost every put timed out). Queued operations start with the time they start at, so their
   * timeouts count from then.
   */
  #request(start: (requestId: number, now: number) => StorageOutput[]): Promise<OkReply> {
    this.#assertOpen();
    return new Promise<OkReply>((resolve, reject) => {
      this.#waiting.push({ start, resolve, reject });
      this.#admit();
    });
  }

  /** Starts every operation the window has room for in ONE core step (StorageNode.batch), so their puts to a replica leave as one request. */
  #admit(): void {
    const starting: Array<{ id: number; start: (requestId: number, now: number) => StorageOutput[] }> = [];
    while (this.#running < CLIENT_WINDOW && this.#waiting.length > 0) {
      const { start, resolve, reject } = this.#waiting.shift()!;
      this.#running++;
      const id = this.#nextRequest++;
      const done = () => {
        this.#running--;
        // a later turn, so that everything settling now is started together
        if (!this.#admitQueued) {
          this.#admitQueued = true;
          queueMicrotask(() => {
            this.#admitQueued = false;
            this.#admit();
          });
        }
      };
      this.#pending.set(id, {
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      starting.push({ id, start });
    }
    if (starting.length === 0) return;
    void this.#serial(() => {
      const t = this.#at(this.#clock());
      return this.#carry(
        this.#core.batch(t, () => {
          for (const op of starting) op.start(op.id, t);
        }),
        starting.map((op) => op.id),
      );
    }).catch((err: unknown) => {
      for (const { id } of starting) {
        const p = this.#pending.get(id);
        this.#pending.delete(id);
        p?.reject(err instanceof StarError ? err : new StarError('MALFORMED', `storage failed: ${(err as Error).message}`));
      }
    });
  }

  async #quorumGet(owner: MemberId, name: string): Promise<SignedRecord[]> {
    const reply = await this.#request((id, t) => this.#core.clientGet(id, { owner, name }, t));
    if (reply.op !== 'get') throw new StarError('MALFORMED', 'the storage core answered a get with something else');
    return reply.records;
  }

  async #write(unsigned: UnsignedRecord): Promise<void> {
    const record = await signRecord(this.#deps.signer, unsigned);
    await this.#request((id, t) => this.#core.clientPut(id, record, t));
  }

  /**
   * The clock for this account's next version of `name`: this device's entry advanced over
   * everything known of the key (held here, last read or written here; for a delete of a
   * key known nowhere here, a quorum get). `live`: some known version holds a value (a
   * delete has something to delete).
   */
  async #nextClock(name: string, tombstone: boolean, now: number): Promise<{ clock: VectorClock; live: boolean }> {
    const keyId = keyIdOf({ owner: this.me, name });
    if (tombstone && this.#core.heldKey(keyId) === undefined && !this.#clocks.has(keyId)) {
      this.#noteClocks(keyId, await this.#quorumGet(this.me, name));
    }
    // read after the await: a put of the same key meanwhile has moved the clock on
    const held = this.#core.heldKey(keyId)?.versions ?? [];
    const seen = this.#clocks.get(keyId);
    const live = held.some((r) => r.value !== null) || seen?.live === true;
    const clock = advanceClock(mergeClocks(...held.map((r) => r.clock), seen?.clock ?? {}), this.#identity.deviceId, now);
    this.#rememberClock(keyId, clock, !tombstone);
    return { clock, live };
  }

  #noteClocks(keyId: string, records: readonly SignedRecord[]): void {
    // nothing found is not remembered: another device may write the key before this one does
    if (records.length === 0) return;
    const seen = this.#clocks.get(keyId);
    this.#rememberClock(keyId, mergeClocks(seen?.clock ?? {}, ...records.map((r) => r.clock)), records.some((r) => r.value !== null));
  }

  #rememberClock(keyId: string, clock: VectorClock, live: boolean): void {
    this.#clocks.delete(keyId);
    this.#clocks.set(keyId, { clock, live });
    if (this.#clocks.size > MAX_REMEMBERED_CLOCKS) this.#clocks.delete(this.#clocks.keys().next().value!);
  }

  /** the readers to seal for: the named ones and this account, each with a known reader key */
  async #sealReaders(addresses: unknown, now: number): Promise<SealReader[]> {
    if (!Array.isArray(addresses)) throw new StarError('INVALID_ARGUMENT', 'put(key, value, { readers }): readers must be a list of addresses');
    const own = this.#identity.readerPublic;
    if (!own) throw new StarError('INVALID_ARGUMENT', "this browser cannot make an X25519 reader key (its WebCrypto lacks X25519), so it cannot keep private values; use a current Chromium, Firefox or Safari");
    const ids = new Map<MemberId, string>([[this.me, this.address]]);
    for (const a of addresses) ids.set(toHex(publicKeyFromAddress(a as string)), (a as string).trim());
    if (ids.size > MAX_READERS) throw new StarError('INVALID_ARGUMENT', `a private value can have at most ${MAX_READERS} readers, this account included (${ids.size} given)`);
    const readers: SealReader[] = [];
    for (const [id, address] of ids) {
      const key = id === this.me ? own : await this.#readerKeyOf(id, now);
      if (!key) {
        throw new StarError('INVALID_ARGUMENT', `reader ${address} has not been seen online by this Star, so its reader key is unknown: that reader must be online once (open its wallet while this page is open), then retry`);
      }
      readers.push({ id, x25519: key });
    }
    return readers;
  }

  /** an account's X25519 key from presence (now or remembered); refreshes presence once when unknown */
  async #readerKeyOf(member: MemberId, now: number): Promise<Uint8Array | undefined> {
    if (member === this.me) return this.#identity.readerPublic ?? undefined;
    const known = this.#members.readerKeyOf(member);
    if (known) return known;
    await (await this.#serial(() => this.#carry(this.#refreshPresence(this.#at(now))))).released;
    return this.#members.readerKeyOf(member);
  }

  /** the value as put; sealed ones are opened with this account's reader key */
  async #open(r: SignedRecord): Promise<string | Uint8Array> {
    if (r.value === null) throw new StarError('MALFORMED', 'a tombstone has no value');
    if (!r.sealed) return decodeValue(r.value);
    const key = this.#identity.readerKey;
    if (!key) throw new StarError('NOT_A_READER', 'this browser has no X25519 reader key (its WebCrypto lacks X25519), so it cannot open private values; use a current Chromium, Firefox or Safari');
    return decodeValue(await openValue(r.value, this.me, key));
  }

  /** the tombstone of a delivered inbox record: its clock covers the sender's and whatever this Star holds of the key */
  async #removeInbox(r: SignedRecord): Promise<void> {
    const now = this.#clock();
    const held = this.#core.heldKey(keyIdOf({ owner: this.me, name: r.name }))?.versions ?? [];
    const clock = incrementClock(mergeClocks(r.clock, ...held.map((v) => v.clock)), this.#identity.deviceId);
    await this.#write({ owner: this.#deps.signer.pk, name: r.name, signer: this.#deps.signer.pk, clock, time: timeOf(now), value: null, sealed: false, segmentsRoot: segmentsRootOf(null) });
  }

  #held(): Omit<StorageStats, 'quota'> {
    const s = this.#core.stats();
    const owners = new Set<string>();
    for (const k of this.#core.held()) owners.add(k.key.owner);
    return { keys: s.keys, versions: s.records, bytes: s.bytes, owners: owners.size, hinted: s.hinted };
  }

  /** open, and what the browser kept is loaded */
  async #started(): Promise<void> {
    this.#assertOpen();
    try {
      await this.ready;
    } catch (err) {
      throw err instanceof StarError ? err : new StarError('CLOSED', `storage is not running in this tab: it could not load what this browser kept (${(err as Error).message}); reload the page`);
    }
    this.#assertOpen();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StarError('CLOSED', 'this Star is closed; connect again');
  }
}

function recordsOf(msg: StoreMessage): readonly SignedRecord[] {
  return msg.t === 'put' || msg.t === 'handoff' || msg.t === 'inbox' || msg.t === 'records' ? msg.records : [];
}

/** a key name the API accepts: what record.ts allows, minus the inbox namespace (written only by send) */
function checkName(name: unknown, reading = false): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new StarError('INVALID_ARGUMENT', 'a key must be a non-empty string');
  const bytes = utf8.encode(name).length;
  if (bytes > MAX_NAME_BYTES) throw new StarError('INVALID_ARGUMENT', `the key is ${bytes} bytes of UTF-8; at most ${MAX_NAME_BYTES} are allowed`);
  if (CONTROL.test(name)) throw new StarError('INVALID_ARGUMENT', 'a key must not contain control characters');
  if (!reading && name.startsWith(INBOX_PREFIX)) throw new StarError('INVALID_ARGUMENT', `keys under "${INBOX_PREFIX}" are inbox messages: use send(to, message) to write one`);
}

function checkSize(bytes: number, sealed = false): void {
  if (bytes <= MAX_VALUE_BYTES) return;
  const what = sealed ? 'sealed for its readers, the value takes' : 'the value takes';
  throw new StarError('MESSAGE_TOO_LARGE', `${what} ${bytes} bytes (with its 1-byte type); at most ${MAX_VALUE_BYTES} bytes can be stored under one key: split it over several keys`);
}

function timeOf(now: number): number {
  return Math.max(0, Math.floor(now));
}

/** `clock` with `writer`'s entry moved past both its old value and the time (ms) */
export function advanceClock(clock: VectorClock, writer: string, now: number): VectorClock {
  const next = incrementClock(clock, writer);
  return { ...next, [writer]: Math.max(next[writer] ?? 1, Math.floor(now)) };
}
