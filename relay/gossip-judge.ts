/**
 * The relay's verdict on a gossip message: the shared rules (`judgeGossip`), plus the
 * signatures of chain blocks, fraud proofs and presence records, and the Galaxy quorum of
 * Blackhole blocks. The relay keeps no ledger, so sequence and balance are the Stars' job;
 * but a forged signature is wrong anywhere, and rejecting it here stops it at the hub every
 * Star is connected to and costs the sender its peer score.
 *
 * Agreement envelopes and checkpoint certificates are judged by shape only: whether their
 * sender holds a seat (and so whose signature counts) depends on the round's facilitators,
 * which come from the Blackhole chain the relay does not follow. Stars and Galaxies check
 * them, and drop them without blaming the relay that forwarded them.
 *
 * A presence record's signature covers every field (version 2: also the storage capacity
 * and the X25519 reader key others seal values for), so neither can be swapped in transit.
 *
 * It runs for every message the relay routes, so it stays cheap: one batch per message
 * (every block at once), with public keys imported once and cached by the verifier.
 */
import { signingBytes } from '../shared/chain/half-block.ts';
import { presenceSigningBytes } from '../shared/chain/presence.ts';
import { Ed25519Verifier, type VerifyItem } from '../shared/crypto/ed25519.ts';
import { hasGalaxyQuorum, quorumVerifyItems } from '../shared/finality/blackhole.ts';
import { judgeGossip, type GossipJudgement } from '../shared/gossip/validate.ts';

export type RelayGossipJudge = (topic: string, data: Uint8Array, now: number) => Promise<GossipJudgement>;

export interface RelayJudgeOptions {
  verifier?: Ed25519Verifier;
  /** the genesis file's Galaxies, in seat order: a Blackhole block needs a quorum of them */
  galaxies?: readonly Uint8Array[];
}

export function createRelayGossipJudge(opts: RelayJudgeOptions = {}): RelayGossipJudge {
  const verifier = opts.verifier ?? new Ed25519Verifier();
  const galaxies = opts.galaxies ?? [];
  return async (topic, data, now) => {
    const judgement = judgeGossip(topic, data, now);
    if (judgement.verdict !== 'accept') return judgement;
    if (judgement.blackhole) {
      if (galaxies.length === 0) return { verdict: 'reject', reason: 'this network has no Galaxies (genesis lists none): no Blackhole block is valid' };
      const block = judgement.blackhole;
      const verdicts = await verifier.verifyMany(quorumVerifyItems(block, galaxies));
      return hasGalaxyQuorum(block, galaxies, verdicts) ? judgement : { verdict: 'reject', reason: `Blackhole block ${block.header.height}: no quorum of valid Galaxy signatures` };
    }
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
