/**
 * The dev faucet's account key. The faucet signs its own account chain, so the key must
 * survive restarts (a new key is a new, unfunded account): it is kept as PKCS#8 in a file
 * (mode 0600), created on first start, and loaded as a non-extractable WebCrypto key.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generatePkcs8, signerFromPkcs8, type Signer } from '../shared/crypto/signer.ts';

export async function loadOrCreateFaucetSigner(path: string): Promise<{ signer: Signer; created: boolean }> {
  let pkcs8: Uint8Array | undefined;
  try {
    pkcs8 = new Uint8Array(await readFile(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the faucet key file ${path}: ${(err as Error).message}`);
  }
  if (pkcs8 !== undefined) {
    try {
      return { signer: await signerFromPkcs8(pkcs8), created: false };
    } catch (err) {
      throw new Error(
        `faucet key file ${path} is not a PKCS#8 Ed25519 key (${(err as Error).message}). ` +
          'Restore the right file; a new key is a new, unfunded faucet account, so it also needs a new genesis file and faucet db.',
      );
    }
  }
  const fresh = await generatePkcs8();
  await mkdir(dirname(path), { recursive: true });
  // 'wx': never overwrite a key another process created a moment ago
  await writeFile(path, fresh, { mode: 0o600, flag: 'wx' });
  return { signer: await signerFromPkcs8(fresh), created: true };
}
