/**
 * Ed25519 verification for every runtime the cores run in: WebCrypto (browsers, Node 22)
 * with imported public keys cached, `@noble/curves` where WebCrypto lacks Ed25519.
 * Verification is the hot path, so `verifyMany` starts every check at once and lets
 * WebCrypto run them concurrently; nothing here blocks a UI thread.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { toHex } from '../codec/hex.ts';

export interface VerifyItem {
  pk: Uint8Array;
  message: Uint8Array;
  sig: Uint8Array;
}

const KEY_CACHE_LIMIT = 4096;

let webCryptoSupport: Promise<boolean> | undefined;

/** Whether this runtime's WebCrypto has Ed25519 (probed once). */
export function webCryptoHasEd25519(): Promise<boolean> {
  webCryptoSupport ??= (async () => {
    try {
      const probe = ed25519.getPublicKey(new Uint8Array(32).fill(7));
      await crypto.subtle.importKey('raw', probe as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']);
      return true;
    } catch {
      return false;
    }
  })();
  return webCryptoSupport;
}



export class Ed25519Verifier {
  private readonly keys = new Map<string, Promise<CryptoKey>>();

  async verify(item: VerifyItem): Promise<boolean> {
    return this.check(item, await webCryptoHasEd25519());
  }

  /** The runtime probe is awaited once per batch, not once per signature (the hot path). */
  async verifyMany(items: readonly VerifyItem[]): Promise<boolean[]> {
    const webCrypto = await webCryptoHasEd25519();
    return Promise.all(items.map((item) => this.check(item, webCrypto)));
  }

  private async check(item: VerifyItem, webCrypto: boolean): Promise<boolean> {
    if (item.pk.length !== 32 || item.sig.length !== 64) return false;
    if (!webCrypto) return nobleVerify(item);
    try {
      const key = await this.key(item.pk);
      return await crypto.subtle.verify({ name: 'Ed25519' }, key, item.sig as Uint8Array<ArrayBuffer>, item.message as Uint8Array<ArrayBuffer>);
    } catch {
      // a malformed point is an invalid signature, not a crash
      return false;
    }
  }

  /** Imported keys are reused; a chain's blocks are all checked against one key. */
  private key(pk: Uint8Array): Promise<CryptoKey> {
    const id = toHex(pk);
    let key = this.keys.get(id);
    if (!key) {
      if (this.keys.size >= KEY_CACHE_LIMIT) this.keys.delete(this.keys.keys().next().value as string);
      key = crypto.subtle.importKey('raw', pk as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']);
      key.catch(() => this.keys.delete(id));
      this.keys.set(id, key);
    }
    return key;
  }
}

/** Synchronous verification with @noble/curves: the fallback here, and for the few signatures per round a pure core checks itself. */
export function nobleVerify(item: VerifyItem): boolean {
  try {
    return ed25519.verify(item.sig, item.message, item.pk);
  } catch {
    return false;
  }
}
