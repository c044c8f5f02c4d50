/**
 * The wallet for a running Star: the account first (balance, send, history, inbox, backup),
 * then the Star as a network peer (relay, identity, peers, the storage it keeps) and the
 * gossip feed.
 */
import { useCallback, useEffect, useReducer, useState } from 'react';
import type { GossipMessage, InboxMessage, StarStatus } from '../../shared/api.ts';
import type { Star } from '../star/connect.ts';
import { AccountPanel } from './AccountPanel.tsx';
import { BackupPanel } from './BackupPanel.tsx';
import { FraudNotice } from './FraudNotice.tsx';
import { GossipFeed } from './GossipFeed.tsx';
import { HistoryPanel } from './HistoryPanel.tsx';
import { IdentityPanel } from './IdentityPanel.tsx';
import { InboxPanel } from './InboxPanel.tsx';
import { PeersPanel } from './PeersPanel.tsx';
import { RelayBanner } from './RelayBanner.tsx';
import { SendForm } from './SendForm.tsx';
import { StoragePanel } from './StoragePanel.tsx';
import { coalesce } from '../star/coalesce.ts';
import { statusView, unlessSame } from './same-view.ts';

const FEED_TOPIC = 'lobby';
const FEED_LIMIT = 200;
const INBOX_LIMIT = 500;
const STATUS_REFRESH_MS = 1000;
/** balance and history reload at most this often while transfers change */
const TRANSFER_REFRESH_MS = 500;

export function Wallet({ star }: { star: Star }) {
  const [status, setStatus] = useState<StarStatus | null>(null);
  const [feed, setFeed] = useState<GossipMessage[]>([]);
  const [frauds, setFrauds] = useState<string[]>([]);
  const [inbox, setInbox] = useState<InboxMessage[]>([]);
  // bumped on every transfer event (and after our own sends): balance and history reload
  const [refresh, bump] = useReducer((n: number) => n + 1, 0);

  useEffect(() => {
    let stopped = false;
    let unsubscribe = () => {};
    try {
      unsubscribe = star.subscribe(FEED_TOPIC, (m) => setFeed((f) => [m, ...f].slice(0, FEED_LIMIT)));
    } catch (err) {
      // closed already: the App shows why
      console.warn('starweave wallet: cannot subscribe to the feed', err);
    }
    // a status that would print the same keeps the old object: no render
    const show = (st: StarStatus) => !stopped && setStatus(unlessSame<StarStatus | null>(st, statusView));
    const load = () => void star.status().then(show);
    load();
    // events for changes (peers, relay), a slow timer for scores and retry countdowns
    const offStatus = star.on('status', show);
    // a block can finalise hundreds of transfers at once: one reload per burst, not per event
    const transfersChanged = coalesce(bump, TRANSFER_REFRESH_MS);
    const offTransfer = star.on('transfer', () => transfersChanged.trigger());
    const offFraud = star.on('fraud', ({ address }) => setFrauds((list) => (list.includes(address) ? list : [...list, address])));
    // the Star holds messages that arrived before this subscription and hands them over now
    const offMessage = star.on('message', (m) => setInbox((list) => (list.some((x) => x.id === m.id) ? list : [m, ...list].slice(0, INBOX_LIMIT))));
    const timer = setInterval(load, STATUS_REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
      unsubscribe();
      offStatus();
      offTransfer();
      transfersChanged.cancel();
      offFraud();
      offMessage();
    };
  }, [star]);
  // every panel is memoised (stable props): a status change re-renders only the panels that show it
  const sendToFeed = useCallback((text: string) => star.publish(FEED_TOPIC, text), [star]);

  return (
    <>
      {frauds.map((address) => (
        <FraudNotice key={address} address={address} onDismiss={() => setFrauds((list) => list.filter((a) => a !== address))} />
      ))}
      {status && <RelayBanner info={status.relayInfo} />}
      <AccountPanel star={star} refresh={refresh} onFunded={bump} />
      <SendForm star={star} onSent={bump} />
      <HistoryPanel star={star} refresh={refresh} />
      <InboxPanel star={star} messages={inbox} />
      <BackupPanel star={star} />
      <IdentityPanel peerId={star.peerId} status={status} />
      {status && <PeersPanel peers={status.peers} />}
      <StoragePanel star={star} />
      <GossipFeed topic={FEED_TOPIC} feed={feed} onSend={sendToFeed} />
    </>
  );
}
