/**
 * The network side of account chains on the main thread: gossip topics for half-blocks
 * and presence, the sync and transfer-delivery stream protocols, and this Star's presence
 * announcements. It only moves bytes; every judgement is the worker's.
 */
import type { Message, TopicValidatorResult } from '@libp2p/gossipsub';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Remote } from 'comlink';
import { MAX_GOSSIP_BYTES, MAX_STREAM_BYTES, SYNC_PROTOCOL, TRANSFER_PROTOCOL } from '../../shared/chain/chain-message.ts';
import { scoreTopic } from '../../shared/gossip/gossip-config.ts';
import { CHAIN_TOPIC, PRESENCE_TOPIC } from '../../shared/gossip/topics.ts';
import type { Verdict } from '../../shared/gossip/validate.ts';
import { exchange, serveExchange } from '../../shared/net/lp-exchange.ts';
import type { GossipItem } from '../../worker/chain-service.ts';
import type { StarCoreApi } from '../../worker/star-core.ts';
import type { StarNode } from './libp2p-node.ts';
import { openPeerStream, requestAddrs, type RelayRoute } from './peer-stream.ts';
import { ValidatorBatch } from './validator-batch.ts';
import { circuitAddrs } from './circuit-addrs.ts';

/** presence lives this long unless renewed */
export const PRESENCE_TTL_MS = 60_000;
/** announcements: soon after start (others learn us fast), then steadily */
const PRESENCE_SCHEDULE_MS = [500, 3_000, 10_000];
const PRESENCE_EVERY_MS = 20_000;
/** a new Star catches up from the first few Stars it connects to */
const INITIAL_SYNC_PEERS = 3;
/** sync with one peer at most this often (a burst of early blocks asks once) */
const SYNC_EVERY_MS = 500;
const MAX_SYNC_ROUNDS = 50;
const DIAL_TIMEOUT_MS = 15_000;

export class ChainLink {
  private readonly node: StarNode;
  private readonly core: Remote<StarCoreApi>;
  private readonly batch: ValidatorBatch<GossipItem, Verdict>;
  private readonly lastSync = new Map<string, number>();
  private presenceTimer?: ReturnType<typeof setTimeout>;
  private relay?: RelayRoute;
  private initialSyncs = 0;
  /** per peer: a sync is running, and whether another was asked for meanwhile */
  private readonly syncing = new Map<string, { again: boolean }>();
  private readonly syncTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private announcedAddrs = '';
  private stopped = false;

  constructor(node: StarNode, core: Remote<StarCoreApi>) {
    this.node = node;
    this.core = core;
    this.batch = new ValidatorBatch((items) => core.judgeChain(items, Date.now()));
  }

  /** Joins the topics and serves the protocols once the worker's chain is running. */
  async start(): Promise<void> {
    const pubsub = this.node.services.pubsub;
    for (const topic of [CHAIN_TOPIC, PRESENCE_TOPIC]) scoreTopic(pubsub, topic);
    pubsub.topicValidators.set(CHAIN_TOPIC, (peer, msg) => this.judgeChain(peer.toString(), msg));
    pubsub.topicValidators.set(PRESENCE_TOPIC, async (_peer, msg) => (await this.core.judgePresence(msg.data, Date.now())) as TopicValidatorResult);
    pubsub.subscribe(CHAIN_TOPIC);
    pubsub.subscribe(PRESENCE_TOPIC);
    const opts = { runOnLimitedConnection: true, maxInboundStreams: 8 };
    await this.node.handle(SYNC_PROTOCOL, serveExchange(MAX_STREAM_BYTES, (req) => this.core.answerSync(req)), opts);
    await this.node.handle(TRANSFER_PROTOCOL, serveExchange(MAX_GOSSIP_BYTES, (req, conn) => this.core.answerDelivery(req, conn.remotePeer.toString(), Date.now())), opts);
    // chains and fraud proofs from before this Star started come from the Stars it meets
    const catchUp = (peer: string) => {
      if (peer === this.relay?.peer || this.initialSyncs >= INITIAL_SYNC_PEERS) return;
      this.initialSyncs++;
      this.sync(peer);
    };
    for (const conn of this.node.getConnections()) catchUp(conn.remotePeer.toString());
    this.node.addEventListener('connection:open', (evt) => catchUp(evt.detail.remotePeer.toString()));
    // a new relay reservation is a new way to reach us: say so at once
    this.node.addEventListener('self:peer:update', () => {
      if (this.relay !== undefined && circuitAddrs(this.node).join() !== this.announcedAddrs) void this.announce();
    });
  }

