/**
 * Transfers as a person sees them, read off a ledger: a proposal in the sender's chain and,
 * once the receiver countersigned, an agreement in the receiver's. Pure views, no state.
 */
import { toHex } from '../codec/hex.ts';
import { addressFromPublicKey } from './address.ts';
import type { Ledger, StoredBlock } from './ledger.ts';

/** `checkpointed` and `final` come with checkpoints and the Blackhole chain (finality issue). */
export type TransferStatus = 'pending' | 'agreed' | 'checkpointed' | 'final' | 'rejected';

export interface Transfer {
  /** hash of the proposal (hex) */
  id: string;
  direction: 'in' | 'out';
  from: string;
  to: string;
  amount: number;
  memo: string;
  status: TransferStatus;
  /** proposal time, ms since epoch */
  time: number;
}

export function statusOf(ledger: Ledger, proposal: StoredBlock): TransferStatus {
  const p = proposal.block;
  // a forking sender's transfers are refused even if a receiver countersigned before the
  // proof reached it: nothing from a proven offender may be checkpointed
  if (ledger.isBlocked(p.pk)) return 'rejected';
  if (ledger.agreementFor(p.pk, p.seq)) return 'agreed';
  if (ledger.isBlocked(p.linkPk)) return 'rejected';
  return 'pending';
}

export function transferOf(ledger: Ledger, proposal: StoredBlock, self: Uint8Array): Transfer {
  const p = proposal.block;
  const out = proposal.author === toHex(self);
  return {
    id: proposal.id,
    direction: out ? 'out' : 'in',
    from: addressFromPublicKey(p.pk),
    to: addressFromPublicKey(p.linkPk),
    amount: p.payload.amount,
    memo: p.payload.memo,
    status: statusOf(ledger, proposal),
    time: p.time,
  };
}

/** The proposal a block belongs to: itself, or the one an agreement names. */
export function proposalOf(ledger: Ledger, stored: StoredBlock): StoredBlock | undefined {
  const b = stored.block;
  return b.linkSeq === 0 ? stored : ledger.block(b.linkPk, b.linkSeq);
}

/** Every transfer this account sent or received (agreed or still waiting), newest first. */
export function historyOf(ledger: Ledger, self: Uint8Array): Transfer[] {
  const seen = new Set<string>();
  const out: Transfer[] = [];
  const add = (p: StoredBlock | undefined) => {
    if (!p || seen.has(p.id)) return;
    seen.add(p.id);
    out.push(transferOf(ledger, p, self));
  };
  for (const b of ledger.chain(self)) add(proposalOf(ledger, b));
  for (const p of ledger.proposalsTo(self)) add(p);
  return out.sort((a, b) => b.time - a.time);
}

export interface Balance {
  /** spendable now: credits + agreed receipts − sent proposals */
  available: number;
  /** incoming proposals not yet countersigned */
  pending: number;
  /** under a Blackhole block; 0 until the finality issue brings the Galaxy's chain */
  final: number;
}

export function balanceOf(ledger: Ledger, pk: Uint8Array): Balance {
  let pending = 0;
  for (const p of ledger.proposalsTo(pk)) if (statusOf(ledger, p) === 'pending') pending += p.block.payload.amount;
  return { available: ledger.balance(pk), pending, final: 0 };
}
