import { memo, useEffect, useState } from 'react';
import type { FinalityProofInfo, Transfer, TransferStatus } from '../../shared/api.ts';
import { errorMessage, shortAddress } from './format.ts';

/** What each status means, for the cell's tooltip. */
const MEANING: Record<TransferStatus, string> = {
  pending: 'proposed; waiting for the receiver to countersign',
  agreed: 'the receiver countersigned it',
  checkpointed: 'both halves are in a checkpoint signed by the round’s facilitators',
  final: 'both halves are under a Blackhole block signed by the Galaxies: it cannot be undone',
  rejected: 'refused: an account involved was caught cheating, or the Galaxy refused it',
};

const COLUMNS = 7;

type RowProps = { transfer: Transfer; proof?: (id: string) => Promise<FinalityProofInfo | undefined> };

/**
 * One transfer; a final one can show the proof this Star checked. Memoised on what it shows:
 * every history reload brings fresh objects, and most rows have not changed.
 */
export const TransferRow = memo(function TransferRow(props: RowProps) {
  const { transfer: t, proof } = props;
  const other = t.direction === 'in' ? t.from : t.to;
  const [open, setOpen] = useState(false);
  return (
    <>
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
        <td>
          {t.status === 'final' && proof && (
            <button type="button" className="link" data-testid="proof-toggle" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
              proof
            </button>
          )}
        </td>
      </tr>
      {open && proof && (
        <tr className="proof-row">
          <td colSpan={COLUMNS}>
            <ProofView id={t.id} load={proof} />
          </td>
        </tr>
      )}
    </>
  );
}, sameRow);

function sameRow(a: RowProps, b: RowProps): boolean {
  const x = a.transfer;
  const y = b.transfer;
  return x.id === y.id && x.status === y.status && x.time === y.time && x.amount === y.amount && x.memo === y.memo && x.direction === y.direction && x.from === y.from && x.to === y.to && a.proof === b.proof;
}

function ProofView(props: { id: string; load: (id: string) => Promise<FinalityProofInfo | undefined> }) {
  const { id, load } = props;
  const [state, setState] = useState<{ proof?: FinalityProofInfo; error?: string; loaded: boolean }>({ loaded: false });
  useEffect(() => {
    let stopped = false;
    load(id).then(
      (proof) => !stopped && setState(proof ? { proof, loaded: true } : { loaded: true }),
      (err: unknown) => !stopped && setState({ error: errorMessage(err), loaded: true }),
    );
    return () => {
      stopped = true;
    };
    // the proof of one final transfer does not change; load it once per opening
  }, [id]);
  if (!state.loaded) return <span className="muted">Checking…</span>;
  if (state.error) return <span className="muted">No proof: {state.error}</span>;
  const p = state.proof;
  if (!p) return <span className="muted">This Star holds no proof for it yet.</span>;
  return (
    <span data-testid="proof" title={`finalRoot ${p.finalRoot}, block ${p.blackholeHash}`}>
      Blackhole block <strong data-testid="proof-height">{p.height}</strong>, Merkle path of <strong data-testid="proof-path">{p.path.length}</strong>{' '}
      {p.path.length === 1 ? 'hash' : 'hashes'} (leaf {p.index + 1} of {p.count}), {p.sigs.length} Galaxy {p.sigs.length === 1 ? 'signature' : 'signatures'}:{' '}
      <span data-testid="proof-verified" className={p.verified ? 'status final' : 'bad'}>
        {p.verified ? 'verified by this Star' : 'does not verify'}
      </span>
    </span>
  );
}
