/**
 * Facilitator selection: deterministic and recomputable by any Star from the previous
 * Blackhole block's hash and the roster (and weights) it carries. Weighted sampling
 * without replacement (Efraimidis–Spirakis): each candidate's key is u^(1/w) where u is
 * drawn from H(prevHash ‖ pk); the `count` largest keys win, ordered by key. Uniform
 * weights until reputation exists; `excluded` (proven offenders) never get a seat.
 */
export const FACILITATORS_PER_ROUND = 4;

export interface SelectionOptions {
  /** seats; default FACILITATORS_PER_ROUND (fewer when the roster is smaller) */
  count?: number;
  /** weight by public key (hex); missing = 1 */
  weights?: ReadonlyMap<string, number>;
  /** public keys (hex) that may not be chosen */
  excluded?: ReadonlySet<string>;
}

/** The round's facilitators, in seat order (seat = ACS node index). */
export function selectFacilitators(prevHash: Uint8Array, roster: readonly Uint8Array[], opts?: SelectionOptions): Uint8Array[] {
  throw new Error('not implemented');
}
