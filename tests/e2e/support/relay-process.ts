/**
 * Runs the real relay (`node relay/main.ts`) as a child process for a test or benchmark:
 * a free port, its own data directory (key, genesis file, faucet key and chain), and helpers
 * to stop and restart it. Nothing is shared with `.data/` or with another test's relay.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freeLoopbackPort } from '../../../relay/free-port.ts';
import type { GenesisFile } from '../../../shared/chain/genesis.ts';

const root = resolve(import.meta.dirname, '../../..');
/** The project's own Node 22 (the `node` npm package), whatever runs this file. */
const NODE = join(root, 'node_modules/.bin/node');

export interface RelayProcess {
  url: string;
  port: number;
  keyFile: string;
  /** the temporary directory holding every file of this relay */
  dataDir: string;
  genesisFile: string;
  faucetKeyFile: string;
  faucetDb: string;
  /** stops the process (SIGTERM, or SIGKILL to simulate a crash) and waits for it to exit */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** starts it again on the same port with the same identity */
  restart(): Promise<void>;
  logs(): string;
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`relay exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(new URL('/health', url));
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`relay at ${url} not healthy after 30 s:\n${output()}`);
}

export interface StartRelayOptions {
  port?: number;
  env?: Record<string, string>;
  /** one faucet payout per account per this many ms (relay default: 60000) */
  faucetIntervalMs?: number;
  /** the network's genesis file; by default the relay creates a dev genesis funding its faucet */
  genesis?: GenesisFile;
  /** the faucet's key (PKCS#8), so a given genesis can fund it; by default the relay creates one */
  faucetKey?: Uint8Array;
}

export async function startRelay(opts: StartRelayOptions = {}): Promise<RelayProcess> {
  const port = opts.port ?? (await freeLoopbackPort());
  const dataDir = mkdtempSync(join(tmpdir(), 'starweave-relay-'));
  const keyFile = join(dataDir, 'relay.key');
  const genesisFile = join(dataDir, 'genesis.json');
  const faucetKeyFile = join(dataDir, 'faucet.key');
  const faucetDb = join(dataDir, 'faucet.sqlite');
  if (opts.genesis) writeFileSync(genesisFile, JSON.stringify(opts.genesis, null, 2));
  if (opts.faucetKey) writeFileSync(faucetKeyFile, opts.faucetKey, { mode: 0o600 });
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess;
  let output = '';
  const args = ['relay/main.ts', '--port', String(port), '--key-file', keyFile, '--log-level', 'info'];
  args.push('--genesis', genesisFile, '--faucet-key-file', faucetKeyFile, '--faucet-db', faucetDb);
  if (opts.faucetIntervalMs !== undefined) args.push('--faucet-interval-ms', String(opts.faucetIntervalMs));

  const launch = async (): Promise<void> => {
    child = spawn(NODE, args, {
      cwd: root,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitHealthy(url, child, () => output);
  };
  await launch();

  return {
    url,
    port,
    keyFile,
    dataDir,
    genesisFile,
    faucetKeyFile,
    faucetDb,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
    restart: launch,
    logs: () => output,
  };
}
