/**
 * A Star as the page sees it: the object `starweave.connect()` returns. It wires the
 * worker (the Star core: account key, chains, validation) to the libp2p node on this
 * thread and exposes the embed API.
 */
import { proxy, wrap, type Remote } from 'comlink';
import type { Balance, ConnectOptions, FaucetPayout, FinalityProofInfo, GetResult, GossipMessage, PeerInfo, PutOptions, RelayInfo, StarEvents, StarStatus, StorageStats, Transfer, TransferStatus } from '../../shared/api.ts';
import { encodeChainMessage } from '../../shared/chain/chain-message.ts';
import { StarError } from '../../shared/errors.ts';
import { CHAIN_TOPIC } from '../../shared/gossip/topics.ts';
import { relayMultiaddr } from '../../shared/net/relay-address.ts';
import type { CoreCallbacks, Result, StarCoreApi } from '../../worker/star-core.ts';
import type { VerifyBenchResult } from '../../worker/verify-bench.ts';
import { ChainLink } from './chain-link.ts';
import { coalesce } from './coalesce.ts';
import { DirectDialer, isDirect } from './direct-dialer.ts';
import { Emitter } from './emitter.ts';
import { askFaucet } from './faucet-client.ts';
import { FinalityLink } from './finality-link.ts';
import { HeldMessages } from './held-messages.ts';
import { loadGenesis } from './genesis-source.ts';
import { AppGossip } from './gossip.ts';
import { createStarNode, type StarNode } from './libp2p-node.ts';
import { RelayLink } from './relay-link.ts';
import { checkAddress, checkData, checkOwner, checkOwnKey, checkPrefix, checkPutOptions, checkReadKey } from './storage-args.ts';
import { StorageLink } from './storage-link.ts';
import type { RoundTiming } from '../../shared/finality/star-finality.ts';

export interface StarDebug {
  publishRaw(topic: string, bytes: Uint8Array): Promise<void>;
  peerScore(peerId: string): number;
  topicPeers(topic: string): string[];
  meshPeers(topic: string): string[];
  /** the gossip topics this Star is in */
  topics(): string[];
  /** signs two different blocks at this chain's next seq and publishes both (the twin to `toB` if given); their ids */
  fork(to: string, amount: number, toB?: string): Promise<{ ids: string[] }>;
  /** this Star's view of the Blackhole chain; `final`: half-blocks it knows final */
  finality(): Promise<{ round: number; finalHeight: number; final: number }>;
  /** when this Star's seat passed each step of its last seated rounds */
  roundTimes(): Promise<RoundTiming[]>;
  isBlocked(address: string): Promise<boolean>;
  /** half-blocks this Star holds, all chains */
  chainSize(): Promise<number>;
  verifyBench(genesis: unknown, blocks: Uint8Array[], batch: number): Promise<VerifyBenchResult>;
  /** publishes prepared chain messages on the chain topic, as bytes */
  publishChain(messages: Uint8Array[]): Promise<void>;
  /** names of `owner`'s keys this Star holds in its own shard (hints not counted) */
  storageHeld(owner: string): Promise<string[]>;
  /** the accounts this Star's storage ring is made of, itself included */
  storageMembers(): Promise<string[]>;
  /** the signed bytes of every version of one key held here (what a storage Star sees) */
  storageRaw(owner: string, key: string): Promise<Uint8Array[]>;
  /** per peer: open `/starweave/store/1` streams and frames waiting to be written */
  storageStreams(): Record<string, { streams: number; queued: number }>;
}

/** the most often a Star emits `status` (peers come and go in bursts) */
const STATUS_EVENT_MS = 250;

function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new StarError(r.code, r.message);
  return r.value;
}

