/**
 * One long-lived `/starweave/store/1` stream with a peer, whichever side opened it: a
 * reader loop that hands every length-prefixed frame over as it arrives, and writes that go
 * out one after another (two writes interleaving their bytes would corrupt the framing).
 *
 * The stream reports its end once, whatever ended it (the peer closed, the connection
 * dropped, a write timed out, a frame over the limit); its owner then forgets it and dials
 * a new one on the next send.
 */
import type { Connection, Stream } from '@libp2p/interface';
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils';
import { MAX_STORE_MESSAGE_BYTES } from '../../shared/storage/wire.ts';

/** a peer that takes no bytes for this long has stopped reading: the stream is dropped */
export const WRITE_TIMEOUT_MS = 20_000;
/**
 * A retired stream (no more writes from this side) is kept for reading until the peer
 * closes its side too, at most this long: answers to requests already sent still arrive.
 */
export const RETIRE_GRACE_MS = 30_000;

export interface StoreStreamHandlers {
  /** one frame, in a buffer of its own (it may be transferred to the worker) */
  frame(frame: Uint8Array): void;
  /** the stream is finished, for reading and writing */
  end(stream: StoreStream, err?: Error): void;
}

export class StoreStream {
  readonly peerId: string;
  readonly direction: 'inbound' | 'outbound';
  /** relayed connection: limited in bytes and time (circuit relay v2), so a direct one is preferred */
  readonly limited: boolean;
  readonly connectionId: string;
  private readonly stream: Stream;
  private readonly lp: LengthPrefixedStream<Stream>;
  private readonly handlers: StoreStreamHandlers;
  private writing: Promise<void> = Promise.resolve();
  private retired = false;
  private ended = false;
  private retireTimer?: ReturnType<typeof setTimeout>;

  constructor(stream: Stream, connection: Connection, handlers: StoreStreamHandlers) {
    this.stream = stream;
    this.handlers = handlers;
    this.peerId = connection.remotePeer.toString();
    this.direction = stream.direction;
    this.limited = connection.limits != null;
    this.connectionId = connection.id;
    // a frame is at most MAX_STORE_MESSAGE_BYTES; the read buffer holds a few of them
    this.lp = lpStream(stream, { maxDataLength: MAX_STORE_MESSAGE_BYTES, maxBufferSize: 4 * (MAX_STORE_MESSAGE_BYTES + 16) });
    void this.readLoop();
  }

  /** frames written now are expected to arrive */
  get writable(): boolean {
    return !this.ended && !this.retired && this.stream.status === 'open' && this.stream.writeStatus === 'writable';
  }

  get open(): boolean {
    return !this.ended;
  }

  /** Writes the frames in one send, after every earlier write; rejects (and ends the stream) on failure. */
  write(frames: Uint8Array[]): Promise<void> {
    const run = async (): Promise<void> => {
      if (!this.writable) throw new Error('the store stream is closed');
      try {
        await this.lp.writeV(frames, { signal: AbortSignal.timeout(WRITE_TIMEOUT_MS) });
      } catch (err) {
        this.abort(err as Error);
        throw err;
      }
    };
    const done = this.writing.then(run, run);
    this.writing = done.catch(() => undefined);
    return done;
  }

  /**
   * No more writes from this side (a better stream to the peer exists, or too many): closes
   * our writing half once the earlier writes are out, and keeps reading until the peer
   * closes its half, which it does when it reads our end.
   */
  retire(): void {
    if (this.retired || this.ended) return;
    this.retired = true;
    this.retireTimer = setTimeout(() => this.abort(new Error('the peer did not close a retired store stream')), RETIRE_GRACE_MS);
    void this.writing.then(() => this.stream.close({ signal: AbortSignal.timeout(WRITE_TIMEOUT_MS) })).catch((err: unknown) => this.abort(err as Error));
  }

  abort(err: Error): void {
    if (this.ended) return;
    this.stream.abort(err);
    this.finish(err);
  }

  private async readLoop(): Promise<void> {
    try {
      for (;;) {
        const frame = await this.lp.read();
        // a tight copy: the received chunk may hold more than this frame, and the worker
        // takes ownership of the buffer
        if (!this.ended) this.handlers.frame(new Uint8Array(frame.subarray()));
      }
    } catch (err) {
      if (this.ended) return;
      if (this.stream.status === 'open' && this.stream.remoteWriteStatus !== 'writable') {
        // the peer closed its half (it retired this stream, or is stopping): close ours
        // once our writes are out, and make way for a new stream
        this.retired = true;
        const closing = this.writing.then(() => this.stream.close({ signal: AbortSignal.timeout(WRITE_TIMEOUT_MS) }));
        closing.catch((e: unknown) => this.stream.abort(e as Error));
        this.finish();
      } else {
        this.abort(err as Error);
      }
    }
  }

  private finish(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.retireTimer);
    this.handlers.end(this, err);
  }
}
