/**
 * What the parts of a StorageNode (coordinator operations, anti-entropy, handoff and
 * re-replication, audits) share: the Star's placement view, its shard, its hints, its
 * outstanding requests, and the configured timing and bounds.
 */
import { AUDIT_DEADLINE_MS } from './audit.ts';
import type { Placement } from './placement.ts';
import type { PutBatches } from './put-batches.ts';
import type { HintStore, StoreChange, VersionStore } from './replica-store.ts';
import type { Requests } from './requests.ts';
import type { Out } from './storage-outputs.ts';
import type { MemberId, QuorumConfig, SignedRecord } from './types.ts';

export interface StorageTiming {
  /** one peer's answer to one request */
  replicaTimeoutMs: number;
  /** a client put/get/list: answered by then, with an error if the quorum was not reached */
  clientTimeoutMs: number;
  /** one anti-entropy exchange with the next co-replica this often (Infinity: none at all, not even re-replication; for tests) */
  antiEntropyEveryMs: number;
  /** hinted handoff, re-replication transfers and inbox deliveries this often */
  maintenanceEveryMs: number;
  /**
   * hints for a member absent from the membership are kept this long for its return (then
   * handed off); after that it is taken as gone for good and they are dropped (their versions
   * were taken into the shard when it vanished, and went on to the key's replicas)
   */
  hintGraceMs: number;
  /** an audited holder's right answer by then passes, later is 'late' (audit.ts) */
  auditDeadlineMs: number;
}

export const DEFAULT_TIMING: StorageTiming = {
  replicaTimeoutMs: 1_500,
  clientTimeoutMs: 6_000,
  antiEntropyEveryMs: 2_000,
  maintenanceEveryMs: 1_000,
  hintGraceMs: 10 * 60_000,
  auditDeadlineMs: AUDIT_DEADLINE_MS,
};

export interface StorageLimits {
  /** client operations in flight; more are answered RATE_LIMITED */
  maxClientOps: number;
  /** requests out to other Stars, in all and per peer */
  maxOutstanding: number;
  maxOutstandingPerPeer: number;
  /** hinted versions held for others, in all and per intended member */
  maxHintRecords: number;
  maxHintRecordsPerMember: number;
  /** a plain put is accepted when this Star is within the first n + slack members of the key's walk (views of the ring may lag) */
  acceptSlack: number;
  /** audit challenges in flight */
  maxAudits: number;
  /** inbox digests remembered as delivered (holder side) and as seen (owner side) */
  maxInboxMemory: number;
}

export const DEFAULT_LIMITS: StorageLimits = {
  maxClientOps: 1_024,
  maxOutstanding: 4_096,
  maxOutstandingPerPeer: 64,
  maxHintRecords: 10_000,
  maxHintRecordsPerMember: 2_000,
  acceptSlack: 2,
  maxAudits: 256,
  maxInboxMemory: 10_000,
};

export interface NodeContext {
  readonly me: MemberId;
  readonly quorum: QuorumConfig;
  readonly timing: StorageTiming;
  readonly limits: StorageLimits;
  readonly placement: Placement;
  readonly store: VersionStore;
  readonly hints: HintStore;
  readonly requests: Requests;
  /** client puts to one member within one step share one request (put-batches.ts) */
  readonly puts: PutBatches;
  /** adds versions to this Star's own shard and persists the change */
  storeOwn(records: readonly SignedRecord[], out: Out): StoreChange;
  /** keeps versions for `intended` (hinted handoff); false when the hint store is full */
  storeHint(intended: MemberId, records: readonly SignedRecord[], out: Out): boolean;
  /** every version of a key this Star holds, own shard and hints */
  localVersions(keyId: string): SignedRecord[];
}
