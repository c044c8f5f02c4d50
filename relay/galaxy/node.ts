/**
 * The Galaxy's libp2p client: it dials the relay over WebSockets (the relay is the gossip
 * hub every Star is connected to) and joins gossipsub like a Star, on the topics a Galaxy
 * works with (one checkpoint topic per cluster, so they change with the cluster count).
 * It only moves bytes; every verdict comes from the driver's handlers.
 *
 * The relay is the Galaxy's only peer, so it forwards everyone's messages: a rejection
 * here would be scored against the relay, and a Galaxy that graylisted its relay would go
 * deaf. So the Galaxy registers no per-topic score parameters (no invalid-delivery
 * penalty); bad messages are still dropped, and the relay scores their real senders.
 *
 * When the relay drops (restart, network), it is dialled again with jittered exponential
 * backoff, reading /relay.json each time in case its peer id changed.
 */
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { gossipsub, type GossipSub, type TopicValidatorResult } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Libp2p } from '@libp2p/interface';
import { webSockets } from '@libp2p/websockets';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { gossipOptions } from '../../shared/gossip/gossip-config.ts';
import type { Verdict } from '../../shared/gossip/validate.ts';
import { backoffDelay, RELAY_BACKOFF } from '../../shared/net/backoff.ts';
import { CONNECTION_MONITOR } from '../../shared/net/connection-monitor.ts';
import { relayMultiaddr } from '../../shared/net/relay-address.ts';
import type { Logger } from '../log.ts';

type GalaxyLibp2p = Libp2p<{ pubsub: GossipSub; identify: unknown }>;

/** Judges one message of a topic; processing may continue after the verdict. */
export type TopicHandler = (data: Uint8Array, now: number) => Promise<Verdict>;

const RELAY_INFO_TIMEOUT_MS = 3_000;
const WATCHDOG_MS = 5_000;

export interface GalaxyNetworkOptions {
  relayUrl: string;
  log: Logger;
  handlers: Record<string, TopicHandler>;
  /** connection count changed */
  onPeers?(count: number): void;
}

export class GalaxyNetwork {
  private readonly node: GalaxyLibp2p;
  private readonly opts: GalaxyNetworkOptions;
  private relayPeer?: string;
  private attempt = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private watchdog?: ReturnType<typeof setInterval>;
  private dialing = false;
  private stopped = false;
  private topics = new Set<string>();

  private constructor(node: GalaxyLibp2p, opts: GalaxyNetworkOptions) {
    this.node = node;
    this.opts = opts;
  }

  static async create(opts: GalaxyNetworkOptions): Promise<GalaxyNetwork> {
    const node = (await createLibp2p({
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      // the relay is usually on loopback, which libp2p refuses to dial by default
      connectionGater: { denyDialMultiaddr: async () => false },
      connectionMonitor: CONNECTION_MONITOR,
      services: { identify: identify(), pubsub: gossipsub(gossipOptions('star')) },
    })) as GalaxyLibp2p;
    const net = new GalaxyNetwork(node, opts);
    net.follow(opts.handlers);
    const peersChanged = (): void => opts.onPeers?.(node.getConnections().length);
    node.addEventListener('connection:open', peersChanged);
    node.addEventListener('connection:close', peersChanged);
    node.addEventListener('peer:disconnect', (evt) => {
      if (evt.detail.toString() !== net.relayPeer || net.stopped) return;
      opts.log.warn({ relay: opts.relayUrl }, 'relay connection lost; reconnecting');
      net.schedule();
    });
    return net;
  }

  /**
   * Be in exactly these topics, each judged by its handler: joins the new ones and leaves
   * the rest (the checkpoint topics follow the cluster count).
   */
  follow(handlers: Record<string, TopicHandler>): void {
    const pubsub = this.node.services.pubsub;
    for (const [topic, handler] of Object.entries(handlers)) {
      pubsub.topicValidators.set(topic, async (_peer, msg) => {
        try {
          return (await handler(msg.data, Date.now())) as TopicValidatorResult;
        } catch (err) {
          // a bug in judging is not the sender's fault: drop without blame
          this.opts.log.warn({ topic, err: (err as Error).message }, 'gossip handler failed');
          return 'ignore' as TopicValidatorResult;
        }
      });
      if (!this.topics.has(topic)) pubsub.subscribe(topic);
    }
    for (const topic of this.topics) {
      if (topic in handlers) continue;
      pubsub.topicValidators.delete(topic);
      pubsub.unsubscribe(topic);
    }
    this.topics = new Set(Object.keys(handlers));
  }

  get peerId(): string {
    return this.node.peerId.toString();
  }

  /** Starts dialling the relay (and keeps it dialled). */
  start(): void {
    void this.dial();
    this.watchdog = setInterval(() => {
      if (!this.relayConnected() && !this.dialing && this.timer === undefined) void this.dial();
    }, WATCHDOG_MS);
    this.watchdog.unref();
  }

  relayConnected(): boolean {
    return this.relayPeer !== undefined && this.node.getConnections().some((c) => c.remotePeer.toString() === this.relayPeer && c.status === 'open');
  }

  connections(): number {
    return this.node.getConnections().length;
  }

  /** Peers subscribed to `topic` that we know of (the relay, once it saw our subscription). */
  subscribers(topic: string): number {
    return this.node.services.pubsub.getSubscribers(topic).length;
  }

  /** Publishing with nobody listening yet is not an error: Stars and Galaxies catch up over HTTP. */
  async publish(topic: string, data: Uint8Array): Promise<void> {
    try {
      await this.node.services.pubsub.publish(topic, data);
    } catch (err) {
      this.opts.log.debug({ topic, err: (err as Error).message }, 'not published');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.watchdog) clearInterval(this.watchdog);
    await this.node.stop();
  }

  private schedule(): void {
    if (this.stopped || this.timer !== undefined) return;
    const delay = backoffDelay(RELAY_BACKOFF, this.attempt++);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.dial();
    }, delay);
  }

  private async dial(): Promise<void> {
    if (this.stopped || this.dialing || this.relayConnected()) return;
    this.dialing = true;
    try {
      const res = await fetch(new URL('/relay.json', this.opts.relayUrl), { signal: AbortSignal.timeout(RELAY_INFO_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`GET /relay.json answered ${res.status}`);
      const { peerId } = (await res.json()) as { peerId?: unknown };
      if (typeof peerId !== 'string') throw new Error('/relay.json has no peerId');
      const addr = multiaddr(relayMultiaddr(this.opts.relayUrl, peerId));
      await this.node.dial(addr, { signal: AbortSignal.timeout(10_000) });
      this.relayPeer = peerId;
      this.attempt = 0;
      this.opts.log.info({ relay: this.opts.relayUrl, relayPeerId: peerId, peerId: this.peerId }, 'joined the relay');
    } catch (err) {
      // the first failures are normal while the relay starts alongside the Galaxy
      const level = this.attempt < 3 ? 'debug' : 'warn';
      this.opts.log[level]({ relay: this.opts.relayUrl, attempt: this.attempt, err: (err as Error).message }, 'relay not reachable; retrying');
      this.dialing = false;
      this.schedule();
      return;
    }
    this.dialing = false;
  }
}
