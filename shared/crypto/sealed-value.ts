/**
 * Private storage values: sealed in the writer's worker before they leave it. A fresh AES-GCM
 * content key encrypts the value; the content key is wrapped for each reader's X25519 public
 * key (ephemeral-static ECDH → HKDF-SHA-256 → AES-GCM key wrap), so storage Stars hold
 * ciphertext only and only the named readers can open it.
 *
 * The envelope (canonical CBOR, shared/codec/cbor.ts):
 *
 *   { v: 1, epk, iv, readers: [{ id, wrapped }, …], ct }
 *
 * - `epk`: one ephemeral X25519 public key (32 bytes) per envelope, its private half used for
 *   this envelope only and never extractable.
 * - For reader i: shared_i = X25519(ephemeral private, reader i's public key);
 *   header_i = canonical CBOR { v, epk, iv, id: id_i };
 *   KEK_i = HKDF-SHA-256(ikm = shared_i, salt = "starweave/sealed-value/1", info = header_i)
 *   as an AES-256-GCM key; wrapped_i = AES-GCM(KEK_i, nonce = 12 zero bytes, aad = header_i,
 *   content key) — 32 + 16 bytes. The zero nonce is safe because each KEK encrypts exactly one
 *   message (a fresh ephemeral key per envelope, a distinct info per reader id), and the
 *   reader id bound in both info and aad means an entry cannot be relabelled for another id.
 * - `readers` is sorted by id, ids unique, 1…MAX_READERS of them.
 * - ct = AES-256-GCM(content key, iv, aad = canonical CBOR of the envelope without ct, plain):
 *   the ciphertext authenticates the whole header, so a reader entry cannot be dropped,
 *   added or swapped without every reader noticing.
 *
 * Needs WebCrypto X25519 (Chromium ≥ 133, Firefox ≥ 130, Safari ≥ 17, Node ≥ 22 all have it;
 * checked on Node 22): the reader's private key is a non-extractable CryptoKey, which a
 * @noble/curves fallback could not use, so there is none.
 */
import { decodeCanonical, encodeCanonical, isRecord, type CborValue } from '../codec/cbor.ts';
import { StarError } from '../errors.ts';

/** a reader: its account id (pk hex) and its published X25519 public key (32 bytes) */
export interface SealReader {
  id: string;
  x25519: Uint8Array;
}

export const MAX_READERS = 16;
export const SEALED_VALUE_VERSION = 1;
export const MAX_READER_ID_CHARS = 128;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const WRAPPED_BYTES = KEY_BYTES + TAG_BYTES;
const ENVELOPE_FIELDS = 5;
const HKDF_SALT = new TextEncoder().encode('starweave/sealed-value/1');
const ZERO_NONCE = new Uint8Array(IV_BYTES);

interface Envelope {
  epk: Uint8Array;
  iv: Uint8Array;
  readers: { id: string; wrapped: Uint8Array }[];
  ct: Uint8Array;
}

/** WebCrypto wants ArrayBuffer-backed views; ours always are (cborg may hand out Buffers, which are too) */
const buf = (u: Uint8Array) => u as Uint8Array<ArrayBuffer>;

function readerHeader(epk: Uint8Array, iv: Uint8Array, id: string): Uint8Array {
  return encodeCanonical({ v: SEALED_VALUE_VERSION, epk, iv, id });
}

function contentAad(e: Omit<Envelope, 'ct'>): Uint8Array {
  return encodeCanonical({ v: SEALED_VALUE_VERSION, epk: e.epk, iv: e.iv, readers: e.readers });
}

async function keyEncryptionKey(privateKey: CryptoKey, publicKey: Uint8Array, header: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  const peer = await crypto.subtle.importKey('raw', buf(publicKey), { name: 'X25519' }, false, []);
  const shared = await crypto.subtle.deriveBits({ name: 'X25519', public: peer }, privateKey, 256);
  const ikm = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: buf(HKDF_SALT), info: buf(header) }, ikm, { name: 'AES-GCM', length: 256 }, false, [usage]);
}

const malformed = (why: string) => new StarError('MALFORMED', `this sealed value is damaged or is not a sealed value: ${why}`);

function decodeEnvelope(bytes: Uint8Array): Envelope {
  if (!(bytes instanceof Uint8Array)) throw malformed('it is not bytes');
  let v: CborValue;
  try {
    v = decodeCanonical(bytes);
  } catch (err) {
    throw malformed((err as Error).message);
  }
  if (!isRecord(v) || Object.keys(v).length !== ENVELOPE_FIELDS || v.v !== SEALED_VALUE_VERSION) throw malformed(`expected a version-${SEALED_VALUE_VERSION} envelope of ${ENVELOPE_FIELDS} fields`);
  const { epk, iv, readers, ct } = v;
  if (!(epk instanceof Uint8Array) || epk.length !== KEY_BYTES) throw malformed('epk must be 32 bytes');
  if (!(iv instanceof Uint8Array) || iv.length !== IV_BYTES) throw malformed('iv must be 12 bytes');
  if (!(ct instanceof Uint8Array) || ct.length < TAG_BYTES) throw malformed('ct must be at least 16 bytes');
  if (!Array.isArray(readers) || readers.length === 0 || readers.length > MAX_READERS) throw malformed(`it must name 1 to ${MAX_READERS} readers`);
  const out: Envelope['readers'] = [];
  for (const r of readers) {
    if (!isRecord(r) || Object.keys(r).length !== 2) throw malformed('a reader entry must be { id, wrapped }');
    const { id, wrapped } = r;
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_READER_ID_CHARS) throw malformed(`reader ids must be 1 to ${MAX_READER_ID_CHARS} characters`);
    if (!(wrapped instanceof Uint8Array) || wrapped.length !== WRAPPED_BYTES) throw malformed(`a wrapped key must be ${WRAPPED_BYTES} bytes`);
    const prev = out[out.length - 1];
    if (prev && !(prev.id < id)) throw malformed('readers must be sorted by id, each once');
    out.push({ id, wrapped });
  }
  return { epk, iv, readers: out, ct };
}

