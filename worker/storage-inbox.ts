/**
 * This account's inbox, receiving side (DESIGN.md, "Presence and inbox"): the storage core
 * raises 'inbox' events with the inbox records held for this account (`inbox/<sender>/<id>`
 * under this account, written by the sender); each message is raised once as a 'message'
 * event and then deleted with a tombstone this account signs.
 *
 * Once: the core remembers what it raised in this session only, so the delivered ids
 * ('<sender hex>/<id>') are kept in IndexedDB before the delete; a reload, or a holder that
 * delivers a record again, does not raise it again. A message is raised before its id is
 * kept (a crash between the two raises it again rather than lose it).
 *
 * A transfer proposal left in the inbox (a sender whose receiver was away; value type 0x02,
 * never sealed: the chain gossips it anyway) goes to the chain instead of a 'message' event:
 * the chain checks it like any delivered proposal and countersigns it, then it is deleted.
 *
 * A record this browser cannot open (sealed for a reader key of this account that another
 * device holds) is left in place for that device. A delete that fails (too few Stars just
 * now) is retried a few times on later ticks.
 */
import type { InboxMessage } from '../shared/api.ts';
import { addressFromPublicKey } from '../shared/chain/address.ts';
import { toHex } from '../shared/codec/hex.ts';
import { parseInboxName } from '../shared/storage/record.ts';
import type { MemberId, SignedRecord } from '../shared/storage/types.ts';
import type { StorageStore } from './storage-store.ts';
import { proposalOf } from './storage-value.ts';

/** a failed delete is retried this often, this many times */
const RETRY_MS = 5_000;
const MAX_TRIES = 10;

export interface InboxDeps {
  me: MemberId;
  store: Pick<StorageStore, 'delivered' | 'markDelivered'>;
  /** the value as sent (opens sealed ones); throws when this browser cannot */
  open(r: SignedRecord): Promise<string | Uint8Array>;
  emit(m: InboxMessage): void;
  /** a transfer proposal found in the inbox: the chain judges it and countersigns it */
  proposal(halfBlock: Uint8Array): Promise<void>;
  /** the tombstone of a delivered record, acknowledged by W replicas */
  remove(r: SignedRecord): Promise<void>;
  clock(): number;
}

export class InboxDelivery {
  readonly #deps: InboxDeps;
  /** messages being handled, by '<sender>/<id>' */
  readonly #busy = new Set<string>();
  readonly #undeleted = new Map<string, { record: SignedRecord; tries: number; at: number }>();
  #closed = false;

  constructor(deps: InboxDeps) {
    this.#deps = deps;
  }

  close(): void {
    this.#closed = true;
  }

  async deliver(records: readonly SignedRecord[]): Promise<void> {
    for (const r of records) {
      const inbox = parseInboxName(r.name);
      if (!inbox || r.value === null || toHex(r.owner) !== this.#deps.me) continue;
      const key = `${inbox.sender}/${inbox.id}`;
      if (this.#busy.has(key)) continue;
      this.#busy.add(key);
      try {
        const [seen] = await this.#deps.store.delivered([key]);
        const proposal = r.sealed ? undefined : proposalOf(r.value);
        if (!seen && proposal) {
          await this.#deps.proposal(proposal);
          await this.#deps.store.markDelivered([key], this.#deps.clock());
        } else if (!seen) {
          let data: string | Uint8Array;
          try {
            data = await this.#deps.open(r);
          } catch (err) {
            console.warn(`starweave: an inbox message from ${addressFromPublicKey(r.signer)} cannot be opened in this browser; it is left for another device of this account`, err);
            continue;
          }
          if (this.#closed) return;
          this.#deps.emit({ id: inbox.id, from: addressFromPublicKey(r.signer), data, sentAt: r.time, receivedAt: this.#deps.clock() });
          await this.#deps.store.markDelivered([key], this.#deps.clock());
        }
        this.#undeleted.set(key, { record: r, tries: 0, at: this.#deps.clock() });
        await this.#deps.remove(r);
        this.#undeleted.delete(key);
      } catch (err) {
        console.info('starweave: a delivered inbox message could not be deleted yet; retrying shortly', err);
      } finally {
        this.#busy.delete(key);
      }
    }
  }

  /** on ticks: deletes that failed are tried again */
  retry(now: number): void {
    if (this.#closed) return;
    for (const [key, u] of this.#undeleted) {
      if (this.#busy.has(key) || now - u.at < RETRY_MS) continue;
      if (++u.tries > MAX_TRIES) {
        this.#undeleted.delete(key);
        continue;
      }
      u.at = now;
      this.#busy.add(key);
      this.#deps
        .remove(u.record)
        .then(
          () => this.#undeleted.delete(key),
          () => undefined,
        )
        .finally(() => this.#busy.delete(key));
    }
  }
}
