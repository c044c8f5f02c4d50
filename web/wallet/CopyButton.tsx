import { useEffect, useState } from 'react';

/** Copies `text` to the clipboard; a refused or missing clipboard fails quietly. */
export function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(t);
  }, [copied]);
  const copy = () => {
    navigator.clipboard?.writeText(text).then(
      () => setCopied(true),
      () => undefined,
    );
  };
  return (
    <>
      <button type="button" onClick={copy}>
        Copy
      </button>
      <span className="muted" aria-live="polite">
        {copied ? 'Copied' : ''}
      </span>
    </>
  );
}
