/**
 * Store frames that arrived from peers, collected for a couple of milliseconds and handed to
 * the worker in one call (grouped by peer, in arrival order per peer), so a burst of
 * replica traffic costs one comlink round trip instead of one per frame.
 *
 * One call is in flight at a time: frames that arrive meanwhile wait and go in the next
 * call, which keeps each peer's frames in order in the worker and lets a slow worker
 * receive bigger batches instead of a pile of concurrent calls. The waiting frames are
 * bounded; over the bound new frames are dropped (the sender's core times out and retries).
 */
export const BATCH_WINDOW_MS = 2;
export const MAX_BATCH_FRAMES = 256;
/** one call carries at most this much (several 1 MiB frames at most) */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;
/** frames waiting for the worker, in all */
export const MAX_BACKLOG_BYTES = 32 * 1024 * 1024;

export type PeerFrames = Array<{ peerId: string; frames: Uint8Array[] }>;

export class FrameBatch {
  private waiting: Array<{ peerId: string; frame: Uint8Array }> = [];
  private waitingBytes = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private inFlight = false;
  private dropped = 0;
  private stopped = false;
  private readonly deliver: (batch: PeerFrames) => Promise<void>;

  constructor(deliver: (batch: PeerFrames) => Promise<void>) {
    this.deliver = deliver;
  }

  /** Queues a frame from `peerId`; false when it was dropped (backlog full, or stopped). */
  push(peerId: string, frame: Uint8Array): boolean {
    if (this.stopped) return false;
    if (this.waitingBytes + frame.byteLength > MAX_BACKLOG_BYTES) {
      this.dropped++;
      return false;
    }
    this.waiting.push({ peerId, frame });
    this.waitingBytes += frame.byteLength;
    if (this.waiting.length >= MAX_BATCH_FRAMES || this.waitingBytes >= MAX_BATCH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_WINDOW_MS);
    return true;
  }

  /** Frames waiting for the worker (not counting the call in flight). */
  get backlog(): number {
    return this.waiting.length;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting = [];
    this.waitingBytes = 0;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    // the call in flight sends the rest when it returns
    if (this.inFlight || this.stopped || this.waiting.length === 0) return;
    const batch = this.takeBatch();
    if (this.dropped > 0) {
      console.debug(`starweave: store: dropped ${this.dropped} incoming frames, the worker is behind`);
      this.dropped = 0;
    }
    this.inFlight = true;
    this.deliver(batch)
      .catch((err: unknown) => console.warn('starweave: store frames not handled by the worker', err))
      .finally(() => {
        this.inFlight = false;
        // whatever arrived meanwhile has waited long enough
        if (this.waiting.length > 0) this.flush();
      });
  }

  /** Up to MAX_BATCH_FRAMES / MAX_BATCH_BYTES of the oldest frames, grouped by peer. */
  private takeBatch(): PeerFrames {
    let n = 0;
    let bytes = 0;
    while (n < this.waiting.length && n < MAX_BATCH_FRAMES && (n === 0 || bytes + this.waiting[n]!.frame.byteLength <= MAX_BATCH_BYTES)) {
      bytes += this.waiting[n]!.frame.byteLength;
      n++;
    }
    const taken = this.waiting.splice(0, n);
    this.waitingBytes -= bytes;
    const byPeer = new Map<string, Uint8Array[]>();
    for (const { peerId, frame } of taken) {
      const frames = byPeer.get(peerId);
      if (frames) frames.push(frame);
      else byPeer.set(peerId, [frame]);
    }
    return [...byPeer].map(([peerId, frames]) => ({ peerId, frames }));
  }
}