export class Star {
  readonly address: string;
  readonly peerId: string;
  /** present only when connected with `{ debug: true }` (tests) */
  readonly debug?: StarDebug;
  private readonly node: StarNode;
  private readonly worker: Worker;
  private readonly core: Remote<StarCoreApi>;
  private readonly relay: RelayLink;
  /** the relay state last reported: the relay's side effects run once per connection */
  private relayState: RelayInfo['state'] = 'connecting';
  private readonly dialer: DirectDialer;
  private readonly gossip: AppGossip;
  private readonly chain: ChainLink;
  private readonly finality: FinalityLink;
  private readonly storage: StorageLink;
  private readonly held: HeldMessages;
  private readonly events: Emitter<StarEvents>;
  private readonly relayUrl: string;
  private chainStarted?: Promise<boolean>;
  private addresses: Record<string, string> = {};
  private closed = false;
  private readonly onClosed: () => void;
  /**
   * `status` events, at most one per STATUS_EVENT_MS: connections open and close in bursts
   * (a relayed stream, a dial that failed), and each event costs two worker calls and a
   * wallet render on this thread, the one libp2p runs on.
   */
  private readonly statusChanged = coalesce(() => this.emitStatus(), STATUS_EVENT_MS);

  private constructor(parts: {
    node: StarNode;
    worker: Worker;
    core: Remote<StarCoreApi>;
    chain: ChainLink;
    finality: FinalityLink;
    storage: StorageLink;
    held: HeldMessages;
    events: Emitter<StarEvents>;
    address: string;
    relayUrl: string;
    debug: boolean;
    onClosed: () => void;
  }) {
    const { node, core, chain } = parts;
    this.finality = parts.finality;
    this.storage = parts.storage;
    this.held = parts.held;
    this.node = node;
    this.worker = parts.worker;
    this.core = core;
    this.chain = chain;
    this.events = parts.events;
    this.onClosed = parts.onClosed;
    this.address = parts.address;
    this.relayUrl = parts.relayUrl;
    this.peerId = node.peerId.toString();
    this.gossip = new AppGossip(node, core);
    this.dialer = new DirectDialer(node);
    this.relay = new RelayLink(node, parts.relayUrl, (info) => this.onRelay(info));
    node.addEventListener('connection:open', () => this.statusChanged.trigger());
    node.addEventListener('connection:close', () => this.statusChanged.trigger());
    if (parts.debug) {
      this.debug = {
        publishRaw: (topic, bytes) => this.gossip.publishRaw(topic, bytes),
        peerScore: (peerId) => this.gossip.peerScore(peerId),
        topicPeers: (topic) => this.gossip.topicPeers(topic),
        meshPeers: (topic) => this.gossip.meshPeers(topic),
        topics: () => node.services.pubsub.getTopics(),
        fork: async (to, amount, toB) => unwrap(await this.core.forkForTest(to, amount, Date.now(), toB)),
        finality: () => this.core.finalityStatus(),
        roundTimes: () => this.core.roundTimes(),
        isBlocked: async (address) => unwrap(await this.core.isBlocked(address)),
        chainSize: () => this.core.chainSize(),
        verifyBench: async (genesis, blocks, batch) => unwrap(await this.core.verifyBench(genesis, blocks, batch)),
        publishChain: async (messages) => {
          for (const m of messages) this.chain.publish(CHAIN_TOPIC, m);
        },
        storageHeld: async (owner) => unwrap(await this.core.storageHeld(owner)),
        storageMembers: async () => unwrap(await this.core.storageMembers()),
        storageRaw: async (owner, key) => unwrap(await this.core.storageRaw(owner, key)),
        storageStreams: () => this.storage.lanesView(),
      };
    }
  }

