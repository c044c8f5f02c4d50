/**
 * The relay's genesis file: the network's starting balances, which every Star builds its
 * ledger on (served at GET /genesis.json). A missing file means a fresh dev network, so
 * one is written that funds the faucet; a file that exists but is wrong stops the relay
 * with a message naming the file and the problem, because guessing would split the network.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseGenesis, type GenesisFile } from '../shared/chain/genesis.ts';

export const DEV_NETWORK = 'starweave-dev';
export const DEV_FAUCET_ALLOCATION = 1_000_000_000_000;

const FIX = 'fix it, or start a new dev network by moving it away together with the faucet db';

export interface LoadedGenesis {
  /** the file's JSON, served as is */
  file: GenesisFile;
  network: string;
  /** starting balances by public key (hex) */
  balances: Map<string, number>;
  /** Galaxy public keys in seat order (none: no finality on this network) */
  galaxies: Uint8Array[];
  created: boolean;
}

/** A dev network funding the faucet; `galaxies` (addresses, seat order) give it finality. */
export function devGenesis(faucetAddress: string, galaxies: readonly string[] = []): GenesisFile {
  const file: GenesisFile = { network: DEV_NETWORK, allocations: [{ address: faucetAddress, amount: DEV_FAUCET_ALLOCATION }] };
  if (galaxies.length > 0) file.galaxies = [...galaxies];
  return file;
}

/** `galaxies` only matter when the file is created (`npm start` creates it with its Galaxies' keys). */
export async function loadOrCreateGenesis(path: string, faucetAddress: string, galaxies: readonly string[] = []): Promise<LoadedGenesis> {
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the genesis file ${path}: ${(err as Error).message}`);
  }
  let created = false;
  if (text === undefined) {
    text = JSON.stringify(devGenesis(faucetAddress, galaxies), null, 2) + '\n';
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text, { flag: 'wx' });
    created = true;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`genesis file ${path} is not JSON (${(err as Error).message}); ${FIX}`);
  }
  try {
    const { network, balances, galaxies: galaxyKeys } = parseGenesis(json);
    return { file: json as GenesisFile, network, balances, galaxies: galaxyKeys, created };
  } catch (err) {
    const problem = (err as Error).message.replace(/^genesis file: /, '');
    throw new Error(`genesis file ${path} is not valid: ${problem}; ${FIX}`);
  }
}
