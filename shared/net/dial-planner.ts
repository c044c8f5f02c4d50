/**
 * Decides which discovered Stars to dial for a direct (WebRTC) connection. Pure: it is told
 * what was discovered, what is connected and what failed, and answers "dial these now".
 *
 * Why a planner and not "dial everything discovered":
 *  - both sides of a pair discover each other at about the same moment; if both dial, two
 *    RTCPeerConnections are built and one is thrown away, and a tab may create only 500 in
 *    its life. The Star with the smaller peer id dials first; the other waits `yieldMs`
 *    and dials only if nothing arrived.
 *  - a network of hundreds of tabs cannot be a full mesh: direct connections are capped and
 *    gossipsub's mesh carries messages across the rest.
 *  - a peer that failed is retried with backoff, not hammered.
 */
import { backoffDelay, type BackoffPolicy } from './backoff.ts';

export interface DialPlannerConfig {
  maxDirect: number;
  maxParallelDials: number;
  yieldMs: number;
  retry: BackoffPolicy;
  /** forget a peer that has not been re-announced for this long */
  forgetAfterMs: number;
}

export const DEFAULT_DIAL_PLANNER: DialPlannerConfig = {
  // enough for a gossip mesh of D=8 with spares; each RTCPeerConnection costs CPU (DTLS,
  // SCTP keepalives) and a tab may create only 500 in its life
  maxDirect: 10,
  maxParallelDials: 2,
  // a WebRTC handshake under load takes seconds; dialing back too early makes two
  // handshakes for one pair, and both tend to fail
  yieldMs: 10_000,
  retry: { baseMs: 1_000, maxMs: 30_000 },
  forgetAfterMs: 60_000,
};

interface Candidate {
  firstSeen: number;
  lastSeen: number;
  failures: number;
  nextAttemptAt: number;
}

export class DialPlanner {
  private readonly candidates = new Map<string, Candidate>();
  private readonly connected = new Set<string>();
  private readonly dialing = new Set<string>();
  private readonly self: string;
  private readonly config: DialPlannerConfig;
  private readonly random: () => number;

  constructor(self: string, config: DialPlannerConfig = DEFAULT_DIAL_PLANNER, random: () => number = Math.random) {
    this.self = self;
    this.config = config;
    this.random = random;
  }

  discovered(peer: string, now: number): void {
    if (peer === this.self) return;
    const c = this.candidates.get(peer);
    if (c) c.lastSeen = now;
    else this.candidates.set(peer, { firstSeen: now, lastSeen: now, failures: 0, nextAttemptAt: 0 });
  }

  directOpened(peer: string): void {
    this.connected.add(peer);
    this.dialing.delete(peer);
    const c = this.candidates.get(peer);
    if (c) c.failures = 0;
  }

  directClosed(peer: string, now: number): void {
    this.connected.delete(peer);
    const c = this.candidates.get(peer);
    // a closed connection may be a tab that went away: re-dial only after it is re-announced
    if (c) c.nextAttemptAt = now + backoffDelay(this.config.retry, 0, this.random);
  }

  dialFailed(peer: string, now: number): void {
    this.dialing.delete(peer);
    const c = this.candidates.get(peer);
    if (!c) return;
    c.nextAttemptAt = now + backoffDelay(this.config.retry, c.failures, this.random);
    c.failures++;
  }

  /** The peers to start dialing now; they are marked as dialing until opened or failed. */
  plan(now: number): string[] {
    for (const [peer, c] of this.candidates) {
      if (now - c.lastSeen > this.config.forgetAfterMs && !this.connected.has(peer) && !this.dialing.has(peer)) {
        this.candidates.delete(peer);
      }
    }
    const room = Math.min(
      this.config.maxDirect - this.connected.size - this.dialing.size,
      this.config.maxParallelDials - this.dialing.size,
    );
    if (room <= 0) return [];
    const ready: Array<[string, Candidate]> = [];
    for (const [peer, c] of this.candidates) {
      if (this.connected.has(peer) || this.dialing.has(peer)) continue;
      if (now < c.nextAttemptAt) continue;
      const weDialFirst = this.self < peer;
      if (!weDialFirst && now - c.firstSeen < this.config.yieldMs) continue;
      ready.push([peer, c]);
    }
    // fewest failures first, then the longest known: stable peers before flaky ones
    ready.sort((a, b) => a[1].failures - b[1].failures || a[1].firstSeen - b[1].firstSeen);
    const chosen = ready.slice(0, room).map(([peer]) => peer);
    for (const peer of chosen) this.dialing.add(peer);
    return chosen;
  }

  /** Whether the peer is still a candidate (not forgotten). */
  knows(peer: string): boolean {
    return this.candidates.has(peer);
  }

  get directCount(): number {
    return this.connected.size;
  }
}
