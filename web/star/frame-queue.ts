/**
 * The frames waiting to go to one peer while its store stream is being dialled or written.
 * Bounded by count and bytes: when a peer cannot keep up (or cannot be reached) the oldest
 * frames go first. Losing a frame is safe: the worker's storage core times requests out and
 * retries or asks another replica, so an unbounded queue would only grow memory.
 */
export class FrameQueue {
  private frames: Uint8Array[] = [];
  private queuedBytes = 0;
  private readonly maxFrames: number;
  private readonly maxBytes: number;

  constructor(maxFrames: number, maxBytes: number) {
    this.maxFrames = maxFrames;
    this.maxBytes = maxBytes;
  }

  get size(): number {
    return this.frames.length;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  /** Adds a frame; returns how many older frames were dropped to stay within the bounds. */
  push(frame: Uint8Array): number {
    this.frames.push(frame);
    this.queuedBytes += frame.byteLength;
    let dropped = 0;
    // the newest frame always stays, even alone over the byte bound: it was checked against
    // the wire limit before it got here
    while (this.frames.length > 1 && (this.frames.length > this.maxFrames || this.queuedBytes > this.maxBytes)) {
      this.queuedBytes -= this.frames.shift()!.byteLength;
      dropped++;
    }
    return dropped;
  }

  /** Takes frames in order while they fit in `maxBytes` together (always at least one). */
  take(maxBytes: number): Uint8Array[] {
    let n = 0;
    let bytes = 0;
    while (n < this.frames.length && (n === 0 || bytes + this.frames[n]!.byteLength <= maxBytes)) {
      bytes += this.frames[n]!.byteLength;
      n++;
    }
    this.queuedBytes -= bytes;
    return this.frames.splice(0, n);
  }

  /** Empties the queue; returns how many frames it held. */
  clear(): number {
    const n = this.frames.length;
    this.frames = [];
    this.queuedBytes = 0;
    return n;
  }
}
