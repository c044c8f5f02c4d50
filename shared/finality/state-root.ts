/**
 * The account-state commitment of a Blackhole block: a Merkle tree over one leaf per
 * account, sorted by public key (hex), each leaf the account's state as fixed-width bytes
 *
 *   pk (32) ‖ seq (u64 BE) ‖ head (32) ‖ balance (u64 BE) ‖ blocked (1 byte: 0 or 1)
 *
 * so a Merkle path from the leaf to `stateRoot` shows the state itself, not a digest of it.
 */
import { fromHex } from '../codec/hex.ts';
import { HASH_BYTES } from '../chain/half-block.ts';
import { PUBLIC_KEY_BYTES } from '../chain/address.ts';
import { merkleRoot } from './merkle.ts';

/** The same fields as galaxy-core's AccountState. */
export interface AccountLeafState {
  seq: number;
  head: Uint8Array;
  balance: number;
  blocked: boolean;
}

export const ACCOUNT_LEAF_BYTES = PUBLIC_KEY_BYTES + 8 + HASH_BYTES + 8 + 1;

/** Throws RangeError on a state that cannot exist (bad key, head, negative or fractional numbers). */
export function accountLeaf(pk: Uint8Array | string, state: AccountLeafState): Uint8Array {
  const key = typeof pk === 'string' ? fromHex(pk) : pk;
  if (key === null || key.length !== PUBLIC_KEY_BYTES) throw new RangeError('account leaf: public key must be 32 bytes');
  if (state.head.length !== HASH_BYTES) throw new RangeError('account leaf: head must be 32 bytes');
  for (const [name, n] of [['seq', state.seq], ['balance', state.balance]] as const) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`account leaf: ${name} must be a whole number ≥ 0, got ${n}`);
  }
  const out = new Uint8Array(ACCOUNT_LEAF_BYTES);
  const view = new DataView(out.buffer);
  let at = 0;
  out.set(key, at);
  at += PUBLIC_KEY_BYTES;
  view.setBigUint64(at, BigInt(state.seq));
  at += 8;
  out.set(state.head, at);
  at += HASH_BYTES;
  view.setBigUint64(at, BigInt(state.balance));
  at += 8;
  out[at] = state.blocked ? 1 : 0;
  return out;
}

/** Merkle root over the accounts' leaves in public-key (hex) order; keys are lower-case hex. */
export function stateRoot(accounts: Iterable<readonly [string, AccountLeafState]>): Uint8Array {
  const sorted = [...accounts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return merkleRoot(sorted.map(([pk, state]) => accountLeaf(pk, state)));
}
