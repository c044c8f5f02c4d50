/**
 * The main thread's end of the storage shards: one long-lived `/starweave/store/1` stream per
 * peer carrying length-prefixed store frames both ways (a stream per message would cost a
 * WebRTC data channel per message). Frames in are handed to the worker in batches; frames
 * out come from the worker's `storeSend`. Like ChainLink it only moves bytes: the worker
 * decodes, verifies and answers every frame.
 *
 * - A stream is duplex, so whichever side opened it, both write on it: a peer that opened a
 *   stream to us gets its answers (and our own requests) on that stream, not on a second one.
 * - One writer per peer (its pump) takes queued frames and writes them in order, dialling
 *   when no stream is open; frames queue while it dials, bounded (oldest dropped).
 * - A stream over a relayed connection (limited in bytes and time by the relay) is replaced
 *   by one over a direct WebRTC connection as soon as one exists.
 * - A stream that fails is forgotten; the next frames for that peer dial a new one. Lost
 *   frames are the worker's to retry: its storage core has timeouts.
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { transfer, type Remote } from 'comlink';
import { MAX_STORE_MESSAGE_BYTES, STORE_PROTOCOL } from '../../shared/storage/wire.ts';
import type { StarCoreApi } from '../../worker/star-core.ts';
import { FrameBatch, type PeerFrames } from './frame-batch.ts';
import { FrameQueue } from './frame-queue.ts';
import type { StarNode } from './libp2p-node.ts';
import { openPeerStream, requestAddrs, type RelayRoute } from './peer-stream.ts';
import { StoreStream } from './store-stream.ts';

const DIAL_TIMEOUT_MS = 15_000;
/** frames (and bytes) waiting for one peer's stream; beyond this the oldest are dropped */
export const MAX_QUEUED_FRAMES = 512;
export const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/** one write carries at most this much: a slow peer holds up only so many frames at once */
const WRITE_BATCH_BYTES = 2 * 1024 * 1024;
/**
 * store streams per connection and direction: normally one, briefly two while a stream is
 * replaced, a few more when both sides dial at once
 */
const MAX_STREAMS_PER_CONNECTION = 4;
/** writable streams kept per peer; older ones are retired */
const MAX_STREAMS_PER_PEER = 2;

/** What the link needs of the libp2p node (StarNode in the page, a bare node in tests). */
export type StoreNode = Pick<StarNode, 'handle' | 'unhandle' | 'dial' | 'getConnections'>;

interface PeerLane {
  id: PeerId;
  /** this peer's streams that are still open, oldest first */
  streams: StoreStream[];
  queue: FrameQueue;
  /** where the worker last said the peer can be reached (its presence record) */
  addrs: string[];
  pumping: boolean;
}

export class StorageLink {
  private readonly node: StoreNode;
  private readonly incoming: FrameBatch;
  private readonly lanes = new Map<string, PeerLane>();
  private relay?: RelayRoute;
  private started = false;
  private stopped = false;

  constructor(node: StoreNode, core: Remote<StarCoreApi>) {
    this.node = node;
    // every frame has a buffer of its own (StoreStream copies it): move them, don't copy
    this.incoming = new FrameBatch((batch: PeerFrames) => core.storageFrames(transfer(batch, batch.flatMap((p) => p.frames.map((f) => f.buffer as ArrayBuffer))), Date.now()));
  }

