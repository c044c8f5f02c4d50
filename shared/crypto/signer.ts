/**
 * Something that signs with one Ed25519 account key. The worker's signer holds a
 * non-extractable WebCrypto key (or, without WebCrypto Ed25519, a noble key sealed at rest);
 * the relay's faucet holds its key the same way in Node.
 */
export interface Signer {
  readonly pk: Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export function webCryptoSigner(privateKey: CryptoKey, pk: Uint8Array): Signer {
  return {
    pk,
    async sign(message) {
      return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, message as Uint8Array<ArrayBuffer>));
    },
  };
}

/** Imports a PKCS#8 Ed25519 key as a non-extractable signer. */
export async function signerFromPkcs8(pkcs8: Uint8Array): Promise<Signer> {
  const extractable = await crypto.subtle.importKey('pkcs8', pkcs8 as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', extractable);
  const pk = base64UrlBytes(jwk.x ?? '');
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8 as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['sign']);
  return webCryptoSigner(privateKey, pk);
}

/** A fresh Ed25519 key as PKCS#8 bytes, for keys that must be sealed before they are stored. */
export async function generatePkcs8(): Promise<Uint8Array> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  return new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
}

function base64UrlBytes(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
