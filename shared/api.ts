/**
 * Types of the public embed API (`window.starweave`, `/star.js`, `/star.mjs`). Tests, dApps
 * and the wallet all speak this; names follow the design's embed API.
 */
import type { Balance, Transfer, TransferStatus } from './chain/transfers.ts';

export type { Balance, Transfer, TransferStatus };

/**
 * `star.finalityProof(id)`: why a half-block is final, checked by the Star itself. Hashes and
 * signatures are hex.
 */
export interface FinalityProofInfo {
  /** the half-block's hash (a transfer id is its proposal's) */
  hash: string;
  /** height of the Blackhole block that made it final */
  height: number;
  blackholeHash: string;
  finalRoot: string;
  /** the leaf's position among the block's final hashes, and their count */
  index: number;
  count: number;
  /** Merkle path: sibling hashes from the leaf up to `finalRoot` */
  path: string[];
  /** Galaxy signatures on the block (signer = seat in the genesis file's galaxy list) */
  sigs: Array<{ signer: number; sig: string }>;
  /** this Star checked the path against `finalRoot` and a quorum of the Galaxies' signatures */
  verified: boolean;
}

export type RelayState = 'connected' | 'connecting' | 'down';

export interface PeerInfo {
  peerId: string;
  /** the account this peer runs, from its signed presence record */
  address?: string;
  /** a direct WebRTC connection exists (otherwise only reachable through the relay) */
  direct: boolean;
  /** this Star's gossipsub score of the peer; negative means it misbehaved */
  score: number;
}

export interface RelayInfo {
  state: RelayState;
  url: string;
  peerId?: string;
  /** what went wrong the last time, in words a person can act on */
  error?: string;
  /** connection attempts since the last success */
  attempts: number;
  /** when the next attempt starts (ms since epoch), while down */
  nextRetryAt?: number;
  /**
   * the relay holds a reservation for this Star, so other Stars can reach it through the
   * relay (false while connecting, and while connected without one: `error` says so once
   * the Star has asked again)
   */
  reachable: boolean;
}

export interface StarStatus {
  relay: RelayState;
  relayInfo: RelayInfo;
  peers: PeerInfo[];
  cluster: number;
  /** the round in progress: the Blackhole head's height + 1 (0 on a network without Galaxies) */
  round: number;
  /** height of the last Blackhole block this Star verified */
  finalHeight: number;
}

export interface GossipMessage {
  topic: string;
  /** sender's libp2p peer id */
  from: string;
  data: string | Uint8Array;
  sentAt: number;
  receivedAt: number;
}

export interface ConnectOptions {
  /** http(s) URL of the relay; defaults to the origin `/star.js` (or the page) came from */
  relay?: string;
  /** test-only hooks (`star.debug`): publish raw bytes, read peer scores, fork the chain */
  debug?: boolean;
  /**
   * The account runs in one tab at a time. When another tab of this browser runs it,
   * `connect()` fails with ACCOUNT_IN_USE; `takeOver: true` moves it here (the other tab's
   * Star closes with TAKEN_OVER).
   */
  takeOver?: boolean;
}

/** Why a Star stopped by itself. */
export interface ClosedInfo {
  code: 'TAKEN_OVER';
  message: string;
}

/** `star.put(key, value, opts)` */
export interface PutOptions {
  /**
   * Addresses that may read the value. Present (even empty: only this account) = private:
   * the value is sealed in this Star's worker and storage Stars hold ciphertext only.
   * Absent = public: anyone may `get` it.
   */
  readers?: string[];
}

/** One version of a stored value, as `star.get` returns it (several when writes were concurrent). */
export interface StoredValue {
  /** the value as written: a string if a string was put, else bytes */
  value: string | Uint8Array;
  /** the account that signed it (the owner; for inbox keys, the sender) */
  writer: string;
  /** when the writer wrote it (its clock, ms since epoch) */
  writtenAt: number;
  /** sealed for named readers (this Star is one of them, or `get` would have failed) */
  private: boolean;
}

/** `star.get`'s answer: nothing, one version, or siblings that a later `put` reconciles. */
export interface GetResult {
  key: string;
  owner: string;
  versions: StoredValue[];
}

/** A message from `star.send(to, message)`, delivered through this account's inbox. */
export interface InboxMessage {
  id: string;
  from: string;
  data: string | Uint8Array;
  sentAt: number;
  receivedAt: number;
}

/** What this Star holds for the network (the wallet's "storage held"). */
export interface StorageStats {
  keys: number;
  versions: number;
  bytes: number;
  /** distinct accounts whose data this Star holds */
  owners: number;
  /** versions held for a Star that is away (hinted handoff) */
  hinted: number;
  /** the browser's estimate for this origin, when it gives one */
  quota?: { usage: number; quota: number; persisted: boolean };
}

export interface StarEvents {
  status: StarStatus;
  'relay-error': RelayInfo;
  /** a transfer of this account appeared or changed status */
  transfer: Transfer;
  /** a fraud proof blocked an account; its blocks are refused from now on */
  fraud: { address: string };
  closed: ClosedInfo;
  /** a message sent to this account arrived (from its inbox, once) */
  message: InboxMessage;
  /** what this Star holds for the network changed */
  storage: StorageStats;
}

/** `requestFaucet()`'s answer: the faucet's proposal to this account. */
export interface FaucetPayout {
  id: string;
  amount: number;
}
