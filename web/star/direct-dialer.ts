/**
 * Turns discovered Stars into direct WebRTC connections, following the DialPlanner's
 * decisions. A discovered Star advertises `/p2p-circuit/webrtc` addresses through its relay
 * reservation; dialing one signals over the relay and ends in a direct RTCPeerConnection.
 */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { WebRTC } from '@multiformats/multiaddr-matcher';
import { DialPlanner } from '../../shared/net/dial-planner.ts';
import { DIAL_TIMEOUT_MS } from './libp2p-node.ts';
const TICK_MS = 500;

export function isDirect(conn: Connection): boolean {
  return WebRTC.matches(conn.remoteAddr);
}

export class DirectDialer {
  private readonly node: Libp2p;
  private readonly planner: DialPlanner;
  private readonly addrs = new Map<string, { id: PeerId; addrs: Multiaddr[] }>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(node: Libp2p) {
    this.node = node;
    this.planner = new DialPlanner(node.peerId.toString());
    node.addEventListener('peer:discovery', (evt) => {
      const webrtc = evt.detail.multiaddrs.filter((ma) => WebRTC.matches(ma));
      if (webrtc.length === 0) return;
      const peer = evt.detail.id.toString();
      this.addrs.set(peer, { id: evt.detail.id, addrs: webrtc });
      this.planner.discovered(peer, Date.now());
      this.tick();
    });
    node.addEventListener('connection:open', (evt) => {
      if (isDirect(evt.detail)) this.planner.directOpened(evt.detail.remotePeer.toString());
    });
    node.addEventListener('connection:close', (evt) => {
      const peer = evt.detail.remotePeer;
      if (!isDirect(evt.detail) || node.getConnections(peer).some(isDirect)) return;
      this.planner.directClosed(peer.toString(), Date.now());
    });
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    for (const peer of this.planner.plan(Date.now())) void this.dial(peer);
    // the planner forgets Stars that stopped announcing themselves; so do their addresses
    for (const peer of this.addrs.keys()) if (!this.planner.knows(peer)) this.addrs.delete(peer);
  }

  private async dial(peer: string): Promise<void> {
    const known = this.addrs.get(peer);
    const started = Date.now();
    // the steps libp2p reports (dial queue, relay, SDP, ICE), so a failure says where it stalled
    const steps: string[] = [];
    const onProgress = (evt: { type: string }) => steps.push(`${evt.type} +${((Date.now() - started) / 1000).toFixed(1)} s`);
    try {
      if (!known) throw new Error('no WebRTC address known');
      if (this.node.getConnections(known.id).some(isDirect)) {
        this.planner.directOpened(peer);
        return;
      }
      const conn = await this.node.dial(known.addrs, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS), onProgress });
      if (isDirect(conn)) this.planner.directOpened(peer);
      else this.planner.dialFailed(peer, Date.now());
    } catch (err) {
      const took = ((Date.now() - started) / 1000).toFixed(1);
      console.debug(`starweave: direct dial to ${peer} failed after ${took} s: ${(err as Error).message}; last steps: ${steps.slice(-3).join(', ') || 'none'}`);
      this.planner.dialFailed(peer, Date.now());
    }
  }
}
