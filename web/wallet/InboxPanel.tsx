import { memo } from 'react';
import type { InboxMessage } from '../../shared/api.ts';
import type { Star } from '../star/connect.ts';
import { formatTime, shortAddress } from './format.ts';
import { NoteForm } from './NoteForm.tsx';

/**
 * Messages sent to this account (`star.send`): kept in its inbox by the Stars that hold it
 * while this account is away, and delivered here once. Newest first.
 */
export const InboxPanel = memo(function InboxPanel(props: { star: Pick<Star, 'send'>; messages: InboxMessage[] }) {
  const { messages } = props;
  return (
    <section aria-label="inbox">
      <h2>
        Inbox <span data-testid="inbox-count">{messages.length}</span>
      </h2>
      {messages.length === 0 ? (
        <p className="muted">No messages yet. Messages sent to your address wait in the network while this tab is closed and arrive here when it opens.</p>
      ) : (
        <ol className="feed inbox" data-testid="inbox">
          {messages.map((m) => (
            <li key={m.id} data-testid="inbox-message">
              <span className="mono" title={m.from}>
                {shortAddress(m.from)}
              </span>{' '}
              <span data-testid="inbox-text">{typeof m.data === 'string' ? m.data : `${m.data.byteLength} bytes`}</span>{' '}
              <time className="muted" dateTime={Number.isFinite(m.sentAt) ? new Date(m.sentAt).toISOString() : undefined} title={`received ${formatTime(m.receivedAt)}`}>
                {formatTime(m.sentAt)}
              </time>
            </li>
          ))}
        </ol>
      )}
      <NoteForm star={props.star} />
    </section>
  );
});
