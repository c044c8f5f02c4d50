import { useState, type FormEvent } from 'react';
import type { GetResult } from '../../shared/api.ts';
import type { Star } from '../star/connect.ts';
import { Field } from './Field.tsx';
import { FormFailure, useFormAction, SubmitRow } from './form-action.tsx';
import { formatTime, shortAddress } from './format.ts';
import { storageProblem } from './storage-advice.ts';
import { checkGet } from './storage-check.ts';

/** Reads a key of this account, or of another account whose address is given. */
export function ReadValueForm(props: { star: Pick<Star, 'get'> }) {
  const [owner, setOwner] = useState('');
  const [key, setKey] = useState('');
  const { busy, outcome, run } = useFormAction<{ result: GetResult }>(storageProblem);
  const submit = (e: FormEvent) => run(e, checkGet(owner, key), async (check) => ({ result: await props.star.get(check.key, check.owner) }));

  const result = outcome?.ok === true ? outcome.result : null;
  return (
    <form className="stack" aria-label="read a value" onSubmit={submit} noValidate>
      <h3>Read a value</h3>
      <Field label="Owner (empty: you)" value={owner} onChange={(e) => setOwner(e.target.value)} placeholder="sw1…" autoComplete="off" spellCheck={false} />
      <Field label="Key" value={key} onChange={(e) => setKey(e.target.value)} placeholder="notes/today" autoComplete="off" spellCheck={false} />
      <SubmitRow busy={busy} label="Read" busyText="Asking the Stars that hold it…" />
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
      <FormFailure outcome={outcome} />
    </form>
  );
}
