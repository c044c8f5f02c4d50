import type { Transfer, TransferStatus } from '../../shared/api.ts';
import { shortAddress } from './format.ts';

/** What each status means, for the cell's tooltip. */
const MEANING: Record<TransferStatus, string> = {
  pending: 'proposed; waiting for the receiver to countersign',
  agreed: 'the receiver countersigned it',
  checkpointed: 'included in a checkpoint',
  final: 'under a Blackhole block: it cannot be undone',
  rejected: 'refused: an account involved was caught cheating',
};

export function TransferRow({ transfer: t }: { transfer: Transfer }) {
  const other = t.direction === 'in' ? t.from : t.to;
  return (
    <tr data-testid="transfer" data-id={t.id} className={t.direction}>
      <td data-testid="transfer-direction">{t.direction}</td>
      <td className="mono" title={other}>
        {shortAddress(other)}
      </td>
      <td className="num" data-testid="transfer-amount">
        {t.amount}
      </td>
      <td data-testid="transfer-memo">{t.memo}</td>
      <td data-testid="transfer-status" className={t.status === 'rejected' ? 'status bad' : `status ${t.status}`} title={MEANING[t.status]}>
        {t.status}
      </td>
      <td>
        {Number.isFinite(t.time) ? <time dateTime={new Date(t.time).toISOString()}>{new Date(t.time).toLocaleString()}</time> : '—'}
      </td>
    </tr>
  );
}
