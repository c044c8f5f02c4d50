/**
 * Untrusted half-block bytes → blocks the ChainEngine can judge: decode each (shape), hash
 * the received canonical bytes, and verify all signatures of a batch at once (WebCrypto
 * runs them concurrently). One call per batch, never one round trip per block.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { IncomingBlock } from '../shared/chain/chain-engine.ts';
import { decodeHalfBlockForVerify } from '../shared/chain/half-block.ts';
import type { Ed25519Verifier } from '../shared/crypto/ed25519.ts';

export interface Intake {
  blocks: IncomingBlock[];
  /** why the first undecodable block failed, if any did */
  malformed?: string;
}

export async function intakeBlocks(verifier: Ed25519Verifier, raw: readonly Uint8Array[]): Promise<Intake> {
  const decoded = [];
  let malformed: string | undefined;
  for (const bytes of raw) {
    const d = decodeHalfBlockForVerify(bytes);
    if (!d.ok) {
      malformed ??= d.reason;
      continue;
    }
    decoded.push({ bytes, ...d.value });
  }
  const valid = await verifier.verifyMany(decoded.map(({ block, signing }) => ({ pk: block.pk, message: signing, sig: block.sig })));
  const blocks = decoded.map(({ bytes, block }, i) => ({ bytes, block, hash: sha256(bytes), signatureValid: valid[i]! }));
  return malformed === undefined ? { blocks } : { blocks, malformed };
}
