import { useState, type FormEvent } from 'react';
import type { Star } from '../star/connect.ts';
import { Field } from './Field.tsx';
import { FormFailure, useFormAction, SubmitRow } from './form-action.tsx';
import { storageProblem } from './storage-advice.ts';
import { checkPut } from './storage-check.ts';

/** Stores a text value under one of this account's keys, public or sealed for readers. */
export function StoreValueForm(props: { star: Pick<Star, 'put'> }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [isPrivate, setPrivate] = useState(false);
  const [readers, setReaders] = useState('');
  const { busy, outcome, run } = useFormAction<{ key: string; private: boolean }>(storageProblem);
  const submit = (e: FormEvent) =>
    run(e, checkPut(key, value, isPrivate, readers), async (check) => {
      await props.star.put(check.key, check.value, check.readers ? { readers: check.readers } : undefined);
      setValue('');
      return { key: check.key, private: check.readers !== undefined };
    });

  return (
    <form className="stack" aria-label="store a value" onSubmit={submit} noValidate>
      <h3>Store a value</h3>
      <Field label="Key" value={key} onChange={(e) => setKey(e.target.value)} placeholder="notes/today" autoComplete="off" spellCheck={false} />
      <Field label="Value" value={value} onChange={(e) => setValue(e.target.value)} autoComplete="off" />
      <label className="check">
        <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} /> Private: only you and the readers you name can read it
      </label>
      {isPrivate && <Field label="Readers (addresses, optional)" value={readers} onChange={(e) => setReaders(e.target.value)} placeholder="sw1… sw1…" autoComplete="off" spellCheck={false} />}
      <SubmitRow busy={busy} label="Store" busyText="Signing and storing on 3 Stars…" />
      {outcome?.ok === true && (
        <p role="status">
          Stored “{outcome.key}”{outcome.private ? ', sealed for its readers' : ''}.
        </p>
      )}
      <FormFailure outcome={outcome} />
    </form>
  );
}
