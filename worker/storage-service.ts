/**
 * The worker's storage adapter: drives the pure StorageNode (shared/storage/storage-node.ts)
 * with this account's keys, IndexedDB and the network. OWNER: helper W1 — contract fixed,
 * bodies to be written.
 */
import type { GetResult, InboxMessage, PutOptions, StorageStats } from '../shared/api.ts';

export interface StorageOutputs {
  /** frames for one peer's `/starweave/store/1` stream (the main thread keeps one per peer) */
  storeSend(peerId: string, addrs: string[], frames: Uint8Array[]): void;
  message(m: InboxMessage): void;
  storage(stats: StorageStats): void;
}

export class StorageService {
  /** `star.put`: signs (and, with readers, seals) in this worker; resolves once W replicas acknowledged */
  put(key: string, value: string | Uint8Array, opts: PutOptions, now: number): Promise<void> {
    throw new Error('not yet');
  }
  get(key: string, owner: string | undefined, now: number): Promise<GetResult> {
    throw new Error('not yet');
  }
  delete(key: string, now: number): Promise<void> {
    throw new Error('not yet');
  }
  list(prefix: string, owner: string | undefined, now: number): Promise<string[]> {
    throw new Error('not yet');
  }
  /** `star.send`: into the recipient's inbox keys; resolves with the message id once stored with W acks */
  send(to: string, data: string | Uint8Array, now: number): Promise<{ id: string }> {
    throw new Error('not yet');
  }
  /** frames that arrived on store streams, from these peers (batched by the main thread) */
  frames(batch: Array<{ peerId: string; frames: Uint8Array[] }>, now: number): Promise<void> {
    throw new Error('not yet');
  }
  stats(): Promise<StorageStats> {
    throw new Error('not yet');
  }
}
