/**
 * One account, one tab. Two Stars running one account in one browser would sign two
 * different blocks at the same sequence number, which is a fraud proof against the
 * account. So the Star holds the Web Lock 'starweave-account' (shared by every tab and
 * worker of this origin) for its whole life: a second tab is refused unless the person
 * chooses to take the account over, which steals the lock and stops the first tab.
 */
import { StarError } from '../shared/errors.ts';

export const ACCOUNT_LOCK_NAME = 'starweave-account';
/** A reloading tab's previous document may still be letting go of the lock. */
const DEFAULT_WAIT_MS = 1500;

export interface AccountLock {
  /** Lets go of the lock (idempotent). `onLost` is not called for this. */
  release(): void;
}

export interface AccountLockOptions {
  /** Steal the lock from the tab holding it (that tab's `onLost` runs). */
  takeOver: boolean;
  /** How long to wait for a busy lock before ACCOUNT_IN_USE. */
  waitMs?: number;
  /** Called once if another tab takes the account over; the Star must stop signing. */
  onLost: () => void;
}

export async function acquireAccountLock(opts: AccountLockOptions): Promise<AccountLock> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (!locks) {
    console.warn('starweave: this browser has no Web Locks API, so two tabs could run this account at once and sign conflicting blocks');
    return { release() {} };
  }

  let released = false;
  let lost = false;
  let letGo!: () => void;
  // The lock is held while the grant callback's promise is pending: it settles only on release().
  const held = new Promise<void>((resolve) => (letGo = resolve));

  /** Resolves true once granted, false if not granted (busy, or `signal` aborted first). */
  const request = (options: LockOptions): Promise<boolean> =>
    new Promise<boolean>((resolveGranted, rejectGranted) => {
      let granted = false;
      locks
        .request(ACCOUNT_LOCK_NAME, options, (lock) => {
          if (lock === null) {
            resolveGranted(false); // ifAvailable and busy
            return undefined;
          }
          granted = true;
          resolveGranted(true);
          return held;
        })
        .catch((err: unknown) => {
          if (!granted) {
            if (options.signal?.aborted) resolveGranted(false); // waited long enough
            else rejectGranted(err);
            return;
          }
          // A held lock's request rejects only when another tab steals it.
          if (!released && !lost) {
            lost = true;
            opts.onLost();
          }
        });
    });

  const lock: AccountLock = {
    release() {
      released = true;
      letGo();
    },
  };

  if (opts.takeOver) {
    // steal cannot be combined with ifAvailable or a signal; it is always granted
    if (await request({ steal: true })) return lock;
  } else {
    if (await request({ ifAvailable: true })) return lock;
    const waitMs = opts.waitMs ?? DEFAULT_WAIT_MS;
    if (waitMs > 0) {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), waitMs);
      const granted = await request({ signal: abort.signal });
      clearTimeout(timer);
      if (granted) return lock;
    }
  }
  throw new StarError(
    'ACCOUNT_IN_USE',
    'This account is open in another tab of this browser. Close it there, or take it over here (the other tab will stop).',
  );
}
