/**
 * Half-blocks for the chain benchmarks, made in Node: `accounts` funded accounts (a genesis
 * file lists them) each proposing `perAccount` transfers, interleaved round-robin so any
 * prefix of the list is a valid order and every batch mixes many keys, as real traffic does.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { addressFromPublicKey } from '../shared/chain/address.ts';
import type { GenesisFile } from '../shared/chain/genesis.ts';
import { encodeHalfBlock, halfBlockHash, signingBytes, ZERO_HASH, type HalfBlock } from '../shared/chain/half-block.ts';

export interface ChainFixture {
  genesis: GenesisFile;
  blocks: Uint8Array[];
}

export function chainFixture(accounts: number, perAccount: number): ChainFixture {
  const keys = Array.from({ length: accounts }, () => {
    const secret = ed25519.utils.randomSecretKey();
    return { secret, pk: ed25519.getPublicKey(secret) };
  });
  const chains: HalfBlock[][] = keys.map(({ secret, pk }, i) => {
    const chain: HalfBlock[] = [];
    for (let seq = 1; seq <= perAccount; seq++) {
      const prev = chain.at(-1);
      const unsigned = {
        pk,
        seq,
        prev: prev ? halfBlockHash(prev) : ZERO_HASH,
        linkPk: keys[(i + seq) % accounts === i ? (i + 1) % accounts : (i + seq) % accounts]!.pk,
        linkSeq: 0,
        kind: 'transfer' as const,
        payload: { amount: 1, memo: '' },
        time: Date.now(),
      };
      chain.push({ ...unsigned, sig: ed25519.sign(signingBytes(unsigned), secret) });
    }
    return chain;
  });
  const blocks: Uint8Array[] = [];
  for (let seq = 0; seq < perAccount; seq++) for (const chain of chains) blocks.push(encodeHalfBlock(chain[seq]!));
  return {
    genesis: { network: 'starweave-bench', allocations: keys.map(({ pk }) => ({ address: addressFromPublicKey(pk), amount: 1_000_000 })) },
    blocks,
  };
}