  /**
   * The relay is (back): catch up from it and tell the network where this account is.
   * `relayAddr` is the relay's multiaddr: any Star holding a reservation there is
   * reachable at `<relayAddr>/p2p-circuit/p2p/<peer>`.
   */
  relayConnected(relayPeer: string, relayAddr: string): void {
    this.relay = { peer: relayPeer, addr: relayAddr };
    this.sync(relayPeer);
    this.schedulePresence(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.presenceTimer);
    for (const t of this.syncTimers.values()) clearTimeout(t);
  }

  // ---- outputs the worker asks for --------------------------------------------------

  publish(topic: string, bytes: Uint8Array): void {
    if (this.stopped) return;
    this.node.services.pubsub.publish(topic, bytes).catch((err: unknown) => console.warn('starweave: publish failed', topic, err));
  }

  /** Delivers proposals straight to their receiver's Star and takes its agreements back. */
  deliver(peerId: string, addrs: string[], bytes: Uint8Array): void {
    void (async () => {
      try {
        const answer = await this.request(peerId, addrs, TRANSFER_PROTOCOL, bytes);
        await this.core.ingestAnswer(answer, peerId, Date.now());
      } catch (err) {
        // the receiver went away; its next presence record triggers another delivery
        console.info('starweave: transfer delivery to', peerId, 'failed:', (err as Error).message);
      }
    })();
  }

  /**
   * Fetches the history `peer` has and we lack (and the faucet's from the relay). Requests
   * to one peer are coalesced, never dropped: one in flight, the next after SYNC_EVERY_MS.
   */
  sync(peer: string): void {
    for (const p of new Set([peer, this.relay?.peer])) {
      if (p === undefined || this.stopped) continue;
      const running = this.syncing.get(p);
      if (running) {
        running.again = true;
        continue;
      }
      if (this.syncTimers.has(p)) continue;
      const wait = (this.lastSync.get(p) ?? 0) + SYNC_EVERY_MS - Date.now();
      if (wait > 0) {
        this.syncTimers.set(p, setTimeout(() => (this.syncTimers.delete(p), this.sync(p)), wait));
        continue;
      }
      void this.syncWith(p);
    }
  }

  // ---- internals --------------------------------------------------------------------

  private async syncWith(peer: string): Promise<void> {
    const state = { again: false };
    this.syncing.set(peer, state);
    this.lastSync.set(peer, Date.now());
    try {
      for (let round = 0; round < MAX_SYNC_ROUNDS && !this.stopped; round++) {
        const answer = await this.request(peer, [], SYNC_PROTOCOL, await this.core.syncRequest());
        const { more } = await this.core.ingestAnswer(answer, peer, Date.now());
        if (!more) break;
      }
    } catch (err) {
      console.info('starweave: sync with', peer, 'failed:', (err as Error).message);
    } finally {
      this.syncing.delete(peer);
      if (state.again) this.sync(peer);
    }
  }

  private async request(peerId: string, addrs: string[], protocol: string, bytes: Uint8Array): Promise<Uint8Array> {
    const { stream } = await openPeerStream(this.node, peerIdFromString(peerId), requestAddrs(peerId, addrs, this.relay), protocol, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) });
    return exchange(stream, bytes, MAX_STREAM_BYTES);
  }

  private async judgeChain(from: string, msg: Message): Promise<TopicValidatorResult> {
    return (await this.batch.submit({ bytes: msg.data, from })) as TopicValidatorResult;
  }

  private schedulePresence(step: number): void {
    clearTimeout(this.presenceTimer);
    const delay = PRESENCE_SCHEDULE_MS[step] ?? PRESENCE_EVERY_MS;
    this.presenceTimer = setTimeout(() => {
      void this.announce();
      this.schedulePresence(step + 1);
    }, delay);
  }

  private async announce(): Promise<void> {
    if (this.stopped) return;
    const addrs = circuitAddrs(this.node);
    this.announcedAddrs = addrs.join();
    const record = await this.core.presenceRecord(this.node.peerId.toString(), addrs, Date.now(), PRESENCE_TTL_MS);
    this.publish(PRESENCE_TOPIC, record);
  }
}
