/**
 * Inbox messages reach the page once: the worker removes a message from the inbox when it
 * hands it over. One that arrives before the page has an on('message') handler (the inbox
 * is delivered as soon as this Star is back online, which can beat the wallet's or a
 * dApp's first render) is held here and given to the first handler, in arrival order.
 */
import type { InboxMessage, StarEvents } from '../../shared/api.ts';
import type { Emitter } from './emitter.ts';

/** held messages beyond this are dropped oldest first (a page that never listens) */
export const MAX_HELD_MESSAGES = 1_000;

export class HeldMessages {
  private readonly events: Emitter<StarEvents>;
  private held: InboxMessage[] = [];
  private releasing = false;

  constructor(events: Emitter<StarEvents>) {
    this.events = events;
  }

  /** A message from the worker: to the handlers, or held until there is one. */
  deliver(m: InboxMessage): void {
    // while held messages wait for their release, newer ones queue behind them
    if (this.events.count('message') === 0 || this.held.length > 0) {
      this.held.push(m);
      if (this.held.length > MAX_HELD_MESSAGES) this.held.shift();
      return;
    }
    this.events.emit('message', m);
  }

  /** A handler was added: hand it what waited (just after `on()` returns). */
  release(): void {
    if (this.releasing || this.held.length === 0) return;
    this.releasing = true;
    queueMicrotask(() => {
      this.releasing = false;
      // the handler may have been removed at once: keep them for the next one
      if (this.events.count('message') === 0) return;
      const list = this.held;
      this.held = [];
      for (const m of list) this.events.emit('message', m);
    });
  }
}
