/**
 * Collects gossip validations for a few milliseconds and judges them in one call to the
 * worker, so a burst of messages costs one comlink round trip, not one per message.
 */
export const BATCH_WINDOW_MS = 4;
export const MAX_BATCH = 256;

export class ValidatorBatch<Item, Verdict> {
  private queue: Array<{ item: Item; resolve: (v: Verdict) => void; reject: (e: unknown) => void }> = [];
  private timer?: ReturnType<typeof setTimeout>;
  private readonly judge: (items: Item[]) => Promise<Verdict[]>;

  constructor(judge: (items: Item[]) => Promise<Verdict[]>) {
    this.judge = judge;
  }

  submit(item: Item): Promise<Verdict> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length >= MAX_BATCH) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), BATCH_WINDOW_MS);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.judge(batch.map((b) => b.item)).then(
      (verdicts) => batch.forEach((b, i) => b.resolve(verdicts[i]!)),
      (err: unknown) => batch.forEach((b) => b.reject(err)),
    );
  }
}
