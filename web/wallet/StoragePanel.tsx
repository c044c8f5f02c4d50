import { memo, useEffect, useState } from 'react';
import type { StorageStats } from '../../shared/api.ts';
import type { Star } from '../star/connect.ts';
import { unlessSame } from './same-view.ts';
import { errorMessage } from './format.ts';
import { ReadValueForm } from './ReadValueForm.tsx';
import { StorageFigures } from './StorageFigures.tsx';
import { StoreValueForm } from './StoreValueForm.tsx';

const RETRY_MS = 2000;

/**
 * What this Star keeps for the network (its shard of other accounts' keys), updated on
 * every 'storage' event, and forms to store and read this account's own values.
 */
export const StoragePanel = memo(function StoragePanel(props: { star: Pick<Star, 'storageStats' | 'on' | 'put' | 'get'> }) {
  const { star } = props;
  const [stats, setStats] = useState<StorageStats | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    // an event's figures are newer than an answer still on its way
    let heard = false;
    const show = (s: StorageStats) => {
      if (stopped) return;
      setStats(unlessSame<StorageStats | null>(s));
      setError(null);
    };
    const load = () => {
      star.storageStats().then((s) => !heard && show(s), (err: unknown) => {
        if (stopped) return;
        setError(errorMessage(err));
        // e.g. storage not started yet (the relay not reached): try again until it is
        retry = setTimeout(load, RETRY_MS);
      });
    };
    load();
    const off = star.on('storage', (s) => {
      heard = true;
      clearTimeout(retry);
      show(s);
    });
    return () => {
      stopped = true;
      clearTimeout(retry);
      off();
    };
  }, [star]);

  return (
    <section aria-label="storage">
      <h2>Storage</h2>
      <p className="muted">What this Star keeps for the network: copies of other accounts’ keys (each key lives on 3 Stars), in this browser.</p>
      {error && !stats && <p className="muted">Storage figures not available yet: {error}</p>}
      {stats && <StorageFigures stats={stats} />}
      <StoreValueForm star={star} />
      <ReadValueForm star={star} />
    </section>
  );
});
