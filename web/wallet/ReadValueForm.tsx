import { useState, type FormEvent } from 'react';
import type { GetResult } from '../../shared/api.ts';
import type { Star } from '../star/connect.ts';
import { Field } from './Field.tsx';
import { formatTime, shortAddress } from './format.ts';
import { storageProblem } from './storage-advice.ts';
import { checkGet } from './storage-check.ts';

type Outcome = { ok: true; result: GetResult } | { ok: false; message: string };

/** Reads a key of this account, or of another account whose address is given. */
export function ReadValueForm(props: { star: Pick<Star, 'get'> }) {
  const [owner, setOwner] = useState('');
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const check = checkGet(owner, key);
    if (!check.ok) {
      setOutcome(check);
      return;
    }
    setBusy(true);
    setOutcome(null);
    props.star.get(check.key, check.owner).then(
      (result) => {
        setBusy(false);
        setOutcome({ ok: true, result });
      },
      (err: unknown) => {
        setBusy(false);
        setOutcome({ ok: false, message: storageProblem(err) });
      },
    );
  };

  const result = outcome?.ok === true ? outcome.result : null;
  return (
    <form className="stack" aria-label="read a value" onSubmit={submit} noValidate>
      <h3>Read a value</h3>
      <Field label="Owner (empty: you)" value={owner} onChange={(e) => setOwner(e.target.value)} placeholder="sw1…" autoComplete="off" spellCheck={false} />
      <Field label="Key" value={key} onChange={(e) => setKey(e.target.value)} placeholder="notes/today" autoComplete="off" spellCheck={false} />
      <div>
        <button type="submit" disabled={busy}>
          Read
        </button>
        {busy && <span className="muted"> Asking the Stars that hold it…</span>}
      </div>
      {result && result.versions.length === 0 && <p role="status">Nothing is stored under “{result.key}”.</p>}
      {result && result.versions.length > 0 && (
        <div role="status">
          {result.versions.length > 1 && <p className="muted">{result.versions.length} versions were written at the same time; the owner’s next write of this key replaces them all.</p>}
          <ul className="versions">
            {result.versions.map((v, i) => (
              <li key={i}>
                <span data-testid="stored-value">{typeof v.value === 'string' ? v.value : `${v.value.byteLength} bytes`}</span>{' '}
                <span className="muted">
                  by <span title={v.writer}>{shortAddress(v.writer)}</span>, <time dateTime={Number.isFinite(v.writtenAt) ? new Date(v.writtenAt).toISOString() : undefined}>{formatTime(v.writtenAt)}</time>
                  {v.private ? ', private' : ''}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {outcome?.ok === false && (
        <p className="error" role="alert">
          {outcome.message}
        </p>
      )}
    </form>
  );
}
