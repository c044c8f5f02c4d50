import { memo } from 'react';
import type { StarStatus } from '../../shared/api.ts';

/** This Star as a network peer: its libp2p id, its relay link, and where finality stands. */
export const IdentityPanel = memo(function IdentityPanel(props: { peerId: string; status: StarStatus | null }) {
  return (
    <section className="identity" aria-label="identity">
      <h2>This Star</h2>
      <dl>
        <dt>Peer id</dt>
        <dd data-testid="peer-id">{props.peerId}</dd>
        <dt>Relay</dt>
        <dd data-testid="relay-state">{props.status?.relay ?? 'starting'}</dd>
        <dt title="the checkpoint round in progress">Round</dt>
        <dd data-testid="round">{props.status?.round || '—'}</dd>
        <dt title="height of the last Blackhole block this Star verified (Galaxy quorum signatures and Merkle roots)">Galaxy height</dt>
        <dd data-testid="final-height">{props.status && props.status.round > 0 ? props.status.finalHeight : '—'}</dd>
      </dl>
    </section>
  );
});