  /** Serves the protocol: peers may open store streams to this Star from now on. */
  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    await this.node.handle(STORE_PROTOCOL, (stream, connection) => this.accept(stream, connection), {
      // a Star reachable only through the relay must still hold and serve its shard
      runOnLimitedConnection: true,
      maxInboundStreams: MAX_STREAMS_PER_CONNECTION,
      maxOutboundStreams: MAX_STREAMS_PER_CONNECTION,
    });
  }

  /**
   * The relay is (back): a Star holding a reservation there is reachable at
   * `<relayAddr>/p2p-circuit/p2p/<peer>` even before we know its own addresses.
   */
  relayConnected(relayPeer: string, relayAddr: string): void {
    this.relay = { peer: relayPeer, addr: relayAddr };
  }

  /** The worker's frames for one peer (dial it through `addrs` or the relay if not connected). */
  send(peerId: string, addrs: string[], frames: Uint8Array[]): void {
    if (this.stopped || frames.length === 0) return;
    const lane = this.lane(peerId);
    if (!lane) {
      console.warn(`starweave: store: "${peerId.slice(0, 64)}" is not a peer id; ${frames.length} frames not sent`);
      return;
    }
    if (addrs.length > 0) lane.addrs = addrs;
    let dropped = 0;
    for (const frame of frames) {
      if (frame.byteLength > MAX_STORE_MESSAGE_BYTES) {
        // the peer would refuse it and drop the stream with it
        console.warn(`starweave: store: not sending a ${frame.byteLength}-byte frame to ${peerId} (limit ${MAX_STORE_MESSAGE_BYTES})`);
        continue;
      }
      dropped += lane.queue.push(frame);
    }
    if (dropped > 0) console.debug(`starweave: store: dropped ${dropped} oldest frames queued for ${peerId} (more than ${MAX_QUEUED_FRAMES} frames or ${MAX_QUEUED_BYTES} bytes waiting)`);
    if (!lane.pumping) void this.pump(peerId, lane);
  }

  /** Closes every store stream and stops serving the protocol. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.incoming.stop();
    if (this.started) void this.node.unhandle(STORE_PROTOCOL).catch(() => undefined);
    const closing = new Error('this Star is stopping');
    for (const lane of this.lanes.values()) {
      lane.queue.clear();
      for (const s of [...lane.streams]) s.abort(closing);
    }
    this.lanes.clear();
  }

  /** per peer with a lane: its open store streams and the frames waiting (debug view, tests) */
  lanesView(): Record<string, { streams: number; queued: number }> {
    const out: Record<string, { streams: number; queued: number }> = {};
    for (const [peerId, lane] of this.lanes) out[peerId] = { streams: lane.streams.length, queued: lane.queue.size };
    return out;
  }

  // ---- internals --------------------------------------------------------------------

  /** The peer's lane, made on first use; undefined for a string that is no peer id. */
  private lane(peerId: string): PeerLane | undefined {
    let lane = this.lanes.get(peerId);
    if (lane) return lane;
    let id: PeerId;
    try {
      id = peerIdFromString(peerId);
    } catch {
      return undefined;
    }
    lane = { id, streams: [], queue: new FrameQueue(MAX_QUEUED_FRAMES, MAX_QUEUED_BYTES), addrs: [], pumping: false };
    this.lanes.set(peerId, lane);
    return lane;
  }

  /** A peer opened a store stream to us: read from it, and write on it too. */
  private accept(stream: Stream, connection: Connection): void {
    if (this.stopped) {
      stream.abort(new Error('this Star is stopping'));
      return;
    }
    this.adopt(stream, connection);
  }

  private adopt(stream: Stream, connection: Connection): StoreStream {
    const peerId = connection.remotePeer.toString();
    const store = new StoreStream(stream, connection, {
      frame: (frame) => this.incoming.push(peerId, frame),
      end: (s, err) => this.forget(s, err),
    });
    // a connection's remote peer is always a valid peer id
    const lane = this.lane(peerId)!;
    lane.streams.push(store);
    // both sides dialling at once, or a peer re-opening: keep the newest few for writing
    const writable = lane.streams.filter((s) => s.writable);
    for (const old of writable.slice(0, Math.max(0, writable.length - MAX_STREAMS_PER_PEER))) old.retire();
    return store;
  }

  private forget(store: StoreStream, err?: Error): void {
    if (err && !this.stopped) console.debug(`starweave: store stream with ${store.peerId} ended: ${err.message}`);
    const lane = this.lanes.get(store.peerId);
    if (!lane) return;
    lane.streams = lane.streams.filter((s) => s !== store);
    this.dropIfIdle(store.peerId, lane);
  }

  private dropIfIdle(peerId: string, lane: PeerLane): void {
    if (lane.streams.length === 0 && lane.queue.size === 0 && !lane.pumping) this.lanes.delete(peerId);
  }

  /** The peer's one writer: drains its queue onto a stream, dialling when there is none. */
  private async pump(peerId: string, lane: PeerLane): Promise<void> {
    lane.pumping = true;
    try {
      while (!this.stopped && lane.queue.size > 0) {
        let stream = this.writableStream(lane);
        if (!stream) {
          try {
            stream = await this.open(peerId, lane);
          } catch (err) {
            // unreachable now; the worker's core retries or asks another replica
            const n = lane.queue.clear();
            if (!this.stopped) console.debug(`starweave: store: dropped ${n} frames for ${peerId}: cannot open a stream (${(err as Error).message})`);
            break;
          }
        }
        const frames = lane.queue.take(WRITE_BATCH_BYTES);
        try {
          await stream.write(frames);
        } catch (err) {
          // the stream is gone (StoreStream ended it); what is still queued goes on a new one
          if (!this.stopped) console.debug(`starweave: store: ${frames.length} frames to ${peerId} lost with their stream: ${(err as Error).message}`);
        }
      }
    } finally {
      lane.pumping = false;
      if (this.lanes.get(peerId) === lane) this.dropIfIdle(peerId, lane);
    }
  }

  /**
   * The stream to write on: the newest writable one, over a direct connection if any. A
   * stream over the relay gives way (undefined: open a new one) once a direct connection to
   * the peer exists.
   */
  private writableStream(lane: PeerLane): StoreStream | undefined {
    const writable = lane.streams.filter((s) => s.writable);
    const best = writable.findLast((s) => !s.limited) ?? writable.at(-1);
    if (best?.limited && this.node.getConnections(lane.id).some((c) => c.status === 'open' && c.limits == null)) {
      for (const s of writable) s.retire();
      return undefined;
    }
    return best;
  }

  /** Opens a store stream: on an open connection to the peer if there is one, else by dialling (peer-stream.ts). */
  private async open(peerId: string, lane: PeerLane): Promise<StoreStream> {
    const addrs = requestAddrs(peerId, lane.addrs, this.relay);
    const { stream, connection } = await openPeerStream(this.node, lane.id, addrs, STORE_PROTOCOL, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS), maxOutboundStreams: MAX_STREAMS_PER_CONNECTION });
    if (this.stopped) {
      stream.abort(new Error('this Star is stopping'));
      throw new Error('this Star is stopping');
    }
    return this.adopt(stream, connection);
  }
}
