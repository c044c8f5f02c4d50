/**
 * Checks the wallet's storage and inbox forms before anything is signed, in words for the
 * person at the form; the Star checks again (key length, characters, sizes) and its
 * message is shown as it is.
 */
import { checkAddressText } from './send-check.ts';

export type NoteCheck = { ok: true; to: string; text: string } | { ok: false; message: string };
export type PutCheck = { ok: true; key: string; value: string; readers?: string[] } | { ok: false; message: string };
export type GetCheck = { ok: true; key: string; owner?: string } | { ok: false; message: string };

/** A message to an account's inbox: a valid address and some text. */
export function checkNote(toText: string, text: string): NoteCheck {
  const to = checkAddressText(toText);
  if (!to.ok) return to;
  if (text.trim() === '') return { ok: false, message: 'Write something to send.' };
  return { ok: true, to: to.to, text };
}

/**
 * A value to store. `private`: only the listed readers (separated by spaces, commas or new
 * lines) and this account can read it; none listed means this account alone.
 */
export function checkPut(keyText: string, value: string, isPrivate: boolean, readersText: string): PutCheck {
  const key = keyText.trim();
  if (key === '') return { ok: false, message: 'Enter a key to store the value under, like notes/today.' };
  if (!isPrivate) return { ok: true, key, value };
  const readers: string[] = [];
  for (const part of readersText.split(/[\s,]+/).filter((p) => p !== '')) {
    const reader = checkAddressText(part);
    if (!reader.ok) return { ok: false, message: `Reader ${readers.length + 1}: ${reader.message}` };
    readers.push(reader.to);
  }
  return { ok: true, key, value, readers };
}

/** A key to read: this account's, or the owner's whose address is given. */
export function checkGet(ownerText: string, keyText: string): GetCheck {
  const key = keyText.trim();
  if (key === '') return { ok: false, message: 'Enter the key to read, like notes/today.' };
  if (ownerText.trim() === '') return { ok: true, key };
  const owner = checkAddressText(ownerText);
  if (!owner.ok) return { ok: false, message: `Owner: ${owner.message}` };
  return { ok: true, key, owner: owner.to };
}
