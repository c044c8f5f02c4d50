/**
 * Private storage values: sealed in the writer's worker before they leave it. A fresh AES-GCM
 * content key encrypts the value; the content key is wrapped for each reader's X25519 public
 * key (ephemeral-static ECDH → HKDF-SHA-256 → AES-GCM key wrap), so storage Stars hold
 * ciphertext only and only the named readers can open it.
 * OWNER: helper H2 — contract below is fixed, bodies to be written. WebCrypto (X25519,
 * AES-GCM, HKDF) as in Chromium and Node 22; @noble/curves x25519 only where WebCrypto lacks it.
 */

/** a reader: its account id (pk hex) and its published X25519 public key (32 bytes) */
export interface SealReader {
  id: string;
  x25519: Uint8Array;
}

export const MAX_READERS = 16;

/** seal `plain` for the readers; the envelope is canonical CBOR (shared/codec/cbor.ts) */
export async function sealValue(plain: Uint8Array, readers: readonly SealReader[]): Promise<Uint8Array> {
  throw new Error('not yet');
}
/** open an envelope as reader `id` with its X25519 private key; throws StarError('NOT_A_READER') / ('MALFORMED') */
export async function openValue(envelope: Uint8Array, id: string, privateKey: CryptoKey): Promise<Uint8Array> {
  throw new Error('not yet');
}
/** a non-extractable X25519 key pair (deriveBits usage) and its raw public key */
export async function generateReaderKey(): Promise<{ privateKey: CryptoKey; publicKey: Uint8Array }> {
  throw new Error('not yet');
}
/** the reader ids an envelope names (anyone can list them; the values stay sealed) */
export function envelopeReaders(envelope: Uint8Array): string[] {
  throw new Error('not yet');
}
