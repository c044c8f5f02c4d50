/**
 * The one canonical binary encoding of Starweave: deterministic CBOR (RFC 8949 §4.2.1 core
 * deterministic encoding: shortest-form integers and floats, map keys sorted bytewise).
 * Everything that is hashed or signed goes through here, so two implementations that agree
 * on a value agree on its bytes.
 */
import { decode as cborDecode, encode as cborEncode, rfc8949EncodeOptions } from 'cborg';
import { StarError } from '../errors.ts';

export type CborValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | CborValue[]
  | { [key: string]: CborValue };

const decodeOptions = {
  strict: true,
  rejectDuplicateMapKeys: true,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowIndefinite: false,
  allowBigInt: false,
  useMaps: false,
} as const;

export function encodeCanonical(value: CborValue): Uint8Array {
  return cborEncode(value, rfc8949EncodeOptions);
}

/**
 * Decodes bytes that must be in canonical form: anything else (trailing bytes, non-minimal
 * lengths, unsorted keys, duplicate keys, indefinite lengths) is rejected, so a message has
 * exactly one valid encoding and re-encoding cannot change its hash.
 */
export function decodeCanonical(bytes: Uint8Array): CborValue {
  let value: CborValue;
  try {
    value = cborDecode(bytes, decodeOptions) as CborValue;
  } catch (err) {
    throw new StarError('MALFORMED', `not valid CBOR: ${(err as Error).message}`);
  }
  const again = encodeCanonical(value);
  if (!bytesEqual(again, bytes)) {
    throw new StarError('MALFORMED', 'CBOR is not in canonical (deterministic) form');
  }
  return value;
}

/**
 * Decodes with the strict options (minimal lengths, no duplicate keys, no indefinite
 * lengths) but without re-encoding to prove canonical form: for callers that prove it
 * more cheaply themselves (half-blocks compare against their signing bytes).
 */
export function decodeStrict(bytes: Uint8Array): CborValue {
  try {
    return cborDecode(bytes, decodeOptions) as CborValue;
  } catch (err) {
    throw new StarError('MALFORMED', `not valid CBOR: ${(err as Error).message}`);
  }
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