  static async start(opts: ConnectOptions & { relay: string; workerUrl: string; onClosed: () => void }): Promise<Star> {
    const worker = new Worker(opts.workerUrl, { name: 'starweave-core' });
    const core = wrap<StarCoreApi>(worker);
    const node = await createStarNode();
    const chain = new ChainLink(node, core);
    const finality = new FinalityLink(node, core);
    const storage = new StorageLink(node, core);
    const events = new Emitter<StarEvents>();
    const held = new HeldMessages(events);
    let star: Star | undefined;
    const callbacks: CoreCallbacks = {
      publish: (topic, bytes) => chain.publish(topic, bytes),
      deliver: (peerId, addrs, bytes) => chain.deliver(peerId, addrs, bytes),
      sync: (peerId) => chain.sync(peerId),
      transfer: (t) => events.emit('transfer', t),
      fraud: (address) => events.emit('fraud', { address }),
      storeSend: (peerId, addrs, frames) => storage.send(peerId, addrs, frames),
      message: (m) => held.deliver(m),
      storage: (stats) => events.emit('storage', stats),
      cluster: (c) => finality.moveTo(c),
      lost: () => void star?.stop({ code: 'TAKEN_OVER', message: 'This account is now running in another tab of this browser, so this tab stopped. Reload this page to take it back here.' }),
    };
    const init = await core.init({ takeOver: opts.takeOver === true, debug: opts.debug === true }, proxy(callbacks));
    if (!init.ok) {
      await node.stop();
      worker.terminate();
      throw new StarError(init.code, init.message);
    }
    star = new Star({ node, worker, core, chain, finality, storage, held, events, address: init.value.address, relayUrl: opts.relay, debug: opts.debug === true, onClosed: opts.onClosed });
    // without the relay the Star still starts; the chains start when the relay answers
    await star.ensureChain().catch((err: unknown) => console.warn('starweave: cannot start the chains yet', err));
    star.relay.start();
    return star;
  }

  async status(): Promise<StarStatus> {
    const relayInfo = this.relay.current;
    // before the chains start (or on a network without Galaxies) both stay 0
    const { cluster, round, finalHeight } = this.closed ? { cluster: 0, round: 0, finalHeight: 0 } : await this.core.finalityStatus().catch(() => ({ cluster: 0, round: 0, finalHeight: 0 }));
    return { relay: relayInfo.state, relayInfo, peers: this.peers(), cluster, round, finalHeight };
  }

