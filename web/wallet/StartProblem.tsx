/** Why this tab has no running Star: the account is open elsewhere, or starting failed. */
export function StartProblem(props: { inUse: boolean; message: string; busy: boolean; onTakeOver: () => void }) {
  if (!props.inUse) {
    return (
      <div className="panel error" role="alert" data-testid="start-error">
        <p>
          Could not start this Star: {props.message.replace(/\.\s*$/, '')}. Reload the page to try again.
        </p>
        <button type="button" onClick={() => location.reload()}>
          Reload
        </button>
      </div>
    );
  }
  return (
    <div className="panel" role="alert" data-testid="account-in-use">
      <h2>This account is open in another tab</h2>
      <p>{props.message}</p>
      <p className="muted">Using it here stops it in the other tab.</p>
      <button type="button" onClick={props.onTakeOver} disabled={props.busy}>
        Use it here
      </button>
      {props.busy && <span className="muted"> Moving the account to this tab…</span>}
    </div>
  );
}
