import { memo, useEffect, useState } from 'react';
import type { RelayInfo } from '../../shared/api.ts';

/** Shown while the relay is unreachable (what failed, what to do, when the next try is), or holds no reservation for this Star. */
export const RelayBanner = memo(function RelayBanner({ info }: { info: RelayInfo }) {
  const [now, setNow] = useState(Date.now());
  // the clock ticks only while a retry countdown is on screen
  const counting = info.state === 'down' && info.nextRetryAt !== undefined;
  useEffect(() => {
    if (!counting) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [counting]);
  if (info.state === 'connected') {
    // connected but unreachable: the relay holds no reservation for this Star
    if (!info.error) return null;
    return (
      <div className="banner" role="alert" data-testid="relay-error">
        <strong>Other Stars cannot reach this one.</strong> {info.error}
      </div>
    );
  }
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
});
