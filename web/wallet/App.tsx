/**
 * The wallet's first page: this Star's identity, its relay link, its peers (direct WebRTC
 * or only through the relay) and a live gossip feed. Later issues add accounts, transfers,
 * finality and storage as further panels.
 */
import { useEffect, useState } from 'react';
import type { GossipMessage, StarStatus } from '../../shared/api.ts';
import type { Star } from '../star/connect.ts';
import { GossipFeed } from './GossipFeed.tsx';
import { PeersPanel } from './PeersPanel.tsx';
import { RelayBanner } from './RelayBanner.tsx';

const FEED_TOPIC = 'lobby';
const FEED_LIMIT = 200;

export function App(props: { star: Promise<Star> }) {
  const [star, setStar] = useState<Star | null>(null);
  const [status, setStatus] = useState<StarStatus | null>(null);
  const [startError, setStartError] = useState<string | null>(null);
  const [feed, setFeed] = useState<GossipMessage[]>([]);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setInterval> | undefined;
    let unsubscribe: (() => void) | undefined;
    let offStatus: (() => void) | undefined;
    props.star.then(
      (s) => {
        if (stopped) return;
        setStar(s);
        unsubscribe = s.subscribe(FEED_TOPIC, (m) => setFeed((f) => [m, ...f].slice(0, FEED_LIMIT)));
        const refresh = () => void s.status().then((st) => !stopped && setStatus(st));
        refresh();
        // events for changes (peers, relay), a slow timer for scores and retry countdowns
        offStatus = s.on('status', (st) => !stopped && setStatus(st));
        timer = setInterval(refresh, 1000);
      },
      (err: Error) => setStartError(`${err.message}. Reload the page to try again.`),
    );
    return () => {
      stopped = true;
      clearInterval(timer);
      unsubscribe?.();
      offStatus?.();
    };
  }, [props.star]);

  return (
    <main>
      <header>
        <h1>Starweave</h1>
        <p className="tagline">This tab is a Star: a full peer of the network.</p>
      </header>
      {startError && <p className="error" role="alert">Could not start this Star: {startError}</p>}
      {star && status && (
        <>
          <RelayBanner info={status.relayInfo} />
          <section className="identity" aria-label="identity">
            <h2>This Star</h2>
            <dl>
              <dt>Account</dt>
              <dd data-testid="address">{star.address}</dd>
              <dt>Peer id</dt>
              <dd data-testid="peer-id">{star.peerId}</dd>
              <dt>Relay</dt>
              <dd data-testid="relay-state">{status.relay}</dd>
            </dl>
          </section>
          <PeersPanel peers={status.peers} />
          <GossipFeed topic={FEED_TOPIC} feed={feed} onSend={(text) => star.publish(FEED_TOPIC, text)} />
        </>
      )}
      {!star && !startError && <p>Starting this Star…</p>}
    </main>
  );
}
