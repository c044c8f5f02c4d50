import { useState, type FormEvent } from 'react';
import type { Star } from '../star/connect.ts';
import { Field } from './Field.tsx';
import { storageProblem } from './storage-advice.ts';
import { checkPut } from './storage-check.ts';

type Outcome = { ok: true; key: string; private: boolean } | { ok: false; message: string };

/** Stores a text value under one of this account's keys, public or sealed for readers. */
export function StoreValueForm(props: { star: Pick<Star, 'put'> }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [isPrivate, setPrivate] = useState(false);
  const [readers, setReaders] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const check = checkPut(key, value, isPrivate, readers);
    if (!check.ok) {
      setOutcome(check);
      return;
    }
    setBusy(true);
    setOutcome(null);
    props.star.put(check.key, check.value, check.readers ? { readers: check.readers } : undefined).then(
      () => {
        setBusy(false);
        setOutcome({ ok: true, key: check.key, private: check.readers !== undefined });
        setValue('');
      },
      (err: unknown) => {
        setBusy(false);
        setOutcome({ ok: false, message: storageProblem(err) });
      },
    );
  };

  return (
    <form className="stack" aria-label="store a value" onSubmit={submit} noValidate>
      <h3>Store a value</h3>
      <Field label="Key" value={key} onChange={(e) => setKey(e.target.value)} placeholder="notes/today" autoComplete="off" spellCheck={false} />
      <Field label="Value" value={value} onChange={(e) => setValue(e.target.value)} autoComplete="off" />
      <label className="check">
        <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} /> Private: only you and the readers you name can read it
      </label>
      {isPrivate && <Field label="Readers (addresses, optional)" value={readers} onChange={(e) => setReaders(e.target.value)} placeholder="sw1… sw1…" autoComplete="off" spellCheck={false} />}
      <div>
        <button type="submit" disabled={busy}>
          Store
        </button>
        {busy && <span className="muted"> Signing and storing on 3 Stars…</span>}
      </div>
      {outcome?.ok === true && (
        <p role="status">
          Stored “{outcome.key}”{outcome.private ? ', sealed for its readers' : ''}.
        </p>
      )}
      {outcome?.ok === false && (
        <p className="error" role="alert">
          {outcome.message}
        </p>
      )}
    </form>
  );
}
