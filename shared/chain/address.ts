/**
 * Account addresses: the 32-byte Ed25519 public key in bech32m with the human-readable
 * prefix `sw` (BIP-350). The checksum catches any single typo and most others before
 * anything is signed; mixed case is refused, as bech32 requires.
 */
import { bech32m } from '@scure/base';
import { StarError } from '../errors.ts';

export const ADDRESS_PREFIX = 'sw';
export const PUBLIC_KEY_BYTES = 32;

export function addressFromPublicKey(pk: Uint8Array): string {
  if (pk.length !== PUBLIC_KEY_BYTES) throw new StarError('INVALID_ARGUMENT', `an account key has ${PUBLIC_KEY_BYTES} bytes, not ${pk.length}`);
  return bech32m.encode(ADDRESS_PREFIX, bech32m.toWords(pk));
}

export function publicKeyFromAddress(address: string): Uint8Array {
  if (typeof address !== 'string' || address.trim() === '') {
    throw new StarError('INVALID_ADDRESS', 'no address given: paste the receiver’s address (it starts with sw1)');
  }
  const text = address.trim();
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32m.decode(text as `${string}1${string}`, 100);
  } catch {
    throw new StarError('INVALID_ADDRESS', `"${text}" is not a valid address: its checksum does not match, so it probably has a typo. Copy it again from the receiver.`);
  }
  if (decoded.prefix !== ADDRESS_PREFIX) {
    throw new StarError('INVALID_ADDRESS', `"${text}" is not a Starweave address: it should start with ${ADDRESS_PREFIX}1`);
  }
  const pk = bech32m.fromWords(decoded.words);
  if (pk.length !== PUBLIC_KEY_BYTES) throw new StarError('INVALID_ADDRESS', `"${text}" does not hold a ${PUBLIC_KEY_BYTES}-byte account key`);
  return pk;
}

export function isAddress(address: string): boolean {
  try {
    publicKeyFromAddress(address);
    return true;
  } catch {
    return false;
  }
}
