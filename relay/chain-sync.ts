/**
 * The relay's side of the chain-sync protocol (`/starweave/chain-sync/1`): a Star sends
 * the heads it has, the relay answers with the faucet blocks it lacks. The relay holds only
 * the faucet's chain (Stars sync every other chain from each other), so a new Star can
 * always fetch the history of its faucet credit here even when no other Star is online.
 *
 * The request is untrusted: anything malformed gets an empty answer, never a crash.
 */
import { decodeChainMessage, encodeChainMessage, MAX_SYNC_BLOCKS, STREAM_LIMITS, type ProofBytes } from '../shared/chain/chain-message.ts';
import { toHex } from '../shared/codec/hex.ts';

export interface SyncSource {
  answerSync(heads: Map<string, number>, limit: number): { blocks: Uint8Array[]; more: boolean };
}

export const EMPTY_SYNC_ANSWER = encodeChainMessage({ t: 'blocks', blocks: [], more: false, proofs: [] });

/** `proofs`: fraud proofs the relay has seen, for Stars that were not there when they were gossiped */
export function answerSyncRequest(request: Uint8Array, source: SyncSource, proofs: ProofBytes[] = []): Uint8Array {
  const decoded = decodeChainMessage(request, STREAM_LIMITS);
  if (!decoded.ok || decoded.value.t !== 'sync') return EMPTY_SYNC_ANSWER;
  const heads = new Map<string, number>();
  for (const [pk, seq] of decoded.value.heads) heads.set(toHex(pk), seq);
  const { blocks, more } = source.answerSync(heads, MAX_SYNC_BLOCKS);
  return encodeChainMessage({ t: 'blocks', blocks, more, proofs });
}
