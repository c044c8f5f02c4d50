/**
 * Ed25519 account keys kept in files: the dev faucet's (it signs its own account chain) and
 * each Galaxy's (it signs Blackhole blocks and its agreement messages). Such a key must
 * survive restarts (a new faucet key is a new, unfunded account; a new Galaxy key is not in
 * the genesis file's galaxies): it is kept as PKCS#8 in a file (mode 0600), created on
 * first start, and loaded as a non-extractable WebCrypto key.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generatePkcs8, signerFromPkcs8, type Signer } from '../shared/crypto/signer.ts';

const FAUCET_ADVICE = 'Restore the right file; a new key is a new, unfunded faucet account, so it also needs a new genesis file and faucet db.';

export async function loadOrCreateFaucetSigner(path: string): Promise<{ signer: Signer; created: boolean }> {
  return loadOrCreateSigner(path, 'faucet', FAUCET_ADVICE);
}

/** `what` names the key in errors ("faucet", "Galaxy"); `advice` says what to do about a bad file. */
export async function loadOrCreateSigner(path: string, what: string, advice = 'Restore the right file.'): Promise<{ signer: Signer; created: boolean }> {
  let pkcs8: Uint8Array | undefined;
  try {
    pkcs8 = new Uint8Array(await readFile(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the ${what} key file ${path}: ${(err as Error).message}`);
  }
  if (pkcs8 !== undefined) {
    try {
      return { signer: await signerFromPkcs8(pkcs8), created: false };
    } catch (err) {
      throw new Error(`${what} key file ${path} is not a PKCS#8 Ed25519 key (${(err as Error).message}). ${advice}`);
    }
  }
  const fresh = await generatePkcs8();
  await mkdir(dirname(path), { recursive: true });
  // 'wx': never overwrite a key another process created a moment ago
  try {
    await writeFile(path, fresh, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // another process (a second Galaxy, the relay) created it between our read and write: use theirs
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateSigner(path, what, advice);
    throw err;
  }
  return { signer: await signerFromPkcs8(fresh), created: true };
}
