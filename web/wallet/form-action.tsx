/**
 * The wallet's forms all work the same way: check the input here (a typo is caught before
 * anything is signed), then call the Star once, show "busy" meanwhile, and show what came of
 * it. This is that cycle, once; each form keeps its own fields and its own success view.
 */
import { useState, type FormEvent } from 'react';

export type Failure = { ok: false; message: string };
export type FormOutcome<T> = ({ ok: true } & T) | Failure;

export function useFormAction<T extends object>(describe: (err: unknown) => string) {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<FormOutcome<T> | null>(null);

  /** A failed check becomes the outcome at once; else `action` runs and its result (or error) does. */
  const run = <C extends object>(e: FormEvent, check: ({ ok: true } & C) | Failure, action: (checked: C) => Promise<T>): void => {
    e.preventDefault();
    if (busy) return;
    if (!check.ok) return setOutcome(check);
    setBusy(true);
    setOutcome(null);
    action(check).then(
      (value) => {
        setBusy(false);
        setOutcome({ ok: true, ...value });
      },
      (err: unknown) => {
        setBusy(false);
        setOutcome({ ok: false, message: describe(err) });
      },
    );
  };

  return { busy, outcome, run };
}

/** The failure of a form's last attempt, if it failed. */
export function FormFailure(props: { outcome: FormOutcome<object> | null }) {
  if (props.outcome?.ok !== false) return null;
  return (
    <p className="error" role="alert">
      {props.outcome.message}
    </p>
  );
}

/** A form's submit button, disabled while its call runs, with what it is doing meanwhile. */
export function SubmitRow(props: { busy: boolean; label: string; busyText: string }) {
  return (
    <div>
      <button type="submit" disabled={props.busy}>
        {props.label}
      </button>
      {props.busy && <span className="muted"> {props.busyText}</span>}
    </div>
  );
}
