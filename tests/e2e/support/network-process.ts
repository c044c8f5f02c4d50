/**
 * Runs a whole network (the real relay and N real Galaxy processes) for a test or
 * benchmark, the way `npm start` does (relay/galaxy/launch.ts): its own temporary data
 * directory (relay key, faucet key and chain, Galaxy keys and databases, a genesis file
 * listing the Galaxies), free ports, and helpers to kill and restart any process.
 * `startRelay` (relay-process.ts) stays the way to get a relay without Galaxies.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../../relay/free-port.ts';
import { launchNetwork, prepareDevNetwork, type ServiceProcess } from '../../../relay/galaxy/launch.ts';
import type { RelayProcess } from './relay-process.ts';

export interface GalaxyProcess {
  seat: number;
  url: string;
  port: number;
  keyFile: string;
  db: string;
  /** stops the process (SIGTERM, or SIGKILL to simulate a crash) and waits for it to exit */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** starts it again on the same port with the same key and database, and waits until it is healthy */
  restart(): Promise<void>;
  logs(): string;
}

export interface NetworkProcess {
  relay: RelayProcess;
  galaxies: GalaxyProcess[];
  dataDir: string;
  genesisFile: string;
  /** stops every process (Galaxies first) */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartNetworkOptions {
  /** Galaxy processes, listed in the genesis file in this order (default 1; 0 = no finality) */
  galaxies?: number;
  /** an empty Blackhole block after this long without a checkpoint (Galaxy default 5000) */
  roundTimeoutMs?: number;
  /** relay port (default: a free one) */
  port?: number;
  /** for every process; LOG_LEVEL here sets the log level of all of them */
  env?: Record<string, string>;
  faucetIntervalMs?: number;
}

export async function startNetwork(opts: StartNetworkOptions = {}): Promise<NetworkProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'starweave-network-'));
  const genesisFile = join(dataDir, 'genesis.json');
  const faucetKeyFile = join(dataDir, 'faucet.key');
  const keyFile = join(dataDir, 'relay.key');
  const faucetDb = join(dataDir, 'faucet.sqlite');
  const files = await prepareDevNetwork({ genesisFile, faucetKeyFile, dataDir, galaxies: opts.galaxies ?? 1 });
  const relayArgs = ['--key-file', keyFile, '--genesis', genesisFile, '--faucet-key-file', faucetKeyFile, '--faucet-db', faucetDb];
  if (opts.faucetIntervalMs !== undefined) relayArgs.push('--faucet-interval-ms', String(opts.faucetIntervalMs));
  const port = opts.port ?? (await freeLoopbackPort());
  const launched = await launchNetwork({
    relayPort: port,
    relayArgs,
    genesisFile,
    galaxies: files.galaxies,
    roundTimeoutMs: opts.roundTimeoutMs,
    env: { LOG_LEVEL: 'info', ...opts.env },
    output: 'capture',
  });
  const service = (s: ServiceProcess) => ({ stop: (signal?: NodeJS.Signals) => s.stop(signal), restart: () => s.restart(), logs: () => s.logs() });
  const relay: RelayProcess = { url: launched.relay.url, port, keyFile, dataDir, genesisFile, faucetKeyFile, faucetDb, ...service(launched.relay) };
  const galaxies = launched.galaxies.map((g, i): GalaxyProcess => {
    const f = files.galaxies[i]!;
    return { seat: f.seat, url: g.url, port: g.port, keyFile: f.keyFile, db: f.db, ...service(g) };
  });
  return { relay, galaxies, dataDir, genesisFile, stop: (signal) => launched.stop(signal) };
}
