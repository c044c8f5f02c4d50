import { useEffect, useState } from 'react';
import type { RelayInfo } from '../../shared/api.ts';

/** Shown while the relay is unreachable: what failed, what to do, and when the next try is. */
export function RelayBanner({ info }: { info: RelayInfo }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, []);
  if (info.state === 'connected') return null;
  const wait = info.nextRetryAt ? Math.max(0, Math.ceil((info.nextRetryAt - now) / 1000)) : null;
  return (
    <div className={info.state === 'down' ? 'banner error' : 'banner'} role="alert" data-testid="relay-error">
      {info.state === 'down' ? (
        <>
          <strong>Relay unreachable.</strong> {info.error}{' '}
          <span data-testid="relay-retry">
            Attempt {info.attempts}
            {wait !== null ? `; next try in ${wait} s.` : '.'}
          </span>
        </>
      ) : (
        <>Connecting to the relay at {info.url}…{info.error ? ` (${info.error})` : ''}</>
      )}
    </div>
  );
}
