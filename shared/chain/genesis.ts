/**
 * The genesis file: the network's starting balances. The relay (and later the Galaxy)
 * loads it and serves it at `/genesis.json`; every Star builds its ledger on it.
 *
 *   { "network": "starweave-dev", "allocations": [{ "address": "sw1…", "amount": 1000000 }],
 *     "galaxies": ["sw1…", …] }
 *
 * `galaxies` are the Galaxy validators' public keys (as addresses), in seat order: Stars
 * check every Blackhole block against a quorum of them. No galaxies: no finality.
 */
import { toHex } from '../codec/hex.ts';
import { StarError } from '../errors.ts';
import { publicKeyFromAddress } from './address.ts';

export interface GenesisFile {
  network: string;
  allocations: Array<{ address: string; amount: number }>;
  galaxies?: string[];
}

export interface ParsedGenesis {
  network: string;
  balances: Map<string, number>;
  /** Galaxy public keys in seat order */
  galaxies: Uint8Array[];
}

/** Starting balances by public key (hex). Throws INVALID_ARGUMENT naming the bad entry. */
export function parseGenesis(json: unknown): ParsedGenesis {
  const bad = (what: string) => new StarError('INVALID_ARGUMENT', `genesis file: ${what}`);
  if (typeof json !== 'object' || json === null) throw bad('must be a JSON object { network, allocations }');
  const { network, allocations, galaxies: galaxyList } = json as Partial<GenesisFile>;
  if (typeof network !== 'string' || network === '') throw bad('"network" must be a non-empty string');
  if (!Array.isArray(allocations)) throw bad('"allocations" must be a list of { address, amount }');
  const balances = new Map<string, number>();
  allocations.forEach((a, i) => {
    if (typeof a?.address !== 'string') throw bad(`allocations[${i}].address is missing`);
    let pk: Uint8Array;
    try {
      pk = publicKeyFromAddress(a.address);
    } catch (err) {
      throw bad(`allocations[${i}]: ${(err as Error).message}`);
    }
    if (!Number.isSafeInteger(a.amount) || a.amount <= 0) throw bad(`allocations[${i}].amount must be a positive whole number`);
    const id = toHex(pk);
    if (balances.has(id)) throw bad(`allocations[${i}] repeats ${a.address}`);
    balances.set(id, a.amount);
  });
  if (galaxyList !== undefined && !Array.isArray(galaxyList)) throw bad('"galaxies" must be a list of addresses');
  const galaxies: Uint8Array[] = [];
  const seen = new Set<string>();
  (galaxyList ?? []).forEach((address, i) => {
    let pk: Uint8Array;
    try {
      if (typeof address !== 'string') throw new Error('must be an address string');
      pk = publicKeyFromAddress(address);
    } catch (err) {
      throw bad(`galaxies[${i}]: ${(err as Error).message}`);
    }
    if (seen.has(toHex(pk))) throw bad(`galaxies[${i}] repeats ${address}`);
    seen.add(toHex(pk));
    galaxies.push(pk);
  });
  return { network, balances, galaxies };
}
