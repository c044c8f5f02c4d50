/**
 * Transfers as a person sees them, read off a ledger: a proposal in the sender's chain and,
 * once the receiver countersigned, an agreement in the receiver's. Pure views, no state.
 *
 * With finality (a lookup of each half-block's state under checkpoints and the Blackhole
 * chain) a transfer moves on: pending → agreed → checkpointed (both halves covered by
 * certified checkpoints) → final (both halves under a quorum-signed Blackhole block).
 */
import { toHex } from '../codec/hex.ts';
import { addressFromPublicKey } from './address.ts';
import type { Ledger, StoredBlock } from './ledger.ts';

export type TransferStatus = 'pending' | 'agreed' | 'checkpointed' | 'final' | 'rejected';

/** A half-block's state under checkpoints and the Blackhole chain. */
export type FinalityState = 'open' | 'checkpointed' | 'final' | 'rejected';

/** Finality state by half-block hash (hex); without one, nothing is ever checkpointed or final. */
export type FinalityLookup = (hashHex: string) => FinalityState;

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

/** The hash (hex) of the agreement that countersigned a proposal, if this ledger holds it. */
export function agreementIdOf(ledger: Ledger, proposal: StoredBlock): string | undefined {
  const a = ledger.agreementFor(proposal.block.pk, proposal.block.seq);
  return a ? ledger.block(a.pk, a.seq)?.id : undefined;
}

/**
 * Order of precedence: final (a quorum-signed Blackhole block settles it, even against a
 * fraud proof that came later) → rejected by the Galaxy → rejected by a fraud proof →
 * checkpointed → agreed → pending.
 */
export function statusOf(ledger: Ledger, proposal: StoredBlock, finality?: FinalityLookup): TransferStatus {
  const p = proposal.block;
  const agreementId = agreementIdOf(ledger, proposal);
  const proposalState = finality?.(proposal.id) ?? 'open';
  const agreementState = agreementId === undefined ? undefined : (finality?.(agreementId) ?? 'open');
  if (proposalState === 'final' && agreementState === 'final') return 'final';
  // the Galaxy refused one half for good: the transfer can never complete
  if (proposalState === 'rejected' || agreementState === 'rejected') return 'rejected';
  // a forking sender's transfers are refused even if a receiver countersigned before the
  // proof reached it: nothing from a proven offender may be checkpointed
  if (ledger.isBlocked(p.pk)) return 'rejected';
  if (agreementState !== undefined) {
    const covered = (s: FinalityState) => s === 'checkpointed' || s === 'final';
    return covered(proposalState) && covered(agreementState) ? 'checkpointed' : 'agreed';
  }
  if (ledger.isBlocked(p.linkPk)) return 'rejected';
  return 'pending';
}

export function transferOf(ledger: Ledger, proposal: StoredBlock, self: Uint8Array, finality?: FinalityLookup): Transfer {
  const p = proposal.block;
  const out = proposal.author === toHex(self);
  return {
    id: proposal.id,
    direction: out ? 'out' : 'in',
    from: addressFromPublicKey(p.pk),
    to: addressFromPublicKey(p.linkPk),
    amount: p.payload.amount,
    memo: p.payload.memo,
    status: statusOf(ledger, proposal, finality),
    time: p.time,
  };
}

/** The proposal a block belongs to: itself, or the one an agreement names. */
export function proposalOf(ledger: Ledger, stored: StoredBlock): StoredBlock | undefined {
  const b = stored.block;
  return b.linkSeq === 0 ? stored : ledger.block(b.linkPk, b.linkSeq);
}

/**
 * Every transfer this account sent or received (agreed or still waiting), newest first; the
 * newest `limit` only when given. The status of each listed transfer is worked out, so a
 * page that shows the newest hundred asks for those (statusOf for hundreds of rows on every
 * reload was a tenth of a busy worker's time).
 */
export function historyOf(ledger: Ledger, self: Uint8Array, finality?: FinalityLookup, limit = Infinity): Transfer[] {
  const seen = new Set<string>();
  const proposals: StoredBlock[] = [];
  const add = (p: StoredBlock | undefined) => {
    if (!p || seen.has(p.id)) return;
    seen.add(p.id);
    proposals.push(p);
  };
  for (const b of ledger.chain(self)) add(proposalOf(ledger, b));
  for (const p of ledger.proposalsTo(self)) add(p);
  proposals.sort((a, b) => b.block.time - a.block.time);
  return proposals.slice(0, limit).map((p) => transferOf(ledger, p, self, finality));
}

export interface Balance {
  /** spendable now: credits + agreed receipts − sent proposals */
  available: number;
  /** incoming proposals not yet countersigned */
  pending: number;
  /** genesis + every final block of the account: agreements credit, proposals debit */
  final: number;
}

/**
 * `final` counts the account's blocks this ledger holds, unless `finalOf` gives the figure:
 * a Star that also knows final blocks its ledger refused (a forker's twin that won) keeps
 * its own count (worker/FinalBalances), and the chain walk is not done for nothing.
 */
export function balanceOf(ledger: Ledger, pk: Uint8Array, finality?: FinalityLookup, finalOf?: (pkHex: string) => number): Balance {
  let pending = 0;
  for (const p of ledger.proposalsTo(pk)) if (statusOf(ledger, p, finality) === 'pending') pending += p.block.payload.amount;
  // without finality nothing is final, not even the genesis allocation (no Blackhole chain)
  let final = 0;
  if (finalOf) final = finalOf(toHex(pk));
  else if (finality) {
    final = ledger.genesisBalance(pk);
    for (const b of ledger.chain(pk)) {
      if (finality(b.id) !== 'final') continue;
      final += b.block.linkSeq === 0 ? -b.block.payload.amount : b.block.payload.amount;
    }
  }
  return { available: ledger.balance(pk), pending, final };
}
