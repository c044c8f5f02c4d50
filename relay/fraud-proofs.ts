/**
 * Fraud proofs the relay has seen on gossip (signatures and conflict already checked by
 * its gossip judge), handed to every Star that syncs from it: the relay is the one peer a
 * Star that starts later always reaches, so a proven forker is refused by newcomers at
 * once. Kept in memory: Stars keep proofs for good in IndexedDB and pass them on in their
 * own sync answers, so a relay restart loses nothing the network needs.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeChainMessage, GOSSIP_LIMITS, MAX_PROOFS, type ProofBytes } from '../shared/chain/chain-message.ts';
import { toHex } from '../shared/codec/hex.ts';

export class FraudProofs {
  private readonly byId = new Map<string, ProofBytes>();

  /** Records the proofs an accepted chain-topic message carries. */
  noteAccepted(data: Uint8Array): void {
    const m = decodeChainMessage(data, GOSSIP_LIMITS);
    if (!m.ok) return;
    if (m.value.t === 'fraud') this.add(m.value);
    else if (m.value.t === 'blocks') for (const p of m.value.proofs) this.add(p);
  }

  list(): ProofBytes[] {
    return [...this.byId.values()].slice(0, MAX_PROOFS);
  }

  private add(p: ProofBytes): void {
    // one offence, whichever order its two blocks came in
    const [x, y] = [toHex(sha256(p.a)), toHex(sha256(p.b))].sort();
    this.byId.set(`${x}${y}`, { kind: p.kind, a: p.a, b: p.b });
  }
}
