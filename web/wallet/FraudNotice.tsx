import { shortAddress } from './format.ts';

/** A fraud proof blocked an account: say which one, until the user dismisses it. */
export function FraudNotice(props: { address: string; onDismiss: () => void }) {
  return (
    <div className="banner error" role="alert" data-testid="fraud-notice">
      Account{' '}
      <span className="mono" title={props.address}>
        {shortAddress(props.address)}
      </span>{' '}
      was caught signing conflicting blocks; its transfers are refused.{' '}
      <button type="button" onClick={props.onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
