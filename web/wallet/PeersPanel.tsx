import { memo } from 'react';
import type { PeerInfo } from '../../shared/api.ts';
import { shortAddress } from './format.ts';

export const PeersPanel = memo(function PeersPanel({ peers }: { peers: PeerInfo[] }) {
  const direct = peers.filter((p) => p.direct).length;
  return (
    <section aria-label="peers">
      <h2>
        Peers <span data-testid="peer-count">{peers.length}</span> ({direct} direct)
      </h2>
      {peers.length === 0 ? (
        <p className="muted">No other Stars yet. Open this page in another tab to add one.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Peer id</th>
              <th>Account</th>
              <th>Path</th>
              <th>Score</th>
            </tr>
          </thead>
          <tbody>
            {peers.map((p) => (
              <tr key={p.peerId}>
                <td className="mono">{p.peerId}</td>
                <td className="mono" data-testid="peer-address" title={p.address}>
                  {p.address ? shortAddress(p.address) : <span className="muted">—</span>}
                </td>
                <td>{p.direct ? 'direct (WebRTC)' : 'relayed'}</td>
                <td className={p.score < 0 ? 'bad' : ''}>{p.score.toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
});
