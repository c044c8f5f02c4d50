import { SubmitRow } from './form-action.tsx';
import { useEffect, useId, useState, type FormEvent } from 'react';
import type { Star } from '../star/connect.ts';
import { Field } from './Field.tsx';
import { errorMessage } from './format.ts';

const MIN_PASSPHRASE = 8;

type Exported = { text: string; url: string; fileName: string };

function problemWith(passphrase: string, repeat: string): string | null {
  if (passphrase.length < MIN_PASSPHRASE) return `The passphrase needs at least ${MIN_PASSPHRASE} characters (it has ${passphrase.length}).`;
  if (passphrase !== repeat) return 'The two passphrases differ: type the same passphrase twice.';
  return null;
}

/** The account key, encrypted with a passphrase, as a file to download and as text. */
export function ExportBackup(props: { star: Pick<Star, 'address' | 'exportBackup'> }) {
  const { star } = props;
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [exported, setExported] = useState<Exported | null>(null);
  const textId = useId();

  // the Blob URL lives as long as its link
  useEffect(() => (exported ? () => URL.revokeObjectURL(exported.url) : undefined), [exported]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const problem = problemWith(passphrase, repeat);
    setError(problem);
    if (problem) return;
    setBusy(true);
    star.exportBackup(passphrase).then(
      (text) => {
        setBusy(false);
        setPassphrase('');
        setRepeat('');
        const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
        setExported({ text, url, fileName: `starweave-backup-${star.address.slice(0, 10)}.json` });
      },
      (err: unknown) => {
        setBusy(false);
        setError(errorMessage(err));
      },
    );
  };

  return (
    <form className="stack" aria-label="export backup" onSubmit={submit} noValidate>
      <h3>Export backup</h3>
      <p className="muted">The backup is your account key, encrypted with this passphrase. Anyone with both can spend your coins; without the passphrase it cannot be restored.</p>
      <Field label="Backup passphrase" type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="new-password" />
      <Field label="Repeat passphrase" type="password" value={repeat} onChange={(e) => setRepeat(e.target.value)} autoComplete="new-password" />
      <SubmitRow busy={busy} label="Export backup" busyText="Encrypting…" />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {exported && (
        <>
          <p role="status">
            Backup ready:{' '}
            <a href={exported.url} download={exported.fileName}>
              download {exported.fileName}
            </a>
            , or copy the text below and keep it somewhere safe.
          </p>
          <div className="field">
            <label htmlFor={textId}>Backup text</label>
            <textarea id={textId} readOnly rows={6} value={exported.text} onFocus={(e) => e.currentTarget.select()} />
          </div>
        </>
      )}
    </form>
  );
}
