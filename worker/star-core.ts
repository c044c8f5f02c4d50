/**
 * The Star core that runs inside the Web Worker. Everything that thinks lives here: the
 * account key, the chains, validation. The main thread only moves bytes between libp2p
 * and this object, and asks it questions.
 *
 * Methods return results instead of throwing StarErrors, because comlink serialises thrown
 * errors without their `code`.
 */
import type { GetResult, PutOptions, StorageStats } from '../shared/api.ts';
import { addressFromPublicKey, publicKeyFromAddress } from '../shared/chain/address.ts';
import { fromHex, toHex } from '../shared/codec/hex.ts';
import { parseGenesis } from '../shared/chain/genesis.ts';
import type { Balance, Transfer, TransferStatus } from '../shared/chain/transfers.ts';
import { StarError } from '../shared/errors.ts';
import { encodeAppMessage } from '../shared/gossip/app-message.ts';
import { judgeGossip, type GossipJudgement, type Verdict } from '../shared/gossip/validate.ts';
import { acquireAccountLock } from './account-lock.ts';
import { loadOrCreateAccount, restoreAccount, type AccountKeys } from './account-keys.ts';
import { ChainService, type CoreOutputs, type GossipItem } from './chain-service.ts';
import { FinalityService, type ClusterGossip, type FinalityDeps, type FinalityProofInfo, type FinalityStatus } from './finality-service.ts';
import { openStarDb, type StarDb } from './star-db.ts';
import { browserQuota } from './storage-quota.ts';
import { StorageService } from './storage-service.ts';
import { IdbStorageStore } from './storage-store.ts';
import { verifyBench, type VerifyBenchResult } from './verify-bench.ts';
import type { RoundTiming } from '../shared/finality/star-finality.ts';

export type Result<T> = { ok: true; value: T } | { ok: false; code: StarError['code']; message: string };

function fail(err: unknown): { ok: false; code: StarError['code']; message: string } {
  if (err instanceof StarError) return { ok: false, code: err.code, message: err.message };
  return { ok: false, code: 'MALFORMED', message: (err as Error).message ?? String(err) };
}

async function attempt<T>(fn: () => T | Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return fail(err);
  }
}

export interface CoreInit {
  /** take the account over from another tab of this browser that runs it */
  takeOver: boolean;
  /** enables test-only switches (forking, benchmarks) */
  debug: boolean;
}

/** Outputs plus the one thing only the lock knows: another tab took the account. */
export interface CoreCallbacks extends CoreOutputs {
  lost(): void;
}

const utf8 = new TextEncoder();

export class StarCore {
  private chain?: ChainService;
  private finality?: FinalityService;
  private storage?: StorageService;
  /** the Galaxies' HTTP bases from /relay.json, kept until finality starts */
  private galaxyUrls: string[] = [];
  private keys?: AccountKeys;
  private db?: StarDb;
  private debug = false;
  private lock?: { release(): void };
  private callbacks?: CoreCallbacks;

  /** Takes the account lock and loads (or creates) this browser's account. */
  async init(opts: CoreInit, callbacks: CoreCallbacks): Promise<Result<{ address: string }>> {
    return attempt(async () => {
      if (this.keys) return { address: this.keys.address };
      this.lock = await acquireAccountLock({ takeOver: opts.takeOver, onLost: () => callbacks.lost() });
      this.db = await openStarDb();
      this.keys = await loadOrCreateAccount(this.db);
      this.debug = opts.debug;
      this.callbacks = callbacks;
      return { address: this.keys.address };
    });
  }

