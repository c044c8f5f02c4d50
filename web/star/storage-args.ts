/**
 * Checks of the storage calls' arguments on the page's side, so a dApp's mistake is a
 * StarError naming the call and the argument before anything crosses to the worker (which
 * checks again: it trusts nothing from this thread).
 */
import type { PutOptions } from '../../shared/api.ts';
import { publicKeyFromAddress } from '../../shared/chain/address.ts';
import { StarError } from '../../shared/errors.ts';
import { INBOX_PREFIX, MAX_NAME_BYTES, MAX_VALUE_BYTES } from '../../shared/storage/record.ts';

const utf8 = new TextEncoder();
// the record format refuses these in key names (shared/storage/record.ts)
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function invalid(call: string, message: string): StarError {
  return new StarError('INVALID_ARGUMENT', `${call}: ${message}`);
}

function nameProblem(name: string, what: string): string | null {
  const bytes = utf8.encode(name).length;
  if (bytes > MAX_NAME_BYTES) return `${what} is ${bytes} bytes of UTF-8; at most ${MAX_NAME_BYTES} are allowed`;
  if (CONTROL.test(name)) return `${what} must not contain control characters (such as newlines or tabs)`;
  return null;
}

/**
 * A key this account writes: a non-empty string of at most 256 UTF-8 bytes. `inbox/…` keys
 * are written only by `send` (a message goes to the recipient's inbox, signed by the sender).
 */
export function checkOwnKey(call: string, key: unknown): string {
  if (typeof key !== 'string' || key === '') throw invalid(call, 'key must be a non-empty string, like "notes/today"');
  const problem = nameProblem(key, 'key');
  if (problem) throw invalid(call, problem);
  if (key.startsWith(INBOX_PREFIX)) throw invalid(call, `keys under "${INBOX_PREFIX}" hold messages: use star.send(to, message) to write to an inbox`);
  return key;
}

/** A key to read: any key name, inbox keys included (this account reads its own inbox). */
export function checkReadKey(call: string, key: unknown): string {
  if (typeof key !== 'string' || key === '') throw invalid(call, 'key must be a non-empty string, like "notes/today"');
  const problem = nameProblem(key, 'key');
  if (problem) throw invalid(call, problem);
  return key;
}

/** A key prefix for `list`: may be empty (every key). */
export function checkPrefix(call: string, prefix: unknown): string {
  if (typeof prefix !== 'string') throw invalid(call, 'prefix must be a string ("" lists every key)');
  const problem = nameProblem(prefix, 'prefix');
  if (problem) throw invalid(call, problem);
  return prefix;
}

/** An account address (owner, reader, recipient): a typo is INVALID_ADDRESS, as for transfers. */
export function checkAddress(call: string, address: unknown, what: string): string {
  if (typeof address !== 'string') throw new StarError('INVALID_ADDRESS', `${call}: ${what} must be an address string starting with sw1`);
  try {
    publicKeyFromAddress(address);
  } catch (err) {
    throw new StarError('INVALID_ADDRESS', `${call}: ${(err as Error).message}`);
  }
  return address.trim();
}

/** `owner` of get/list: this account when absent. */
export function checkOwner(call: string, owner: unknown): string | undefined {
  return owner === undefined ? undefined : checkAddress(call, owner, 'owner');
}

/** A value or message: a string (read back as a string) or bytes, at most 64 KiB. */
export function checkData(call: string, data: unknown, what: string): string | Uint8Array {
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw invalid(call, `${what} must be a string or a Uint8Array`);
  const bytes = typeof data === 'string' ? utf8.encode(data).length : data.byteLength;
  if (bytes > MAX_VALUE_BYTES) {
    throw new StarError('MESSAGE_TOO_LARGE', `${call}: the ${what} is ${bytes} bytes; at most ${MAX_VALUE_BYTES} bytes (64 KiB) fit in one key. Split it over several keys.`);
  }
  return data;
}

/** `put`'s options: `readers` (present = private) is a list of addresses. */
export function checkPutOptions(call: string, opts: unknown): PutOptions {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object') throw invalid(call, 'options must be an object like { readers: ["sw1…"] }');
  const readers = (opts as { readers?: unknown }).readers;
  if (readers === undefined) return {};
  if (!Array.isArray(readers)) throw invalid(call, 'readers must be an array of addresses (an empty array: only this account may read)');
  const checked = readers.map((r, i) => checkAddress(call, r, `readers[${i}]`));
  return { readers: [...new Set(checked)] };
}
