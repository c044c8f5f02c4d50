/**
 * The envelope of an application pub/sub message (`star.publish` / `star.subscribe`).
 *
 * Wire form: canonical CBOR map `{ v: 1, topic, data, text, sentAt }`; `text` says the
 * publisher passed a string, so the subscriber gets a string back. The sender's identity is
 * the gossipsub message's signed `from` peer id, so it is not repeated here. `topic` is
 * repeated inside the envelope so a message replayed onto another topic is rejected.
 */
import { decodeCanonical, encodeCanonical, isRecord } from '../codec/cbor.ts';
import { StarError } from '../errors.ts';
import { isValidAppTopic } from './topics.ts';

export const APP_MESSAGE_VERSION = 1;
/** Largest payload a Star publishes or accepts on an app topic. */
export const MAX_APP_DATA_BYTES = 64 * 1024;
/** Largest whole envelope: payload plus room for the fields around it. */
export const MAX_APP_ENVELOPE_BYTES = MAX_APP_DATA_BYTES + 512;
/** How far in the future a sender's clock may be before its message is rejected. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface AppMessage {
  topic: string;
  data: Uint8Array;
  /** the publisher passed a string (UTF-8 in `data`) */
  text: boolean;
  /** sender's wall clock, ms since epoch */
  sentAt: number;
}

export function encodeAppMessage(msg: AppMessage): Uint8Array {
  if (!isValidAppTopic(msg.topic)) {
    throw new StarError('INVALID_ARGUMENT', `topic "${msg.topic}" is not valid: use 1–100 letters, digits or _ . : - /`);
  }
  if (msg.data.byteLength > MAX_APP_DATA_BYTES) {
    throw new StarError(
      'MESSAGE_TOO_LARGE',
      `message is ${msg.data.byteLength} bytes; the limit is ${MAX_APP_DATA_BYTES} bytes — split it or store it with put()`,
    );
  }
  return encodeCanonical({ v: APP_MESSAGE_VERSION, topic: msg.topic, data: msg.data, text: msg.text, sentAt: msg.sentAt });
}

export type DecodeResult = { ok: true; message: AppMessage } | { ok: false; reason: string };

/**
 * Validates untrusted bytes from the network. Never throws: a bad message is a verdict,
 * not an exception, so one peer's garbage cannot crash the node.
 */
export function decodeAppMessage(bytes: Uint8Array, expectedTopic: string, now: number): DecodeResult {
  if (bytes.byteLength > MAX_APP_ENVELOPE_BYTES) return { ok: false, reason: `envelope too large (${bytes.byteLength} bytes)` };
  let value: unknown;
  try {
    value = decodeCanonical(bytes);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  if (!isRecord(value)) return { ok: false, reason: 'envelope is not a map' };
  const keys = Object.keys(value);
  if (keys.length !== 5) return { ok: false, reason: 'envelope has unexpected fields' };
  const { v, topic, data, text, sentAt } = value;
  if (v !== APP_MESSAGE_VERSION) return { ok: false, reason: `unsupported version ${String(v)}` };
  if (typeof topic !== 'string' || topic !== expectedTopic) return { ok: false, reason: 'topic does not match the gossip topic' };
  if (!(data instanceof Uint8Array)) return { ok: false, reason: 'data is not bytes' };
  if (data.byteLength > MAX_APP_DATA_BYTES) return { ok: false, reason: 'data too large' };
  if (typeof text !== 'boolean') return { ok: false, reason: 'text flag is not a boolean' };
  if (text && !isUtf8(data)) return { ok: false, reason: 'text is not valid UTF-8' };
  if (typeof sentAt !== 'number' || !Number.isSafeInteger(sentAt) || sentAt < 0) return { ok: false, reason: 'sentAt is not a timestamp' };
  if (sentAt > now + MAX_CLOCK_SKEW_MS) return { ok: false, reason: 'sentAt is in the future' };
  return { ok: true, message: { topic, data, text, sentAt } };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
