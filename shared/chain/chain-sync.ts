/**
 * The answering side of the chain-sync protocol (`/starweave/chain-sync/1`), for every
 * peer that answers it: a Star (all the chains it holds) and the relay (the faucet's chain).
 * The asker sends the heads it has; the answer is the blocks it lacks, in an order its
 * ledger can apply, and the fraud proofs the answerer holds, so a newcomer refuses a
 * proven forker at once.
 *
 * The request is untrusted: anything malformed gets an empty answer, never a crash.
 */
import { decodeChainMessage, encodeChainMessage, MAX_SYNC_BLOCKS, STREAM_LIMITS, type ProofBytes } from './chain-message.ts';
import { toHex } from '../codec/hex.ts';

export interface SyncSource {
  answerSync(heads: Map<string, number>, limit: number): { blocks: Uint8Array[]; more: boolean };
}

export const EMPTY_SYNC_ANSWER = encodeChainMessage({ t: 'blocks', blocks: [], more: false, proofs: [] });

/** `proofs`: fraud proofs the answerer holds, for askers that were not there when they were gossiped */
export function answerSyncRequest(request: Uint8Array, source: SyncSource, proofs: ProofBytes[] = []): Uint8Array {
  const decoded = decodeChainMessage(request, STREAM_LIMITS);
  if (!decoded.ok || decoded.value.t !== 'sync') return EMPTY_SYNC_ANSWER;
  const heads = new Map<string, number>();
  for (const [pk, seq] of decoded.value.heads) heads.set(toHex(pk), seq);
  const { blocks, more } = source.answerSync(heads, MAX_SYNC_BLOCKS);
  return encodeChainMessage({ t: 'blocks', blocks, more, proofs });
}
