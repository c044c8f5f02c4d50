import type { ClosedInfo } from '../../shared/api.ts';

/** The Star stopped by itself (its account moved to another tab). */
export function ClosedPanel({ info }: { info: ClosedInfo }) {
  return (
    <div className="panel" role="alert" data-testid="star-closed">
      <p>{info.message}</p>
      <button type="button" onClick={() => location.reload()}>
        Reload
      </button>
    </div>
  );
}
