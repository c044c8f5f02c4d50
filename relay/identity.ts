/**
 * The relay's persistent libp2p identity. Browsers find the relay by peer id, and Stars
 * that lost it reconnect to the same id after a restart, so the key is kept in a file
 * (protobuf-encoded, mode 0600) and created on first start.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';

export async function loadOrCreateKey(path: string): Promise<{ key: PrivateKey; created: boolean }> {
  try {
    const bytes = await readFile(path);
    try {
      return { key: privateKeyFromProtobuf(new Uint8Array(bytes)), created: false };
    } catch (err) {
      throw new Error(`key file ${path} is not a libp2p private key (${(err as Error).message}); move it away to create a new identity`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = await generateKeyPair('Ed25519');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' });
  return { key, created: true };
}
