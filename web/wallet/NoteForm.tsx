import { useState, type FormEvent } from 'react';
import type { Star } from '../star/connect.ts';
import { Field } from './Field.tsx';
import { FormFailure, useFormAction, SubmitRow } from './form-action.tsx';
import { shortAddress } from './format.ts';
import { storageProblem } from './storage-advice.ts';
import { checkNote } from './storage-check.ts';

/**
 * Writes to an account's inbox: the address is checked here (a typo is caught before
 * anything is signed), then the Star stores the note where the recipient will find it.
 * Labels avoid the word "message": the gossip feed's input is labelled that.
 */
export function NoteForm(props: { star: Pick<Star, 'send'> }) {
  const [to, setTo] = useState('');
  const [text, setText] = useState('');
  const { busy, outcome, run } = useFormAction<{ to: string }>(storageProblem);
  const submit = (e: FormEvent) =>
    run(e, checkNote(to, text), async (check) => {
      await props.star.send(check.to, check.text);
      setText('');
      return { to: check.to };
    });

  return (
    <form className="stack" aria-label="write to an inbox" onSubmit={submit} noValidate>
      <h3>Write to an inbox</h3>
      <Field label="To address" value={to} onChange={(e) => setTo(e.target.value)} placeholder="sw1…" autoComplete="off" spellCheck={false} />
      <Field label="Text" value={text} onChange={(e) => setText(e.target.value)} autoComplete="off" />
      <SubmitRow busy={busy} label="Deliver" busyText="Signing and storing…" />
      {outcome?.ok === true && <p role="status">Stored in the inbox of {shortAddress(outcome.to)}; it is delivered when that account is online.</p>}
      <FormFailure outcome={outcome} />
    </form>
  );
}
