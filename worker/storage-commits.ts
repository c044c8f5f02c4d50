/**
 * Commits that join: IndexedDB runs readwrite transactions over the same stores one after
 * another anyway, so commits made while MAX_RUNNING transactions are on their way do not
 * each make a transaction of their own: they join ONE next transaction, started as soon as
 * one on its way completes. Making a transaction was a sixth of the storage worker's busy
 * time under load (one per core step); this makes it one per group of steps, without
 * leaving the database idle between two.
 *
 * Order is kept: transactions are made in the order of their first commit, and a joined
 * commit follows every commit made before it. A commit resolves only once the transaction
 * holding it committed; a transaction that fails fails every commit in it (as it fails
 * every batch a step puts in it).
 */
export const MAX_RUNNING = 2;

export class JoinedCommits<B> {
  readonly #write: (batches: readonly B[]) => Promise<void>;
  #running = 0;
  /** the next transaction's batches, while it waits for one on its way to complete */
  #joining: { batches: B[]; done: Promise<void>; start: () => void } | undefined;

  /** `write` makes ONE transaction of the batches (synchronously, before its first await) and resolves once it committed */
  constructor(write: (batches: readonly B[]) => Promise<void>) {
    this.#write = write;
  }

  commit(batches: readonly B[]): Promise<void> {
    if (this.#running < MAX_RUNNING) return this.#run(batches);
    if (this.#joining === undefined) {
      const joined: B[] = [];
      let start!: () => void;
      const done = new Promise<void>((resolve, reject) => {
        start = () => {
          this.#joining = undefined;
          this.#run(joined).then(resolve, reject);
        };
      });
      this.#joining = { batches: joined, done, start };
    }
    this.#joining.batches.push(...batches);
    return this.#joining.done;
  }

  async #run(batches: readonly B[]): Promise<void> {
    this.#running++;
    try {
      await this.#write(batches);
    } finally {
      this.#running--;
      this.#joining?.start();
    }
  }
}
