/**
 * The main thread's end of the storage shards: one long-lived `/starweave/store/1` stream per
 * peer carrying length-prefixed store frames both ways (a stream per message would cost a
 * WebRTC data channel per message). Frames in are handed to the worker in batches; frames
 * out come from the worker's `storeSend`. OWNER: helper W2 — contract fixed, bodies to be written.
 */
import type { Remote } from 'comlink';
import type { StarCoreApi } from '../../worker/star-core.ts';
import type { StarNode } from './libp2p-node.ts';

export class StorageLink {
  constructor(node: StarNode, core: Remote<StarCoreApi>) {
    throw new Error('not yet');
  }
  /** registers the protocol handler */
  start(): Promise<void> {
    throw new Error('not yet');
  }
  /** the worker's frames for one peer (dial it through `addrs` or the relay if not connected) */
  send(peerId: string, addrs: string[], frames: Uint8Array[]): void {
    throw new Error('not yet');
  }
  stop(): void {
    throw new Error('not yet');
  }
}