/** seal `plain` for the readers; the envelope is canonical CBOR (shared/codec/cbor.ts) */
export async function sealValue(plain: Uint8Array, readers: readonly SealReader[]): Promise<Uint8Array> {
  if (!(plain instanceof Uint8Array)) throw new StarError('INVALID_ARGUMENT', 'the value to seal must be bytes');
  if (!Array.isArray(readers) || readers.length === 0 || readers.length > MAX_READERS) {
    throw new StarError('INVALID_ARGUMENT', `a sealed value needs 1 to ${MAX_READERS} readers (got ${Array.isArray(readers) ? readers.length : 'none'}); include yourself to read it back`);
  }
  const sorted = [...readers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const [i, r] of sorted.entries()) {
    if (typeof r.id !== 'string' || r.id.length === 0 || r.id.length > MAX_READER_ID_CHARS) throw new StarError('INVALID_ARGUMENT', `reader ids must be 1 to ${MAX_READER_ID_CHARS} characters`);
    if (i > 0 && sorted[i - 1]!.id === r.id) throw new StarError('INVALID_ARGUMENT', `reader ${r.id} is named twice`);
    if (!(r.x25519 instanceof Uint8Array) || r.x25519.length !== KEY_BYTES) throw new StarError('INVALID_ARGUMENT', `reader ${r.id}'s X25519 public key must be 32 bytes`);
  }

  const ephemeral = (await crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair;
  const epk = new Uint8Array(await crypto.subtle.exportKey('raw', ephemeral.publicKey));
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const contentKey = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  try {
    const entries: Envelope['readers'] = [];
    for (const r of sorted) {
      const header = readerHeader(epk, iv, r.id);
      let kek: CryptoKey;
      try {
        kek = await keyEncryptionKey(ephemeral.privateKey, r.x25519, header, 'encrypt');
      } catch {
        throw new StarError('INVALID_ARGUMENT', `reader ${r.id}'s X25519 public key is not usable (a weak or invalid point); ask them to publish their reader key again`);
      }
      const wrapped = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: buf(ZERO_NONCE), additionalData: buf(header) }, kek, buf(contentKey)));
      entries.push({ id: r.id, wrapped });
    }
    const cek = await crypto.subtle.importKey('raw', buf(contentKey), { name: 'AES-GCM' }, false, ['encrypt']);
    const aad = contentAad({ epk, iv, readers: entries });
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad) }, cek, buf(plain)));
    return encodeCanonical({ v: SEALED_VALUE_VERSION, epk, iv, readers: entries, ct });
  } finally {
    contentKey.fill(0);
  }
}

/** open an envelope as reader `id` with its X25519 private key; throws StarError('NOT_A_READER') / ('MALFORMED') */
export async function openValue(envelope: Uint8Array, id: string, privateKey: CryptoKey): Promise<Uint8Array> {
  const e = decodeEnvelope(envelope);
  const entry = e.readers.find((r) => r.id === id);
  if (!entry) {
    throw new StarError('NOT_A_READER', `this value is sealed for ${e.readers.length} other reader${e.readers.length === 1 ? '' : 's'}, not for ${id}; ask its writer to share it with this account`);
  }
  if (!(privateKey instanceof CryptoKey) || privateKey.type !== 'private' || privateKey.algorithm.name !== 'X25519' || !privateKey.usages.includes('deriveBits')) {
    throw new StarError('INVALID_ARGUMENT', 'opening a sealed value needs the X25519 reader private key (deriveBits) from generateReaderKey');
  }
  const header = readerHeader(e.epk, e.iv, id);
  let contentKey: Uint8Array;
  try {
    const kek = await keyEncryptionKey(privateKey, e.epk, header, 'decrypt');
    contentKey = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: buf(ZERO_NONCE), additionalData: buf(header) }, kek, buf(entry.wrapped)));
  } catch {
    // Either this key is not the one the writer sealed for `id`, or the entry was altered;
    // stored values are signed by their writer, so in practice it is the key.
    throw new StarError('NOT_A_READER', `this key does not open the entry sealed for ${id}: the value was sealed to a different reader key of that account (or altered); ask its writer to seal it again for your current key`);
  }
  try {
    const cek = await crypto.subtle.importKey('raw', buf(contentKey), { name: 'AES-GCM' }, false, ['decrypt']);
    const aad = contentAad(e);
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: buf(e.iv), additionalData: buf(aad) }, cek, buf(e.ct)));
  } catch {
    throw malformed('its ciphertext or header was altered after sealing (authentication failed)');
  } finally {
    contentKey.fill(0);
  }
}

/** a non-extractable X25519 key pair (deriveBits usage) and its raw public key */
export async function generateReaderKey(): Promise<{ privateKey: CryptoKey; publicKey: Uint8Array }> {
  const pair = (await crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair;
  return { privateKey: pair.privateKey, publicKey: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)) };
}

/** the reader ids an envelope names (anyone can list them; the values stay sealed); throws StarError('MALFORMED') */
export function envelopeReaders(envelope: Uint8Array): string[] {
  return decodeEnvelope(envelope).readers.map((r) => r.id);
}
