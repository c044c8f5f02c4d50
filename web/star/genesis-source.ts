/**
 * The network's genesis file, from the relay (`/genesis.json`). The last one seen is kept
 * in localStorage, so a Star that starts while its relay is down still knows the
 * balances its stored chains were built on.
 */
const TIMEOUT_MS = 5_000;

const cacheKey = (relay: string) => `starweave:genesis:${new URL(relay).origin}`;

export async function loadGenesis(relay: string): Promise<unknown | undefined> {
  try {
    const res = await fetch(new URL('/genesis.json', relay), { signal: AbortSignal.timeout(TIMEOUT_MS), cache: 'no-store' });
    if (res.ok) {
      const genesis: unknown = await res.json();
      localStorage.setItem(cacheKey(relay), JSON.stringify(genesis));
      return genesis;
    }
  } catch {
    // relay down: fall back to the copy from the last visit
  }
  const cached = localStorage.getItem(cacheKey(relay));
  return cached === null ? undefined : (JSON.parse(cached) as unknown);
}
