import type { StorageStats } from '../../shared/api.ts';
import { formatBytes } from './format.ts';

/** past this share of the browser's quota, say so before writes start failing */
const QUOTA_WARNING = 0.9;

/** The figures of what this Star holds for the network, and the browser's quota. */
export function StorageFigures({ stats }: { stats: StorageStats }) {
  const quota = stats.quota;
  const share = quota && quota.quota > 0 ? quota.usage / quota.quota : undefined;
  return (
    <>
      <dl className="storage">
        <dt>Keys</dt>
        <dd data-testid="storage-keys">{stats.keys}</dd>
        <dt title="a key written twice without either write seeing the other keeps both versions until its owner writes it again">Versions</dt>
        <dd data-testid="storage-versions">{stats.versions}</dd>
        <dt>Size</dt>
        <dd data-testid="storage-bytes">{formatBytes(stats.bytes)}</dd>
        <dt>Owners</dt>
        <dd data-testid="storage-owners">
          {stats.owners} {stats.owners === 1 ? 'account' : 'accounts'}
        </dd>
        <dt title="versions kept in place of a Star that is away (hinted handoff), handed back when it returns">Held for absent Stars</dt>
        <dd data-testid="storage-hinted">{stats.hinted}</dd>
        <dt>Browser quota</dt>
        <dd data-testid="storage-quota">
          {quota ? `${formatBytes(quota.usage)} of ${formatBytes(quota.quota)} used${quota.persisted ? ', persistent' : ''}` : 'not reported by this browser'}
        </dd>
      </dl>
      {quota && !quota.persisted && <p className="muted">The browser may clear this site’s data when it runs short of space; the network keeps other copies.</p>}
      {share !== undefined && share >= QUOTA_WARNING && (
        <p className="error" role="alert">
          This site has used {Math.round(share * 100)}% of the space the browser allows it. Free some disk space, or allow this site to store data in the browser’s site settings,
          before new values are refused.
        </p>
      )}
    </>
  );
}
