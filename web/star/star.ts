/**
 * A Star as the page sees it: the object `starweave.connect()` returns. It wires the
 * worker (the Star core) to the libp2p node on this thread and exposes the embed API.
 */
import { wrap, type Remote } from 'comlink';
import type { ConnectOptions, GossipMessage, PeerInfo, RelayInfo, StarEvents, StarStatus } from '../../shared/api.ts';
import { StarError } from '../../shared/errors.ts';
import type { StarCoreApi } from '../../worker/star-core.ts';
import { DirectDialer, isDirect } from './direct-dialer.ts';
import { Emitter } from './emitter.ts';
import { AppGossip } from './gossip.ts';
import { createStarNode, type StarNode } from './libp2p-node.ts';
import { RelayLink } from './relay-link.ts';

export interface StarDebug {
  publishRaw(topic: string, bytes: Uint8Array): Promise<void>;
  peerScore(peerId: string): number;
  topicPeers(topic: string): string[];
  meshPeers(topic: string): string[];
}

export class Star {
  readonly address: string;
  readonly peerId: string;
  /** present only when connected with `{ debug: true }` (tests) */
  readonly debug?: StarDebug;
  private readonly node: StarNode;
  private readonly worker: Worker;
  private readonly relay: RelayLink;
  private readonly dialer: DirectDialer;
  private readonly gossip: AppGossip;
  private readonly events = new Emitter<StarEvents>();
  private closed = false;
  private readonly onClosed: () => void;

  private constructor(node: StarNode, worker: Worker, core: Remote<StarCoreApi>, address: string, relayUrl: string, debug: boolean, onClosed: () => void) {
    this.node = node;
    this.onClosed = onClosed;
    this.worker = worker;
    this.address = address;
    this.peerId = node.peerId.toString();
    this.gossip = new AppGossip(node, core);
    this.dialer = new DirectDialer(node);
    this.relay = new RelayLink(node, relayUrl, (info) => this.onRelay(info));
    node.addEventListener('connection:open', () => this.emitStatus());
    node.addEventListener('connection:close', () => this.emitStatus());
    if (debug) {
      this.debug = {
        publishRaw: (topic, bytes) => this.gossip.publishRaw(topic, bytes),
        peerScore: (peerId) => this.gossip.peerScore(peerId),
        topicPeers: (topic) => this.gossip.topicPeers(topic),
        meshPeers: (topic) => this.gossip.meshPeers(topic),
      };
    }
  }

  static async start(opts: ConnectOptions & { relay: string; workerUrl: string; onClosed: () => void }): Promise<Star> {
    const worker = new Worker(opts.workerUrl, { name: 'starweave-core' });
    const core = wrap<StarCoreApi>(worker);
    const { address } = await core.init();
    const node = await createStarNode();
    const star = new Star(node, worker, core, address, opts.relay, opts.debug === true, opts.onClosed);
    star.relay.start();
    return star;
  }

  async status(): Promise<StarStatus> {
    const relayInfo = this.relay.current;
    return { relay: relayInfo.state, relayInfo, peers: this.peers(), cluster: 0, round: 0, finalHeight: 0 };
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

  on<K extends keyof StarEvents>(event: K, fn: (value: StarEvents[K]) => void): () => void {
    return this.events.on(event, fn);
  }

  off<K extends keyof StarEvents>(event: K, fn: (value: StarEvents[K]) => void): void {
    this.events.off(event, fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.relay.stop();
    this.dialer.stop();
    await this.node.stop();
    this.worker.terminate();
    this.onClosed();
  }

  private peers(): PeerInfo[] {
    const relayPeer = this.relay.current.peerId;
    const byPeer = new Map<string, PeerInfo>();
    for (const conn of this.node.getConnections()) {
      const peerId = conn.remotePeer.toString();
      if (peerId === relayPeer) continue;
      const info = byPeer.get(peerId) ?? { peerId, direct: false, score: this.gossip.peerScore(peerId) };
      info.direct ||= isDirect(conn);
      byPeer.set(peerId, info);
    }
    return [...byPeer.values()];
  }

  private onRelay(info: RelayInfo): void {
    if (info.state === 'down') this.events.emit('relay-error', info);
    this.emitStatus();
  }

  private emitStatus(): void {
    if (!this.closed) void this.status().then((s) => this.events.emit('status', s));
  }

  private assertOpen(): void {
    if (this.closed) throw new StarError('CLOSED', 'this Star was closed; call starweave.connect() again');
  }
}
