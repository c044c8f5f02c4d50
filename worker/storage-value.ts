/**
 * What a stored value's bytes mean to `star.get`: the embed API hands back a string when a
 * string was put and bytes when bytes were put, so the type travels with the value.
 *
 *   value bytes = [type] ‖ payload      type 0x00: bytes as given; 0x01: UTF-8 text;
 *                                       0x02: a transfer proposal (half-block bytes) left in an
 *                                       absent receiver's inbox, countersigned when it returns
 *
 * The prefix sits INSIDE the seal for private values (sealValue is applied to these bytes),
 * so storage Stars learn nothing from it; public values show it like the rest of the value.
 * Inbox messages (`star.send`) use the same encoding. Any other first byte (or an empty
 * value) is refused as damaged rather than guessed at.
 */
import { StarError } from '../shared/errors.ts';

export const VALUE_BYTES = 0x00;
export const VALUE_TEXT = 0x01;
export const VALUE_PROPOSAL = 0x02;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** the stored bytes of a put value; throws INVALID_ARGUMENT for anything but a string or bytes */
export function encodeValue(value: string | Uint8Array): Uint8Array {
  if (typeof value === 'string') {
    const text = utf8.encode(value);
    // a lone surrogate would come back as U+FFFD: refuse rather than return something else
    if (utf8Strict.decode(text) !== value) throw new StarError('INVALID_ARGUMENT', 'the value is not well-formed Unicode text (it has a lone surrogate); pass bytes instead');
    return prefixed(VALUE_TEXT, text);
  }
  if (value instanceof Uint8Array) return prefixed(VALUE_BYTES, value);
  throw new StarError('INVALID_ARGUMENT', 'a value must be a string or a Uint8Array');
}

/** the stored bytes of a transfer proposal left in a receiver's inbox */
export function encodeProposalValue(halfBlock: Uint8Array): Uint8Array {
  return prefixed(VALUE_PROPOSAL, halfBlock);
}

/** the half-block of a stored proposal value, or undefined when the value is something else */
export function proposalOf(bytes: Uint8Array): Uint8Array | undefined {
  return bytes[0] === VALUE_PROPOSAL && bytes.length > 1 ? bytes.slice(1) : undefined;
}

/** the value as it was put; throws MALFORMED for bytes no Star of this version writes */
export function decodeValue(bytes: Uint8Array): string | Uint8Array {
  const type = bytes[0];
  if (type === VALUE_BYTES || type === VALUE_PROPOSAL) return bytes.slice(1);
  if (type === VALUE_TEXT) {
    try {
      return utf8Strict.decode(bytes.subarray(1));
    } catch {
      throw damaged('its text is not valid UTF-8');
    }
  }
  throw damaged(bytes.length === 0 ? 'it is empty' : `unknown value type ${type}`);
}

function prefixed(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out[0] = type;
  out.set(payload, 1);
  return out;
}

function damaged(why: string): StarError {
  return new StarError('MALFORMED', `this stored value was not written by a Starweave Star of this version (${why}); its writer must put it again`);
}
