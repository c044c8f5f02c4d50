/**
 * The relay's view of its Galaxies: it asks each one's GET /health every 2 s, so its own
 * /health can say whether the network finalises (a quorum of Galaxies up), and shows each
 * Galaxy's state and height in the health detail.
 */
import { quorumSize } from '../shared/finality/checkpoint.ts';

export const GALAXY_POLL_MS = 2_000;
const POLL_TIMEOUT_MS = 1_500;

export interface GalaxyStatus {
  url: string;
  ok: boolean;
  height?: number;
  /** why it is not ok (unreachable, starting, …) */
  error?: string;
  checkedAt?: number;
}

export class GalaxyHealth {
  private readonly statuses: GalaxyStatus[];
  private timer?: ReturnType<typeof setInterval>;
  private readonly fetchFn: typeof fetch;

  constructor(urls: readonly string[], fetchFn: typeof fetch = fetch) {
    this.statuses = urls.map((url) => ({ url, ok: false, error: 'not checked yet' }));
    this.fetchFn = fetchFn;
  }

  start(): void {
    if (this.statuses.length === 0) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), GALAXY_POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Asks every Galaxy once (also what the timer does). */
  async poll(): Promise<void> {
    await Promise.all(this.statuses.map((s) => this.check(s)));
  }

  /** No Galaxies configured (no finality) is fine; otherwise a quorum must be healthy. */
  ok(): boolean {
    const n = this.statuses.length;
    return n === 0 || this.healthy() >= quorumSize(n);
  }

  healthy(): number {
    return this.statuses.filter((s) => s.ok).length;
  }

  detail(): { configured: number; healthy: number; quorum: number; galaxies: GalaxyStatus[] } {
    const n = this.statuses.length;
    return { configured: n, healthy: this.healthy(), quorum: n === 0 ? 0 : quorumSize(n), galaxies: this.statuses.map((s) => ({ ...s })) };
  }

  private async check(s: GalaxyStatus): Promise<void> {
    try {
      const res = await this.fetchFn(`${s.url}/health`, { signal: AbortSignal.timeout(POLL_TIMEOUT_MS) });
      const body = (await res.json().catch(() => ({}))) as { status?: unknown; galaxy?: { height?: unknown } };
      s.ok = res.status === 200;
      s.height = typeof body.galaxy?.height === 'number' ? body.galaxy.height : undefined;
      s.error = s.ok ? undefined : `health ${res.status}${typeof body.status === 'string' ? ` (${body.status})` : ''}`;
    } catch (err) {
      s.ok = false;
      s.height = undefined;
      s.error = `unreachable: ${(err as Error).message}`;
    }
    s.checkedAt = Date.now();
  }
}
