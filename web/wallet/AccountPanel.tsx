import { memo, useEffect, useState } from 'react';
import type { Balance } from '../../shared/api.ts';
import type { Star } from '../star/connect.ts';
import { unlessSame } from './same-view.ts';
import { CopyButton } from './CopyButton.tsx';
import { FaucetButton } from './FaucetButton.tsx';
import { errorMessage } from './format.ts';

const BALANCE_REFRESH_MS = 2000;

/**
 * This account: its address and balance. `refresh` changes whenever a transfer of this
 * account appears or changes; the balance is also read every 2 s.
 */
export const AccountPanel = memo(function AccountPanel(props: { star: Pick<Star, 'address' | 'balance' | 'requestFaucet'>; refresh: number; onFunded: () => void }) {
  const { star, refresh } = props;
  const [balance, setBalance] = useState<Balance | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    let seq = 0;
    const load = () => {
      const n = ++seq;
      star.balance().then(
        (b) => {
          if (stopped || n !== seq) return;
          setBalance(unlessSame<Balance | null>(b));
          setError(null);
        },
        (err: unknown) => !stopped && n === seq && setError(errorMessage(err)),
      );
    };
    load();
    const timer = setInterval(load, BALANCE_REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [star, refresh]);

  const show = (n: number | undefined) => (n === undefined ? '—' : String(n));
  return (
    <section className="account" aria-label="account">
      <h2>Your account</h2>
      <p className="address-line">
        <span className="mono" data-testid="address">
          {star.address}
        </span>{' '}
        <CopyButton text={star.address} />
      </p>
      <dl className="balance">
        <dt>Available</dt>
        <dd data-testid="balance-available">{show(balance?.available)}</dd>
        <dt>Pending</dt>
        <dd data-testid="balance-pending">{show(balance?.pending)}</dd>
        <dt>Final</dt>
        <dd data-testid="balance-final">{show(balance?.final)}</dd>
      </dl>
      {error && (
        <p className="muted" data-testid="balance-error">
          Balance not available yet: {error}
        </p>
      )}
      <FaucetButton star={star} onFunded={props.onFunded} />
    </section>
  );
});
