import { useState, type FormEvent } from 'react';
import type { Star } from '../star/connect.ts';
import { Field } from './Field.tsx';
import { errorMessage } from './format.ts';
import { checkSend } from './send-check.ts';

type Outcome = { ok: true; id: string } | { ok: false; message: string };

/** Sends coins: checks the address and amount here, then proposes the transfer. */
export function SendForm(props: { star: Pick<Star, 'transfer'>; onSent: () => void }) {
  const [to, setTo] = useState('');
  const [amount, setAmount] = useState('');
  const [memo, setMemo] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const check = checkSend(to, amount);
    if (!check.ok) {
      setOutcome(check);
      return;
    }
    setBusy(true);
    setOutcome(null);
    props.star.transfer(check.to, check.amount, memo).then(
      ({ id }) => {
        setBusy(false);
        setOutcome({ ok: true, id });
        setTo('');
        setAmount('');
        setMemo('');
        props.onSent();
      },
      (err: unknown) => {
        setBusy(false);
        setOutcome({ ok: false, message: errorMessage(err) });
      },
    );
  };

  return (
    <section>
      <h2>Send</h2>
      <form className="stack" aria-label="send" onSubmit={submit} noValidate>
        <Field label="To address" value={to} onChange={(e) => setTo(e.target.value)} placeholder="sw1…" autoComplete="off" spellCheck={false} />
        <Field label="Amount" value={amount} onChange={(e) => setAmount(e.target.value)} inputMode="numeric" autoComplete="off" />
        <Field label="Memo (optional)" value={memo} onChange={(e) => setMemo(e.target.value)} autoComplete="off" />
        <div>
          <button type="submit" disabled={busy}>
            Send
          </button>
          {busy && <span className="muted"> Signing and sending…</span>}
        </div>
        {outcome?.ok === true && <p role="status">Sent, id {outcome.id.slice(0, 12)}…</p>}
        {outcome?.ok === false && (
          <p className="error" role="alert">
            {outcome.message}
          </p>
        )}
      </form>
    </section>
  );
}
