/**
 * The relay's verdict on a gossip message: the shared rules (`judgeGossip`), plus the
 * signatures of chain blocks, fraud proofs and presence records. The relay keeps no ledger, so sequence
 * and balance are the Stars' job; but a forged signature is wrong anywhere, and rejecting it
 * here stops it at the hub every Star is connected to and costs the sender its peer score.
 *
 * It runs for every message the relay routes, so it stays cheap: one batch per message
 * (every block at once), with public keys imported once and cached by the verifier.
 */
import { signingBytes } from '../shared/chain/half-block.ts';
import { presenceSigningBytes } from '../shared/chain/presence.ts';
import { Ed25519Verifier, type VerifyItem } from '../shared/crypto/ed25519.ts';
import { judgeGossip, type GossipJudgement } from '../shared/gossip/validate.ts';

export type RelayGossipJudge = (topic: string, data: Uint8Array, now: number) => Promise<GossipJudgement>;

export function createRelayGossipJudge(verifier: Ed25519Verifier = new Ed25519Verifier()): RelayGossipJudge {
  return async (topic, data, now) => {
    const judgement = judgeGossip(topic, data, now);
    if (judgement.verdict !== 'accept') return judgement;
    const items: VerifyItem[] = [];
    if (judgement.chain) {
      const { blocks, proofs } = judgement.chain;
      for (const b of [...blocks, ...proofs.flatMap((p) => [p.a, p.b])]) items.push({ pk: b.pk, message: signingBytes(b), sig: b.sig });
    } else if (judgement.presence) {
      const p = judgement.presence;
      items.push({ pk: p.pk, message: presenceSigningBytes(p), sig: p.sig });
    }
    if (items.length === 0) return judgement;
    const valid = await verifier.verifyMany(items);
    const bad = valid.indexOf(false);
    if (bad === -1) return judgement;
    const blockCount = judgement.chain?.blocks.length ?? 0;
    const what = !judgement.chain ? 'presence record' : bad < blockCount ? `block ${bad}` : `proof ${Math.floor((bad - blockCount) / 2)}`;
    return { verdict: 'reject', reason: `${what}: the signature does not verify` };
  };
}