  /**
   * Starts the chains on the network's genesis file (as the relay serves it at
   * /genesis.json): replays what this Star stored and countersigns what waited for it.
   */
  async startChain(genesis: unknown): Promise<Result<{ blocks: number }>> {
    return attempt(async () => {
      if (!this.chain) {
        const { network, balances, galaxies } = parseGenesis(genesis);
        const signer = this.accountKeys().signer;
        // no Galaxies in the genesis file: no Blackhole chain, transfers stop at 'agreed'
        // a new Blackhole head's seed starts the storage audits of its round
        const onSeed = (seed: Uint8Array) => this.storage?.onSeed(seed, Date.now());
        let finality = galaxies.length > 0 ? this.makeFinality({ signer, network, galaxies, balances, db: this.database(), out: this.callbacks!, onSeed }) : undefined;
        // a proposal to an absent account is also left in its inbox (storage starts next)
        const inbox = (receiver: Uint8Array, proposal: Uint8Array) =>
          void this.storage?.sendProposal(receiver, proposal, Date.now()).catch((err: unknown) => console.info('starweave: a proposal could not be left in the receiver\'s inbox; it is delivered when the receiver is seen online', err));
        this.chain = await ChainService.open(signer, balances, this.database(), this.callbacks!, Date.now(), { ...finality?.hooks(), inbox });
        this.storage = await this.startStorage(this.chain);
        if (finality && !(await this.startFinality(finality, this.chain))) finality = undefined;
        if (finality) {
          finality.setGalaxies(this.galaxyUrls);
          this.finality = finality;
        }
        this.chain.agreeToWaiting(Date.now());
      }
      return { blocks: this.chain.engine.size };
    });
  }

  /** Stops writing: the lock is released so another tab may run the account. */
  close(): void {
    this.finality?.close();
    this.storage?.close();
    this.lock?.release();
    this.db?.close();
  }

  encodePublish(topic: string, data: string | Uint8Array, now: number): Result<Uint8Array> {
    try {
      const text = typeof data === 'string';
      const bytes = text ? utf8.encode(data) : data;
      return { ok: true, value: encodeAppMessage({ topic, data: bytes, text, sentAt: now }) };
    } catch (err) {
      return fail(err);
    }
  }

  judge(gossipTopic: string, data: Uint8Array, now: number): GossipJudgement {
    return judgeGossip(gossipTopic, data, now);
  }

  // ---- network inputs (bytes in, verdicts or bytes out) ------------------------------

  judgeChain(items: GossipItem[], now: number): Promise<Verdict[]> {
    return this.service().judgeGossip(items, now);
  }

  judgePresence(bytes: Uint8Array, now: number): Promise<Verdict> {
    return this.service().judgePresence(bytes, now);
  }

  /** Round-topic envelopes (facilitator agreement), one verdict each. */
  judgeRound(items: ClusterGossip[]): Promise<Verdict[]> {
    return this.finality?.judgeRound(items) ?? Promise.resolve(items.map(() => 'ignore' as const));
  }

  /** Checkpoint-topic certificates, one verdict each. */
  judgeCheckpoint(items: ClusterGossip[]): Promise<Verdict[]> {
    return this.finality?.judgeCheckpoint(items) ?? Promise.resolve(items.map(() => 'ignore' as const));
  }

  /** BLACKHOLE_TOPIC blocks, one verdict each. */
  judgeBlackhole(items: Uint8Array[]): Promise<Verdict[]> {
    return this.finality?.judgeBlackhole(items) ?? Promise.resolve(items.map(() => 'ignore' as const));
  }

  /** Whether this network has a Blackhole chain (its genesis file names Galaxies). */
  finalityEnabled(): boolean {
    return this.finality !== undefined;
  }

  /** The Galaxies' HTTP bases (from /relay.json): where a Star catches up what it missed. */
  setGalaxies(urls: string[]): void {
    this.galaxyUrls = urls.filter((u) => typeof u === 'string');
    this.finality?.setGalaxies(this.galaxyUrls);
  }

  finalityStatus(): FinalityStatus {
    return this.finality?.status() ?? { cluster: 0, round: 0, finalHeight: 0, final: 0 };
  }

  /** this Star's last seated rounds, step by step (debug) */
  roundTimes(): RoundTiming[] {
    return this.finality?.roundTimes() ?? [];
  }

  syncRequest(): Uint8Array {
    return this.service().syncRequest();
  }

  answerSync(request: Uint8Array): Uint8Array {
    return this.service().answerSync(request);
  }

