/**
 * Store messages on their way out of the worker, per member, handed over at the end of the
 * task: the core steps released in one task (the several steps of one joined IndexedDB
 * transaction, a batch of frames and the window of client operations it admits) each had a
 * call to the main thread per peer, and each call was a write on that peer's stream, so a
 * data-channel message. Collected, they cost one call and one write per peer and task.
 * Messages for one member keep their order; nothing is held longer than the current task
 * (a zero-delay timer), and only what already may go out (committed) is given here.
 */
import type { MemberId } from '../shared/storage/types.ts';
import type { StoreMessage } from '../shared/storage/wire.ts';

export class Outbox {
  readonly #flush: (sends: ReadonlyMap<MemberId, readonly StoreMessage[]>) => void;
  #pending = new Map<MemberId, StoreMessage[]>();
  #timer?: ReturnType<typeof setTimeout>;

  /** `flush` gets everything collected, once per task that added something */
  constructor(flush: (sends: ReadonlyMap<MemberId, readonly StoreMessage[]>) => void) {
    this.#flush = flush;
  }

  add(sends: ReadonlyMap<MemberId, readonly StoreMessage[]>): void {
    if (sends.size === 0) return;
    for (const [member, messages] of sends) {
      const list = this.#pending.get(member);
      if (list) list.push(...messages);
      else this.#pending.set(member, [...messages]);
    }
    this.#timer ??= setTimeout(() => this.#send(), 0);
  }

  /** drops what is waiting (the service closed) */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = new Map();
  }

  #send(): void {
    this.#timer = undefined;
    const sends = this.#pending;
    this.#pending = new Map();
    this.#flush(sends);
  }
}
