import type { StarStatus } from '../../shared/api.ts';

/** This Star as a network peer: its libp2p id and its relay link. */
export function IdentityPanel(props: { peerId: string; status: StarStatus | null }) {
  return (
    <section className="identity" aria-label="identity">
      <h2>This Star</h2>
      <dl>
        <dt>Peer id</dt>
        <dd data-testid="peer-id">{props.peerId}</dd>
        <dt>Relay</dt>
        <dd data-testid="relay-state">{props.status?.relay ?? 'starting'}</dd>
      </dl>
    </section>
  );
}