  answerDelivery(request: Uint8Array, peer: string, now: number): Promise<Uint8Array> {
    return this.service().answerDelivery(request, peer, now);
  }

  ingestAnswer(answer: Uint8Array, peer: string, now: number): Promise<{ more: boolean; stored: number }> {
    return this.service().ingestAnswer(answer, peer, now);
  }

  presenceRecord(peerId: string, addrs: string[], now: number, ttl: number): Promise<Uint8Array> {
    return this.service().presenceRecord(peerId, addrs, now, ttl);
  }

  addressesByPeer(now: number): Record<string, string> {
    return this.chain?.addressesByPeer(now) ?? {};
  }

  // ---- the account (embed API) ------------------------------------------------------

  transfer(to: string, amount: number, memo: string, now: number): Promise<Result<{ id: string }>> {
    return attempt(() => this.service().transfer(to, amount, memo, now));
  }

  transferStatus(id: string): Promise<Result<TransferStatus>> {
    return attempt(() => this.service().status(id));
  }

  balance(address?: string): Promise<Result<Balance>> {
    return attempt(() => this.service().balance(address));
  }

  history(limit?: number): Promise<Result<Transfer[]>> {
    return attempt(() => this.service().history(limit));
  }

  /** The Merkle path and Galaxy signatures that make half-block `id` final (undefined while it is not). */
  finalityProof(id: string): Promise<Result<FinalityProofInfo | undefined>> {
    return attempt(() => {
      if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)) throw new StarError('INVALID_ARGUMENT', 'finalityProof(id): id must be a transfer id (64 hex characters), as transfer() returns it');
      this.service();
      return this.finality?.proof(id);
    });
  }

  exportBackup(passphrase: string): Promise<Result<string>> {
    return attempt(() => this.accountKeys().exportBackup(passphrase));
  }

  /** Replaces this browser's account; the Star must be restarted to run it. */
  restoreBackup(text: string, passphrase: string): Promise<Result<{ address: string }>> {
    return attempt(async () => ({ address: (await restoreAccount(this.database(), text, passphrase)).address }));
  }

  // ---- storage shards and the inbox (embed API) ----------------------------------------

  /** `star.put`: resolves once W replicas acknowledged; opts.readers makes it private (sealed here) */
  storagePut(key: string, value: string | Uint8Array, opts: PutOptions, now: number): Promise<Result<void>> {
    return attempt(() => this.storageService().put(key, value, opts ?? {}, now));
  }

  /** `star.get`: owner is a checksummed address (default this account) */
  storageGet(key: string, owner: string | undefined, now: number): Promise<Result<GetResult>> {
    return attempt(() => this.storageService().get(key, owner, now));
  }

  storageDelete(key: string, now: number): Promise<Result<void>> {
    return attempt(() => this.storageService().delete(key, now));
  }

  storageList(prefix: string, owner: string | undefined, now: number): Promise<Result<string[]>> {
    return attempt(() => this.storageService().list(prefix, owner, now));
  }

  /** `star.send`: into the recipient's inbox; the id is the one its 'message' event carries */
  sendMessage(to: string, data: string | Uint8Array, now: number): Promise<Result<{ id: string }>> {
    return attempt(() => this.storageService().send(to, data, now));
  }

  /** Frames that arrived on `/starweave/store/1` streams, batched per peer. Never throws. */
  async storageFrames(batch: Array<{ peerId: string; frames: Uint8Array[] }>, now: number): Promise<void> {
    await this.storage?.frames(batch, now);
  }

  storageStats(): Promise<Result<StorageStats>> {
    return attempt(() => this.storageService().stats());
  }

  // ---- test-only switches (connect({ debug: true })) ---------------------------------

  /** names of `owner`'s keys this Star holds in its own shard (hints not counted) */
  storageHeld(owner: string): Promise<Result<string[]>> {
    return attempt(() => {
      this.debugOnly();
      return this.storageService().heldNames(toHexKey(owner));
    });
  }

  /** the accounts (addresses) this Star's storage ring is made of, itself included */
  storageMembers(): Promise<Result<string[]>> {
    return attempt(() => {
      this.debugOnly();
      return this.storageService().ringMembers().map((id) => addressFromPublicKey(hexBytes(id)));
    });
  }

  /** the signed bytes of every version of one key this Star holds in its own shard (what a storage Star sees) */
  storageRaw(owner: string, key: string): Promise<Result<Uint8Array[]>> {
    return attempt(() => {
      this.debugOnly();
      return this.storageService().heldVersions(toHexKey(owner), key);
    });
  }

  forkForTest(to: string, amount: number, now: number, toB?: string): Promise<Result<{ ids: string[] }>> {
    return attempt(() => this.debugOnly().forkForTest(to, amount, now, toB));
  }

  /** half-blocks this Star holds (all chains) */
  chainSize(): number {
    return this.chain?.engine.size ?? 0;
  }

  isBlocked(address: string): Promise<Result<boolean>> {
    return attempt(() => this.service().isBlocked(address));
  }

  verifyBench(genesis: unknown, blocks: Uint8Array[], batch: number): Promise<Result<VerifyBenchResult>> {
    return attempt(() => {
      this.debugOnly();
      return verifyBench(parseGenesis(genesis).balances, blocks, batch);
    });
  }

  // Finality is an addition: if it cannot start, the chains still run without it.
  private makeFinality(deps: FinalityDeps): FinalityService | undefined {
    try {
      return new FinalityService(deps);
    } catch (err) {
      console.error('starweave: finality could not start; transfers will not become final in this tab', err);
      return undefined;
    }
  }

  private async startFinality(finality: FinalityService, chain: ChainService): Promise<boolean> {
    try {
      await finality.start(chain);
      return true;
    } catch (err) {
      finality.close();
      console.error('starweave: finality could not start; transfers will not become final in this tab', err);
      return false;
    }
  }

  // Storage is an addition too: if it cannot start, the chains still run without it. It
  // returns once its identity is loaded (the presence record needs the reader key) and loads
  // its versions in the background.
  private async startStorage(chain: ChainService): Promise<StorageService | undefined> {
    try {
      const storage = await StorageService.open({
        signer: this.accountKeys().signer,
        store: new IdbStorageStore(this.database()),
        out: this.callbacks!,
        presence: chain.presence,
        quota: browserQuota(),
        proposal: (halfBlock) => chain.ingestProposal(halfBlock, Date.now()),
      });
      chain.setStorageInfo({ capacity: storage.capacity, readerKey: storage.readerKey });
      return storage;
    } catch (err) {
      console.error('starweave: storage could not start; put, get and send do not work in this tab', err);
      return undefined;
    }
  }

  private storageService(): StorageService {
    if (this.storage) return this.storage;
    this.service(); // not started yet: the same RELAY_UNREACHABLE as the chains
    throw new StarError('CLOSED', 'storage is not running in this tab: it could not open its IndexedDB stores (see the browser console); reload the page');
  }

  private service(): ChainService {
    if (!this.chain) {
      throw new StarError('RELAY_UNREACHABLE', 'this Star has not reached the network yet, so it does not know its starting balances; it keeps retrying the relay (start the network with `npm start`)');
    }
    return this.chain;
  }

  private debugOnly(): ChainService {
    if (!this.debug) throw new StarError('NOT_APPROVED', 'test switches need connect({ debug: true })');
    return this.service();
  }

  private accountKeys(): AccountKeys {
    if (!this.keys) throw new StarError('CLOSED', 'the Star core is not started');
    return this.keys;
  }

  private database(): StarDb {
    if (!this.db) throw new StarError('CLOSED', 'the Star core is not started');
    return this.db;
  }
}

function toHexKey(address: string): string {
  return toHex(publicKeyFromAddress(address));
}

function hexBytes(hex: string): Uint8Array {
  const bytes = fromHex(hex);
  if (!bytes) throw new StarError('MALFORMED', `not a hex key: ${hex}`);
  return bytes;
}

export type StarCoreApi = Omit<StarCore, never>;
