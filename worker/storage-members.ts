/**
 * Who the storage ring is made of, and how to reach them, from signed presence records
 * (DESIGN.md, "Storage shards": membership comes from gossiped presence). A ring member is an
 * account (pk hex), not a tab's peer id, so a reload does not move data; this maps both ways:
 * member → peer id and addresses for outgoing frames, peer id → member for incoming ones.
 * It also keeps the X25519 reader keys accounts published, including those of accounts that
 * went offline since (a private value can be sealed for a reader that was online once).
 */
import { toHex } from '../shared/codec/hex.ts';
import type { Presence } from '../shared/chain/presence.ts';
import type { MemberId, RingMember } from '../shared/storage/types.ts';

/** the live presence records (shared/chain/presence.ts PresenceTable) */
export interface PresenceView {
  live(now: number): Presence[];
}

export interface Route {
  peerId: string;
  addrs: string[];
}

export interface Refresh {
  /** the ring's members (this Star excluded: the core adds itself) when they changed since the last refresh */
  members?: RingMember[];
  /** reader keys that are new or changed, to keep */
  readerKeys: Array<[MemberId, Uint8Array]>;
}

/** reader keys kept at most (oldest forgotten first) */
const MAX_READER_KEYS = 10_000;

export class StorageMembers {
  readonly #me: MemberId;
  #byMember = new Map<MemberId, Route>();
  #byPeer = new Map<string, MemberId>();
  readonly #readerKeys = new Map<MemberId, Uint8Array>();
  #signature = '';

  constructor(me: MemberId) {
    this.#me = me;
  }

  /** reader keys kept from earlier sessions */
  remember(keys: ReadonlyMap<MemberId, Uint8Array>): void {
    for (const [id, key] of keys) if (!this.#readerKeys.has(id)) this.#readerKeys.set(id, key);
  }

  refresh(records: readonly Presence[]): Refresh {
    const byMember = new Map<MemberId, Route>();
    const byPeer = new Map<string, MemberId>();
    const members: RingMember[] = [];
    const readerKeys: Array<[MemberId, Uint8Array]> = [];
    for (const p of records) {
      const id = toHex(p.pk);
      // this account in another browser: the ring has one member per account, and it is us
      if (id === this.#me || byMember.has(id)) continue;
      byMember.set(id, { peerId: p.peerId, addrs: p.addrs });
      byPeer.set(p.peerId, id);
      members.push({ id, capacity: p.capacity });
      if (p.readerKey !== null && !sameBytes(this.#readerKeys.get(id), p.readerKey)) {
        this.#readerKeys.delete(id);
        this.#readerKeys.set(id, p.readerKey);
        readerKeys.push([id, p.readerKey]);
      }
    }
    while (this.#readerKeys.size > MAX_READER_KEYS) this.#readerKeys.delete(this.#readerKeys.keys().next().value!);
    this.#byMember = byMember;
    this.#byPeer = byPeer;
    members.sort((a, b) => (a.id < b.id ? -1 : 1));
    const signature = members.map((m) => `${m.id}:${m.capacity}`).join(',');
    if (signature === this.#signature) return { readerKeys };
    this.#signature = signature;
    return { members, readerKeys };
  }

  /** the member a peer runs, by its live presence */
  memberOf(peerId: string): MemberId | undefined {
    return this.#byPeer.get(peerId);
  }

  routeTo(member: MemberId): Route | undefined {
    return this.#byMember.get(member);
  }

  readerKeyOf(member: MemberId): Uint8Array | undefined {
    return this.#readerKeys.get(member);
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}
