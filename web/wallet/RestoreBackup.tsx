import { SubmitRow } from './form-action.tsx';
import { useId, useState, type ChangeEvent, type FormEvent } from 'react';
import type { Star } from '../star/connect.ts';
import { Field } from './Field.tsx';
import { errorMessage, shortAddress } from './format.ts';

/**
 * Replaces this browser's account with the one in a backup. The Star closes after a
 * restore, so the page reloads to run the restored account.
 */
export function RestoreBackup(props: { star: Pick<Star, 'address' | 'restoreBackup'> }) {
  const { star } = props;
  const [text, setText] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const textId = useId();
  const fileId = useId();

  const readFile = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    file.text().then(
      (t) => {
        setText(t);
        setError(null);
      },
      (err: unknown) => setError(`Could not read ${file.name}: ${errorMessage(err)}`),
    );
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    if (text.trim() === '') return setError('Paste the backup text or choose the backup file first.');
    if (passphrase === '') return setError('Type the passphrase the backup was made with.');
    const replace = window.confirm(
      `Restoring replaces the account in this browser (${shortAddress(star.address)}) with the one in the backup. ` +
        'If you have not exported the current account yet, cancel and export it first, or its coins are lost. Restore now?',
    );
    if (!replace) return;
    setBusy(true);
    setError(null);
    star.restoreBackup(text.trim(), passphrase).then(
      () => location.reload(),
      // WRONG_PASSWORD and a damaged backup both say what to do
      (err: unknown) => {
        setBusy(false);
        setError(errorMessage(err));
      },
    );
  };

  return (
    <form className="stack" aria-label="restore backup" onSubmit={submit} noValidate>
      <h3>Restore from backup</h3>
      <div className="field">
        <label htmlFor={textId}>Paste backup</label>
        <textarea id={textId} rows={4} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} placeholder="{ … }" />
      </div>
      <div className="field">
        <label htmlFor={fileId}>Or choose the backup file</label>
        <input id={fileId} type="file" accept=".json,application/json,text/plain" onChange={readFile} />
      </div>
      <Field label="Passphrase of the backup" type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="current-password" />
      <SubmitRow busy={busy} label="Restore" busyText="Restoring…" />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
