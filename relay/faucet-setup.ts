/**
 * Brings up the dev faucet from its three files, in the order they depend on each other:
 * the key (whose address a fresh genesis funds), the genesis file, the faucet's chain.
 * Any file that is there but wrong throws an Error naming the file and what to do.
 */
import { resolve } from 'node:path';
import { addressFromPublicKey } from '../shared/chain/address.ts';
import type { RelayConfig } from './config.ts';
import { loadOrCreateFaucetSigner } from './faucet-key.ts';
import { FaucetStore } from './faucet-store.ts';
import { Faucet } from './faucet.ts';
import { loadOrCreateGenesis, type LoadedGenesis } from './genesis.ts';

export interface FaucetSetup {
  faucet: Faucet;
  genesis: LoadedGenesis;
  store: FaucetStore;
  keyCreated: boolean;
}

export type FaucetConfig = Pick<RelayConfig, 'genesisFile' | 'faucetKeyFile' | 'faucetDb' | 'faucetAmount' | 'faucetIntervalMs'>;

export async function setUpFaucet(config: FaucetConfig, now: number): Promise<FaucetSetup> {
  const { signer, created } = await loadOrCreateFaucetSigner(resolve(config.faucetKeyFile));
  const genesis = await loadOrCreateGenesis(resolve(config.genesisFile), addressFromPublicKey(signer.pk));
  const store = await FaucetStore.open(resolve(config.faucetDb));
  try {
    const faucet = new Faucet({ genesis: genesis.balances, signer, store, amount: config.faucetAmount, intervalMs: config.faucetIntervalMs }, now);
    return { faucet, genesis, store, keyCreated: created };
  } catch (err) {
    store.close();
    throw err;
  }
}
