/**
 * The 'storage' event: what this Star holds for the network (the wallet's "storage held")
 * and the browser's quota. Changes are reported at most twice a second; a full disk is
 * reported at once, with a fresh estimate, so the user learns of it while it matters.
 */
import type { StorageStats } from '../shared/api.ts';
import type { QuotaInfo, QuotaSource } from './storage-quota.ts';

/** 'storage' events at most this often (≤ 2/s) */
export const STATS_MIN_MS = 500;
/** the browser's quota estimate is asked again after this long (or at once on a full disk) */
const QUOTA_REFRESH_MS = 10_000;

export interface StatsDeps {
  /** what the shard holds now (quota left out) */
  held(): Omit<StorageStats, 'quota'>;
  quota?: QuotaSource;
  emit(stats: StorageStats): void;
}

export class StatsReporter {
  readonly #deps: StatsDeps;
  #timer?: ReturnType<typeof setTimeout>;
  #lastAt = 0;
  #quota?: { at: number; info: QuotaInfo | undefined };
  #closed = false;

  constructor(deps: StatsDeps) {
    this.#deps = deps;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  async stats(freshQuota = false): Promise<StorageStats> {
    const quota = await this.#quotaInfo(freshQuota);
    return { ...this.#deps.held(), ...(quota ? { quota } : {}) };
  }

  /** something changed: an event within STATS_MIN_MS of the last one */
  changed(): void {
    if (this.#timer !== undefined || this.#closed) return;
    const wait = Math.max(0, this.#lastAt + STATS_MIN_MS - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.emitNow(false);
    }, wait);
  }

  /** an event now (a full disk: with a fresh estimate) */
  async emitNow(freshQuota: boolean): Promise<void> {
    this.#lastAt = Date.now();
    const stats = await this.stats(freshQuota);
    if (!this.#closed) this.#deps.emit(stats);
  }

  async #quotaInfo(fresh: boolean): Promise<QuotaInfo | undefined> {
    const source = this.#deps.quota;
    if (!source) return undefined;
    const now = Date.now();
    if (!fresh && this.#quota && now - this.#quota.at < QUOTA_REFRESH_MS) return this.#quota.info;
    const info = await source.estimate();
    this.#quota = { at: now, info };
    return info;
  }
}
