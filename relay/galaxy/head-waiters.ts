/**
 * Requests waiting for the Galaxy's chain to reach a height: the long poll of
 * `GET /blocks?from=&wait=`. A Star that asks for the block after its head is answered the
 * moment that block is stored, one HTTP hop from the Galaxy, instead of waiting for the
 * gossip to carry it through the relay (measured with 16 tabs on 2 cores: a block reached
 * the median seat 0.3–3.2 s after the Galaxy made it, mostly queueing in the relay).
 *
 * Bounded: past `max` waiters a request is answered at once (the asker falls back to the
 * gossip and asks again later), so a crowd of Stars cannot pile up timers and sockets.
 */
export class HeadWaiters {
  readonly #max: number;
  readonly #waiting = new Set<{ height: number; done: () => void }>();

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#waiting.size;
  }

  /**
   * Resolves true once `notify` reports a height ≥ `height`, false after `ms`, when the
   * signal aborts, or at once when `max` requests already wait.
   */
  wait(height: number, ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#waiting.size >= this.#max || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const entry = { height, done: () => finish(true) };
      const finish = (reached: boolean): void => {
        if (!this.#waiting.delete(entry)) return;
        clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
        resolve(reached);
      };
      const aborted = (): void => finish(false);
      const timer = setTimeout(() => finish(false), ms);
      signal?.addEventListener('abort', aborted, { once: true });
      this.#waiting.add(entry);
    });
  }

  /** The chain's head is now `height`: every request waiting for it or less is answered. */
  notify(height: number): void {
    for (const entry of [...this.#waiting]) if (entry.height <= height) entry.done();
  }
}
