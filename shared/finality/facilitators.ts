/**
 * Facilitator selection: deterministic and recomputable by any Star from the previous
 * Blackhole block's hash and the roster (and weights) it carries. Weighted sampling
 * without replacement (Efraimidis–Spirakis): each candidate's key is u^(1/w) where u is
 * drawn from H(prevHash ‖ pk); the `count` largest keys win, ordered by key. Uniform
 * weights until reputation exists; `excluded` (proven offenders) never get a seat.
 *
 * u takes the top 53 bits x of sha256(prevHash ‖ pk) as (x + 1) / (2^53 + 1), strictly
 * inside (0, 1). Keys are compared as log(u) / w (monotone in u^(1/w), and no underflow
 * for large weights); equal keys fall back to the public key's hex, so the order is total.
 * Whoever picks prevHash (a Blackhole quorum) could grind it, but a quorum that is
 * byzantine already controls finality; a single Star cannot influence its own draw.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../codec/hex.ts';

export const FACILITATORS_PER_ROUND = 4;

export interface SelectionOptions {
  /** seats; default FACILITATORS_PER_ROUND (fewer when the roster is smaller) */
  count?: number;
  /** weight by public key (hex); missing = 1 */
  weights?: ReadonlyMap<string, number>;
  /** public keys (hex) that may not be chosen */
  excluded?: ReadonlySet<string>;
}

const TWO_53 = 2 ** 53;

/** u in (0, 1) for this candidate and seed. */
export function selectionDraw(prevHash: Uint8Array, pk: Uint8Array): number {
  const data = new Uint8Array(prevHash.length + pk.length);
  data.set(prevHash, 0);
  data.set(pk, prevHash.length);
  const digest = sha256(data);
  const view = new DataView(digest.buffer, digest.byteOffset, 8);
  // top 53 bits of the first 8 bytes: 32 bits then 21 bits
  const x = view.getUint32(0) * 2 ** 21 + (view.getUint32(4) >>> 11);
  return (x + 1) / (TWO_53 + 1);
}

/** The round's facilitators, in seat order (seat = ACS node index). */
export function selectFacilitators(prevHash: Uint8Array, roster: readonly Uint8Array[], opts: SelectionOptions = {}): Uint8Array[] {
  const count = opts.count ?? FACILITATORS_PER_ROUND;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`facilitator count must be a whole number, got ${count}`);
  const seen = new Set<string>();
  const candidates: Array<{ pk: Uint8Array; id: string; key: number }> = [];
  for (const pk of roster) {
    const id = toHex(pk);
    if (seen.has(id)) continue;
    seen.add(id);
    if (opts.excluded?.has(id)) continue;
    const w = opts.weights?.get(id) ?? 1;
    // A zero, negative or non-finite weight means "no chance", like an exclusion.
    if (!(w > 0) || !Number.isFinite(w)) continue;
    candidates.push({ pk, id, key: Math.log(selectionDraw(prevHash, pk)) / w });
  }
  candidates.sort((a, b) => (a.key !== b.key ? b.key - a.key : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return candidates.slice(0, count).map((c) => c.pk);
}
