import { memo, useState, type FormEvent } from 'react';
import type { GossipMessage } from '../../shared/api.ts';

export const GossipFeed = memo(function GossipFeed(props: { topic: string; feed: GossipMessage[]; onSend: (text: string) => Promise<void> }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (text.trim() === '') return;
    props.onSend(text).then(
      () => {
        setText('');
        setError(null);
      },
      (err: Error) => setError(err.message),
    );
  };
  return (
    <section aria-label="gossip">
      <h2>Gossip on “{props.topic}”</h2>
      <form onSubmit={submit}>
        <input value={text} onChange={(e) => setText(e.target.value)} placeholder="Say something to every Star" aria-label="message" />
        <button type="submit">Publish</button>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      <ol className="feed" data-testid="feed">
        {props.feed.map((m, i) => (
          <li key={`${m.from}-${m.sentAt}-${i}`}>
            <span className="mono">{m.from.slice(-8)}</span> {typeof m.data === 'string' ? m.data : `${m.data.byteLength} bytes`}{' '}
            <span className="muted">{Math.max(0, m.receivedAt - m.sentAt)} ms</span>
          </li>
        ))}
      </ol>
    </section>
  );
});
