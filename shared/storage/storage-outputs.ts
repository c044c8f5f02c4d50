/**
 * What a StorageNode asks its adapter to do: every input method returns one array of these,
 * in order. The worker sends `send`s over `/starweave/store/1` streams, commits the one
 * `persist` of a step to IndexedDB (one transaction) BEFORE it delivers that step's sends
 * and replies (an ack must never promise a write that is not on disk), answers the client
 * with `reply`, raises `event`s to the page, and lowers a peer's score on `penalise`.
 */
import type { StarErrorCode } from '../errors.ts';
import type { AuditOutcome } from './audit.ts';
import type { VersionRef, VersionWrite } from './replica-store.ts';
import type { MemberId, SignedRecord } from './types.ts';
import type { StoreMessage } from './wire.ts';

export type ClientReply =
  | { requestId: number; ok: true; op: 'put' }
  /** every version no other supersedes: one, or siblings when writes were concurrent; none: no such key */
  | { requestId: number; ok: true; op: 'get'; records: SignedRecord[] }
  /** names with a live (non-tombstone) version; `partial` when some Stars did not answer */
  | { requestId: number; ok: true; op: 'list'; names: string[]; partial: boolean }
  | { requestId: number; ok: false; error: { code: StarErrorCode; message: string } };

export type StorageEvent =
  /** this Star's shard changed: what it holds now (the wallet's "storage held") */
  | { type: 'stored-changed'; keys: number; records: number; bytes: number; hinted: number }
  /** inbox records addressed to this Star's account, each delivered once */
  | { type: 'inbox'; records: SignedRecord[] }
  /** an audit this Star ran as auditor came out (reputation input) */
  | { type: 'audit'; holder: MemberId; outcome: AuditOutcome };

export type StorageOutput =
  | { kind: 'send'; to: MemberId; msg: StoreMessage }
  /** one IndexedDB transaction: versions to write, versions to delete (own shard or hints) */
  | { kind: 'persist'; write: VersionWrite[]; remove: VersionRef[] }
  | { kind: 'reply'; reply: ClientReply }
  | { kind: 'event'; event: StorageEvent }
  /** `peer` sent something no honest Star sends */
  | { kind: 'penalise'; peer: MemberId; reason: string };

const refKey = (r: VersionRef): string => `${r.hint ?? ''}|${r.keyId}|${r.digest}`;

/** Collects one step's outputs; persist entries are merged into a single output at the end. */
export class Out {
  readonly #items: StorageOutput[] = [];
  readonly #persist = new Map<string, ({ write: VersionWrite } | { remove: VersionRef }) & { firstWritten: boolean }>();

  send(to: MemberId, msg: StoreMessage): void {
    this.#items.push({ kind: 'send', to, msg });
  }
  reply(reply: ClientReply): void {
    this.#items.push({ kind: 'reply', reply });
  }
  event(event: StorageEvent): void {
    this.#items.push({ kind: 'event', event });
  }
  penalise(peer: MemberId, reason: string): void {
    this.#items.push({ kind: 'penalise', peer, reason });
  }
  /**
   * Later entries for one version win, except that a version first written in this step and
   * then deleted in it never reaches the disk at all (it was not there before the step).
   */
  persist(write: readonly VersionWrite[], remove: readonly VersionRef[]): void {
    for (const r of remove) {
      const k = refKey(r);
      const prior = this.#persist.get(k);
      if (prior?.firstWritten === true) this.#persist.delete(k);
      else this.#persist.set(k, { remove: r, firstWritten: false });
    }
    for (const w of write) {
      const k = refKey(w);
      this.#persist.set(k, { write: w, firstWritten: this.#persist.get(k)?.firstWritten ?? true });
    }
  }
  finish(): StorageOutput[] {
    if (this.#persist.size === 0) return this.#items;
    const write: VersionWrite[] = [];
    const remove: VersionRef[] = [];
    for (const p of this.#persist.values()) {
      if ('write' in p) write.push(p.write);
      else remove.push(p.remove);
    }
    return [{ kind: 'persist', write, remove }, ...this.#items];
  }
}
