/**
 * Runs `fn` at most once per `ms`: the first trigger runs it at once, triggers during the
 * following `ms` run it once more at the end. Every change is still shown, at most `ms`
 * late. Why it exists: work that follows events in bursts runs on the Star's own main
 * thread. A Blackhole block can make hundreds of this account's transfers final at once,
 * each with its own `transfer` event (reloading the balance and the whole history for each
 * froze the wallet); connections open and close in bursts, each a `status` event.
 */
export interface Coalesced {
  trigger(): void;
  cancel(): void;
}

export function coalesce(fn: () => void, ms: number): Coalesced {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending = false;
  const open = () => {
    timer = setTimeout(() => {
      timer = undefined;
      if (!pending) return;
      pending = false;
      fn();
      open();
    }, ms);
  };
  return {
    trigger() {
      if (timer !== undefined) {
        pending = true;
        return;
      }
      fn();
      open();
    },
    cancel() {
      clearTimeout(timer);
      timer = undefined;
      pending = false;
    },
  };
}
