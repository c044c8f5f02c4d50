/**
 * The common coin used by binary agreement: `seededCoin(seed, instance)(epoch)` is `true`
 * in epochs 0, 3, 6…, `false` in epochs 1, 4, 7…, and in epochs 2, 5, 8… the low bit of
 * sha256(seed ‖ u32be(instance) ‖ u32be(epoch)).
 *
 * Why fixed values first (hbbft's schedule): in ACS almost every agreement starts with all
 * honest estimates equal — 1 for a proposal everyone received, 0 for one input 0 after
 * n−f others were decided — and an epoch whose coin equals the common estimate decides.
 * A fixed `true` then `false` decides those in epoch 0 or 1 instead of after a coin-flip
 * number of epochs, which shortens every round. It costs nothing in security: the
 * hashed coin is predictable anyway (below), and safety never depends on the coin.
 *
 * What it gives:
 * - common and deterministic: every honest node computes the same bit for the same
 *   (seed, instance, epoch) with no messages at all;
 * - safety of binary agreement never depends on the coin: agreement and validity hold
 *   for any coin sequence, even one the adversary picks; the coin only drives termination.
 *
 * What it does not give: unpredictability. An adversary that controls message scheduling
 * and knows the seed in advance knows every epoch's coin before the epoch starts, so it
 * can order BVAL/AUX deliveries to keep honest nodes' estimates split (some end the
 * epoch with {0,1} and adopt the coin, others with the opposite single value) and delay
 * termination indefinitely. That is the liveness attack that HoneyBadgerBFT's threshold
 * signature coin prevents: there the coin is revealed only after f+1 shares, i.e. after
 * honest nodes have committed to their candidate values for the epoch.
 *
 * In Starweave the seed is the previous Blackhole hash, known to everyone at round start.
 * We accept this risk for now: such an adversary can at worst stall a round's agreement,
 * never fork it.
 * The fix is a threshold coin (e.g. BLS threshold signatures on the epoch nonce) behind
 * the same `Coin` type, which the binary agreement already takes as a parameter, together
 * with the CONF step binary-agreement.ts leaves out while the coin is known in advance.
 */
import { sha256 } from '@noble/hashes/sha2.js';

/** The coin for one binary agreement instance: epoch → bit. Must be the same at every node. */
export type Coin = (epoch: number) => boolean;

export function seededCoin(seed: Uint8Array, instance: number): Coin {
  return (epoch: number): boolean => {
    if (epoch % 3 === 0) return true;
    if (epoch % 3 === 1) return false;
    const data = new Uint8Array(seed.length + 8);
    data.set(seed, 0);
    const view = new DataView(data.buffer);
    view.setUint32(seed.length, instance >>> 0);
    view.setUint32(seed.length + 4, epoch >>> 0);
    const digest = sha256(data);
    return (digest[digest.length - 1]! & 1) === 1;
  };
}
