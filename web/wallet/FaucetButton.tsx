import { useState } from 'react';
import type { Star } from '../star/connect.ts';
import { errorMessage } from './format.ts';

type Outcome = { ok: true; amount: number } | { ok: false; message: string };

/** Dev network only: asks the relay's faucet for test coins (rate-limited per account). */
export function FaucetButton(props: { star: Pick<Star, 'requestFaucet'>; onFunded: () => void }) {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const ask = () => {
    setBusy(true);
    setOutcome(null);
    props.star.requestFaucet().then(
      (payout) => {
        setBusy(false);
        setOutcome({ ok: true, amount: payout.amount });
        props.onFunded();
      },
      // RATE_LIMITED's message already says when to try again
      (err: unknown) => {
        setBusy(false);
        setOutcome({ ok: false, message: errorMessage(err) });
      },
    );
  };
  return (
    <div className="faucet">
      <button type="button" onClick={ask} disabled={busy}>
        Get test coins
      </button>
      {busy && <span className="muted"> Asking the faucet…</span>}
      {outcome?.ok === true && <p role="status">Faucet sent {outcome.amount} coins.</p>}
      {outcome?.ok === false && (
        <p className="error" role="alert">
          {outcome.message}
        </p>
      )}
    </div>
  );
}
