import { memo, useCallback, useEffect, useState } from 'react';
import type { Transfer } from '../../shared/api.ts';
import type { Star } from '../star/connect.ts';
import { errorMessage } from './format.ts';
import { TransferRow } from './TransferRow.tsx';

const RETRY_MS = 2000;
/** rows shown until the person asks for all: a long history would take seconds to render on every change */
export const HISTORY_ROWS = 100;

/**
 * This account's transfers, newest first; reloaded whenever `refresh` changes. Memoised: the
 * wallet re-renders every second and on every status event, and a table of hundreds of rows
 * is only worth rendering again when the history changed.
 */
export const HistoryPanel = memo(function HistoryPanel(props: { star: Pick<Star, 'history' | 'finalityProof'>; refresh: number }) {
  const { star, refresh } = props;
  const [transfers, setTransfers] = useState<Transfer[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [showAll, setShowAll] = useState(false);
  // one function for every row and render, so unchanged rows are not rendered again
  const proof = useCallback((id: string) => star.finalityProof(id), [star]);

  useEffect(() => {
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const load = () => {
      // one row more than is shown, to know whether there are more to show
      star.history(showAll ? {} : { limit: HISTORY_ROWS + 1 }).then(
        (list) => {
          if (stopped) return;
          setTransfers(list);
          setError(null);
        },
        (err: unknown) => {
          if (stopped) return;
          setError(errorMessage(err));
          // e.g. the relay not reached yet: try again until the chains start
          retry = setTimeout(load, RETRY_MS);
        },
      );
    };
    load();
    return () => {
      stopped = true;
      clearTimeout(retry);
    };
  }, [star, refresh, showAll]);

  return (
    <section aria-label="history">
      <h2>History</h2>
      {error && <p className="muted">History not available yet: {error}</p>}
      {transfers !== null && transfers.length === 0 && <p className="muted">No transfers yet. Get test coins or ask someone to send you some.</p>}
      {transfers !== null && transfers.length > 0 && (
        <table className="history">
          <thead>
            <tr>
              <th>Direction</th>
              <th>With</th>
              <th className="num">Amount</th>
              <th>Memo</th>
              <th>Status</th>
              <th>Time</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(showAll ? transfers : transfers.slice(0, HISTORY_ROWS)).map((t) => (
              <TransferRow key={t.id} transfer={t} proof={proof} />
            ))}
          </tbody>
        </table>
      )}
      {transfers !== null && transfers.length > HISTORY_ROWS && (
        <button type="button" onClick={() => setShowAll(!showAll)} data-testid="history-more">
          {showAll ? `Show the newest ${HISTORY_ROWS}` : 'Show all transfers'}
        </button>
      )}
    </section>
  );
});
