/**
 * Consistent-hash ring with capacity-weighted virtual nodes (the Lambda paper's weight-aware
 * placement). OWNER: helper H1 — contract below is fixed, bodies to be written.
 */
import type { MemberId, RingMember, StorageKey } from './types.ts';

/** a key's position on the ring: the first 6 bytes of sha256("starweave/storage-key/1" ‖ owner pk ‖ 0x00 ‖ utf8 name), as a number in [0, 2^48) */
export function keyPosition(key: StorageKey): number {
  throw new Error('not yet');
}

export interface RingOptions {
  /** virtual nodes per capacity unit (default chosen so 64 equal Stars balance within 1.3) */
  vnodesPerUnit?: number;
}

export class Ring {
  constructor(members: readonly RingMember[], options?: RingOptions) {
    throw new Error('not yet');
  }
  /** the members, sorted by id */
  get members(): readonly RingMember[] {
    throw new Error('not yet');
  }
  has(id: MemberId): boolean {
    throw new Error('not yet');
  }
  /** the first n distinct members clockwise from the key (fewer if the ring has fewer) */
  preferenceList(key: StorageKey | number, n: number): MemberId[] {
    throw new Error('not yet');
  }
  /** every distinct member clockwise from the key, the preference list first (sloppy quorum fallbacks follow) */
  walk(key: StorageKey | number): MemberId[] {
    throw new Error('not yet');
  }
}