  async publish(topic: string, data: string | Uint8Array): Promise<void> {
    this.assertOpen();
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new StarError('INVALID_ARGUMENT', 'publish(topic, data): data must be a string or a Uint8Array');
    }
    await this.gossip.publish(topic, data);
  }

  subscribe(topic: string, fn: (m: GossipMessage) => void): () => void {
    this.assertOpen();
    return this.gossip.subscribe(topic, fn);
  }

  // ---- accounts and transfers -------------------------------------------------------

  /** Dev network only: the relay's faucet sends this account coins (rate-limited). */
  async requestFaucet(): Promise<FaucetPayout> {
    await this.chainReady();
    const payout = await askFaucet(this.relayUrl, this.address);
    const relayPeer = this.relay.current.peerId ?? '';
    await this.core.ingestAnswer(encodeChainMessage({ t: 'blocks', blocks: [payout.block], more: false, proofs: [] }), relayPeer, Date.now());
    return { id: payout.id, amount: payout.amount };
  }

  async balance(address?: string): Promise<Balance> {
    await this.chainReady();
    return unwrap(await this.core.balance(address));
  }

  /** Proposes a transfer in this account's chain; the receiver's Star countersigns it. */
  async transfer(to: string, amount: number, memo = ''): Promise<{ id: string }> {
    await this.chainReady();
    if (typeof to !== 'string') throw new StarError('INVALID_ADDRESS', 'transfer(to, amount, memo?): `to` must be an address string starting with sw1');
    if (typeof memo !== 'string') throw new StarError('INVALID_ARGUMENT', 'transfer(to, amount, memo?): memo must be a string');
    return unwrap(await this.core.transfer(to, amount, memo, Date.now()));
  }

  async transferStatus(id: string): Promise<TransferStatus> {
    await this.chainReady();
    return unwrap(await this.core.transferStatus(id));
  }

  /** This account's transfers, newest first: all of them, or the newest `limit`. */
  async history(options: { limit?: number } = {}): Promise<Transfer[]> {
    const { limit } = options;
    if (limit !== undefined && !(Number.isSafeInteger(limit) && limit > 0)) {
      throw new StarError('INVALID_ARGUMENT', `history limit must be a positive whole number, got ${String(limit)}; leave it out for the whole history`);
    }
    await this.chainReady();
    return unwrap(await this.core.history(limit));
  }

  /**
   * Why a half-block (a transfer id: its proposal) is final: the Blackhole block, the Merkle
   * path from its hash to the block's `finalRoot` and the Galaxy signatures, checked by this
   * Star (`verified`). Undefined while it is not final.
   */
  async finalityProof(id: string): Promise<FinalityProofInfo | undefined> {
    await this.chainReady();
    if (typeof id !== 'string') throw new StarError('INVALID_ARGUMENT', 'finalityProof(id): id must be a transfer id string');
    return unwrap(await this.core.finalityProof(id.toLowerCase()));
  }

  /** The account key, encrypted with a passphrase: the only way it leaves the worker. */
  async exportBackup(passphrase: string): Promise<string> {
    this.assertOpen();
    return unwrap(await this.core.exportBackup(passphrase));
  }

  /**
   * Replaces this browser's account with the one in `backup`. This Star closes; connect
   * again (the wallet reloads) to run the restored account.
   */
  async restoreBackup(backup: string, passphrase: string): Promise<{ address: string }> {
    this.assertOpen();
    const restored = unwrap(await this.core.restoreBackup(backup, passphrase));
    await this.close();
    return restored;
  }

  // ---- storage shards and the inbox ---------------------------------------------------

  /**
   * Stores `value` under `key` in this account's namespace on N = 3 Stars; resolves once
   * W = 2 of them acknowledged. With `opts.readers` the value is sealed in this Star's worker
   * for those accounts (and this one) and the storage Stars hold ciphertext only.
   */
  async put(key: string, value: string | Uint8Array, opts?: PutOptions): Promise<void> {
    this.assertOpen();
    const k = checkOwnKey('put(key, value, opts?)', key);
    const v = checkData('put(key, value, opts?)', value, 'value');
    const o = checkPutOptions('put(key, value, opts?)', opts);
    await this.chainReady();
    unwrap(await this.core.storagePut(k, v, o, Date.now()));
  }

  /**
   * The versions of `owner`'s key (this account's by default) that R = 2 Stars hold: none,
   * one, or concurrent siblings (a later `put` by the owner supersedes them all).
   */
  async get(key: string, owner?: string): Promise<GetResult> {
    this.assertOpen();
    const k = checkReadKey('get(key, owner?)', key);
    const o = checkOwner('get(key, owner?)', owner);
    await this.chainReady();
    return unwrap(await this.core.storageGet(k, o, Date.now()));
  }

  /** Deletes this account's key (a signed tombstone replaces every version). */
  async delete(key: string): Promise<void> {
    this.assertOpen();
    const k = checkOwnKey('delete(key)', key);
    await this.chainReady();
    unwrap(await this.core.storageDelete(k, Date.now()));
  }

  /** The key names of `owner` (this account by default) that start with `prefix`. */
  async list(prefix: string, owner?: string): Promise<string[]> {
    this.assertOpen();
    const p = checkPrefix('list(prefix, owner?)', prefix);
    const o = checkOwner('list(prefix, owner?)', owner);
    await this.chainReady();
    return unwrap(await this.core.storageList(p, o, Date.now()));
  }

  /**
   * Puts a message into `to`'s inbox (stored by the Stars that hold its inbox keys);
   * its Star delivers it as on('message') when it is online, at once or later.
   */
  async send(to: string, message: string | Uint8Array): Promise<{ id: string }> {
    this.assertOpen();
    const recipient = checkAddress('send(to, message)', to, '`to`');
    const data = checkData('send(to, message)', message, 'message');
    await this.chainReady();
    return unwrap(await this.core.sendMessage(recipient, data, Date.now()));
  }

  /** What this Star holds for the network (its shard), and the browser's quota when known. */
  async storageStats(): Promise<StorageStats> {
    this.assertOpen();
    return unwrap(await this.core.storageStats());
  }

  /**
   * `on('message')`: a message is delivered once; those that arrived before the first
   * handler are handed to it just after `on()` returns.
   */
  on<K extends keyof StarEvents>(event: K, fn: (value: StarEvents[K]) => void): () => void {
    const off = this.events.on(event, fn);
    if (event === 'message') this.held.release();
    return off;
  }

  off<K extends keyof StarEvents>(event: K, fn: (value: StarEvents[K]) => void): void {
    this.events.off(event, fn);
  }

  async close(): Promise<void> {
    await this.stop();
  }

  // ---- internals --------------------------------------------------------------------

  private async stop(reason?: StarEvents['closed']): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.statusChanged.cancel();
    this.relay.stop();
    this.dialer.stop();
    this.chain.stop();
    this.finality.stop();
    this.storage.stop();
    // whatever fails while stopping, the Star still ends and says why
    await Promise.resolve(this.node.stop()).catch((err: unknown) => console.warn('starweave: libp2p did not stop cleanly', err));
    await this.core.close().catch(() => undefined);
    this.worker.terminate();
    this.onClosed();
    if (reason) this.events.emit('closed', reason);
  }

  /** Starts the chains once the genesis file is known (from the relay, or the last visit). */
  private ensureChain(): Promise<boolean> {
    this.chainStarted ??= (async () => {
      const genesis = await loadGenesis(this.relayUrl);
      if (genesis === undefined) return false;
      unwrap(await this.core.startChain(genesis));
      await this.chain.start();
      // storage membership follows the presence records the chain link gossips; a Star
      // that cannot serve its shard still runs its chain
      await this.storage.start().catch((err: unknown) => console.warn('starweave: cannot serve the storage protocol', err));
      if (await this.core.finalityEnabled()) this.finality.start();
      return true;
    })().then(
      (ok) => {
        if (!ok) this.chainStarted = undefined;
        return ok;
      },
      (err: unknown) => {
        this.chainStarted = undefined;
        throw err;
      },
    );
    return this.chainStarted;
  }

  private async chainReady(): Promise<void> {
    this.assertOpen();
    if (!(await this.ensureChain())) {
      throw new StarError('RELAY_UNREACHABLE', `this Star has not reached the relay at ${this.relayUrl} yet, so it does not know the network's starting balances; it keeps retrying (start the network with \`npm start\`)`);
    }
  }

  private peers(): PeerInfo[] {
    const relayPeer = this.relay.current.peerId;
    const byPeer = new Map<string, PeerInfo>();
    for (const conn of this.node.getConnections()) {
      const peerId = conn.remotePeer.toString();
      if (peerId === relayPeer) continue;
      const info = byPeer.get(peerId) ?? { peerId, direct: false, score: this.gossip.peerScore(peerId) };
      const address = this.addresses[peerId];
      if (address) info.address = address;
      info.direct ||= isDirect(conn);
      byPeer.set(peerId, info);
    }
    return [...byPeer.values()];
  }

  private onRelay(info: RelayInfo): void {
    // down, or connected but unreachable (the relay holds no reservation for us)
    if (info.state === 'down' || (info.state === 'connected' && info.error)) this.events.emit('relay-error', info);
    const joined = info.state === 'connected' && this.relayState !== 'connected';
    this.relayState = info.state;
    if (joined && info.peerId) {
      void this.core.setGalaxies(this.relay.galaxies).catch(() => undefined);
      const peerId = info.peerId;
      const relayAddr = relayMultiaddr(info.url, peerId);
      this.storage.relayConnected(peerId, relayAddr);
      void this.ensureChain().then((ok) => ok && this.chain.relayConnected(peerId, relayAddr), (err: unknown) => console.warn('starweave: cannot start the chains', err));
    }
    this.statusChanged.trigger();
  }

  private emitStatus(): void {
    if (this.closed) return;
    void this.core
      .addressesByPeer(Date.now())
      .then((a) => (this.addresses = a))
      .catch(() => undefined)
      .then(() => this.status())
      .then((s) => this.events.emit('status', s));
  }

  private assertOpen(): void {
    if (this.closed) throw new StarError('CLOSED', 'this Star was closed; call starweave.connect() again');
  }
}
