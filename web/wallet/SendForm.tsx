import { memo, useState, type FormEvent } from 'react';
import type { Star } from '../star/connect.ts';
import { Field } from './Field.tsx';
import { FormFailure, useFormAction, SubmitRow } from './form-action.tsx';
import { errorMessage } from './format.ts';
import { checkSend } from './send-check.ts';

/** Sends coins: checks the address and amount here, then proposes the transfer. */
export const SendForm = memo(function SendForm(props: { star: Pick<Star, 'transfer'>; onSent: () => void }) {
  const [to, setTo] = useState('');
  const [amount, setAmount] = useState('');
  const [memo, setMemo] = useState('');
  const { busy, outcome, run } = useFormAction<{ id: string }>(errorMessage);
  const submit = (e: FormEvent) =>
    run(e, checkSend(to, amount), async (check) => {
      const { id } = await props.star.transfer(check.to, check.amount, memo);
      setTo('');
      setAmount('');
      setMemo('');
      props.onSent();
      return { id };
    });

  return (
    <section>
      <h2>Send</h2>
      <form className="stack" aria-label="send" onSubmit={submit} noValidate>
        <Field label="To address" value={to} onChange={(e) => setTo(e.target.value)} placeholder="sw1…" autoComplete="off" spellCheck={false} />
        <Field label="Amount" value={amount} onChange={(e) => setAmount(e.target.value)} inputMode="numeric" autoComplete="off" />
        <Field label="Memo (optional)" value={memo} onChange={(e) => setMemo(e.target.value)} autoComplete="off" />
        <SubmitRow busy={busy} label="Send" busyText="Signing and sending…" />
        {outcome?.ok === true && <p role="status">Sent, id {outcome.id.slice(0, 12)}…</p>}
        <FormFailure outcome={outcome} />
      </form>
    </section>
  );
});
