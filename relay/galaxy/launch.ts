/**
 * Starting a whole dev network as child processes: the relay and N Galaxies, each its own
 * Node process. Used by `npm start` (scripts/start.ts) and by the tests and benchmarks
 * (tests/e2e/support/network-process.ts), so both start the network the same way.
 *
 *  - `prepareDevNetwork` makes sure the files exist in the order they depend on each other:
 *    the faucet key and the Galaxy keys, then a genesis file that funds the faucet and
 *    lists the Galaxies (the relay only creates a genesis without Galaxies);
 *  - `launchNetwork` picks the Galaxies' ports, spawns everything at once (a Galaxy keeps
 *    dialling the relay until it is up) and waits until the relay's /health says the
 *    relay and a quorum of Galaxies are up; a child that dies meanwhile stops the start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { addressFromPublicKey } from '../../shared/chain/address.ts';
import { parseGenesis } from '../../shared/chain/genesis.ts';
import { bytesEqual } from '../../shared/codec/cbor.ts';
import { quorumSize } from '../../shared/finality/checkpoint.ts';
import { loadOrCreateFaucetSigner, loadOrCreateSigner } from '../faucet-key.ts';
import { freeLoopbackPort } from '../free-port.ts';
import { loadOrCreateGenesis } from '../genesis.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
/** The project's own Node 22 (the `node` npm package), whatever runs this file. */
export const NODE = join(ROOT, 'node_modules/.bin/node');

// ---- files

export interface GalaxyFiles {
  seat: number;
  keyFile: string;
  db: string;
  address: string;
}

export interface DevNetworkFiles {
  genesisFile: string;
  /** the Galaxies this machine can run (their keys are here), in seat order */
  galaxies: GalaxyFiles[];
  /** Galaxies the genesis file lists (some may run elsewhere) */
  listed: number;
  genesisCreated: boolean;
  /** things a person should know (no finality, too few Galaxies for a quorum, …) */
  warnings: string[];
}

export interface PrepareOptions {
  genesisFile: string;
  faucetKeyFile: string;
  /** Galaxy key and db files go here: galaxy-<seat>.key, galaxy-<seat>.sqlite */
  dataDir: string;
  /** Galaxies for a new network; for an existing one, how many of its Galaxies to run (default: all it lists) */
  galaxies?: number;
}

export function galaxyKeyFile(dataDir: string, seat: number): string {
  return join(dataDir, `galaxy-${seat}.key`);
}

export function galaxyDb(dataDir: string, seat: number): string {
  return join(dataDir, `galaxy-${seat}.sqlite`);
}

export async function prepareDevNetwork(opts: PrepareOptions): Promise<DevNetworkFiles> {
  const warnings: string[] = [];
  let text: string | undefined;
  try {
    text = await readFile(opts.genesisFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the genesis file ${opts.genesisFile}: ${(err as Error).message}`);
  }

  if (text === undefined) {
    // a new dev network: keys first, so the genesis file can fund and list them
    const wanted = opts.galaxies ?? 1;
    const { signer: faucet } = await loadOrCreateFaucetSigner(opts.faucetKeyFile);
    const galaxies: GalaxyFiles[] = [];
    for (let seat = 0; seat < wanted; seat++) {
      const keyFile = galaxyKeyFile(opts.dataDir, seat);
      const { signer } = await loadOrCreateSigner(keyFile, 'Galaxy');
      galaxies.push({ seat, keyFile, db: galaxyDb(opts.dataDir, seat), address: addressFromPublicKey(signer.pk) });
    }
    await loadOrCreateGenesis(opts.genesisFile, addressFromPublicKey(faucet.pk), galaxies.map((g) => g.address));
    return { genesisFile: opts.genesisFile, galaxies, listed: galaxies.length, genesisCreated: true, warnings };
  }

  let listedKeys: Uint8Array[];
  try {
    listedKeys = parseGenesis(JSON.parse(text)).galaxies;
  } catch (err) {
    throw new Error(`genesis file ${opts.genesisFile} is not valid: ${(err as Error).message.replace(/^genesis file: /, '')}; fix it, or move ${dirname(opts.genesisFile)} away to start a new dev network`);
  }
  if (listedKeys.length === 0) {
    warnings.push(
      `${opts.genesisFile} lists no galaxies (it was made before finality existed), so this network runs without a Galaxy: transfers stay at "agreed", never "final". ` +
        `To get finality, stop, move ${dirname(opts.genesisFile)} away (a new dev network, new balances) and start again.`,
    );
    return { genesisFile: opts.genesisFile, galaxies: [], listed: 0, genesisCreated: false, warnings };
  }
  const galaxies: GalaxyFiles[] = [];
  for (const [seat, pk] of listedKeys.entries()) {
    const keyFile = galaxyKeyFile(opts.dataDir, seat);
    let signerPk: Uint8Array | undefined;
    try {
      // never creates a key for a listed seat: a new key would not be the listed one
      await readFile(keyFile);
      signerPk = (await loadOrCreateSigner(keyFile, 'Galaxy')).signer.pk;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (signerPk === undefined) {
      warnings.push(`Galaxy seat ${seat} (${addressFromPublicKey(pk)}) has no key at ${keyFile}: it is not started here`);
    } else if (!bytesEqual(signerPk, pk)) {
      warnings.push(`${keyFile} is not the key of Galaxy seat ${seat} in ${opts.genesisFile}: that Galaxy is not started`);
    } else {
      galaxies.push({ seat, keyFile, db: galaxyDb(opts.dataDir, seat), address: addressFromPublicKey(pk) });
    }
  }
  let run = galaxies;
  if (opts.galaxies !== undefined && opts.galaxies !== listedKeys.length) {
    warnings.push(`${opts.genesisFile} lists ${listedKeys.length} galaxies; --galaxies ${opts.galaxies} only applies to a new network (move ${dirname(opts.genesisFile)} away for one)`);
    run = galaxies.slice(0, Math.min(opts.galaxies, galaxies.length));
  }
  if (run.length < quorumSize(listedKeys.length)) {
    warnings.push(`only ${run.length} of the ${listedKeys.length} listed Galaxies run here, fewer than the ${quorumSize(listedKeys.length)} a Blackhole block needs: nothing becomes final unless the others run elsewhere`);
  }
  return { genesisFile: opts.genesisFile, galaxies: run, listed: listedKeys.length, genesisCreated: false, warnings };
}

// ---- processes

export type Output = 'capture' | 'inherit';

/** One child process that can be stopped and started again with the same arguments. */
export interface ServiceProcess {
  name: string;
  url: string;
  port: number;
  /** the running (or last) child */
  child(): ChildProcess;
  /** stops it (SIGTERM, or SIGKILL to simulate a crash) and waits for it to exit */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** starts it again, same arguments and port, and waits until it is healthy */
  restart(): Promise<void>;
  /** captured output ('capture' mode) */
  logs(): string;
  running(): boolean;
}

export interface ServiceOptions {
  name: string;
  args: string[];
  url: string;
  port: number;
  env?: Record<string, string | undefined>;
  output: Output;
  /** restart() waits for this; the default asks GET /health for 200 */
  healthy?: () => Promise<boolean>;
  healthTimeoutMs?: number;
}

export function spawnService(opts: ServiceOptions): ServiceProcess {
  let child: ChildProcess;
  let output = '';
  const launch = (): void => {
    child = spawn(NODE, opts.args, { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: opts.output === 'inherit' ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  };
  launch();
  const healthy = opts.healthy ?? (() => httpHealthy(opts.url));
  const service: ServiceProcess = {
    name: opts.name,
    url: opts.url,
    port: opts.port,
    child: () => child,
    running: () => child.exitCode === null && child.signalCode === null,
    async stop(signal = 'SIGTERM') {
      if (!service.running()) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
    async restart() {
      await service.stop();
      launch();
      await waitFor([service], healthy, opts.healthTimeoutMs ?? 60_000);
    },
    logs: () => output,
  };
  return service;
}

export async function httpHealthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Polls `ready` until true; throws with the child's output if one of `watch` exits first. */
export async function waitFor(watch: readonly ServiceProcess[], ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const s of watch) {
      if (!s.running()) {
        const c = s.child();
        const tail = s.logs().split('\n').slice(-30).join('\n');
        throw new Error(`${s.name} exited (${c.exitCode ?? c.signalCode}) while starting${tail.trim() ? `:\n${tail}` : '; its output is above'}`);
      }
    }
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const tails = watch.map((s) => `--- ${s.name}\n${s.logs().split('\n').slice(-20).join('\n')}`).join('\n');
  throw new Error(`the network was not healthy after ${Math.round(timeoutMs / 1000)} s\n${tails}`);
}

export interface LaunchOptions {
  /** relay port (must be known: the Galaxies dial it) */
  relayPort: number;
  relayHost?: string;
  /** more relay flags (files, faucet settings); --port, --host and --galaxy-url are added here */
  relayArgs?: string[];
  genesisFile: string;
  galaxies: readonly GalaxyFiles[];
  roundTimeoutMs?: number;
  env?: Record<string, string | undefined>;
  output: Output;
  startTimeoutMs?: number;
}

export interface LaunchedNetwork {
  relay: ServiceProcess;
  galaxies: ServiceProcess[];
  /** stops every process (galaxies first) and waits for them */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function launchNetwork(opts: LaunchOptions): Promise<LaunchedNetwork> {
  const host = opts.relayHost ?? '127.0.0.1';
  const relayUrl = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${opts.relayPort}`;
  const ports: number[] = [];
  for (const _ of opts.galaxies) {
    let port = await freeLoopbackPort();
    while (ports.includes(port) || port === opts.relayPort) port = await freeLoopbackPort();
    ports.push(port);
  }
  const galaxyUrls = ports.map((p) => `http://127.0.0.1:${p}`);
  const relayArgs = ['relay/main.ts', ...(opts.relayArgs ?? []), '--port', String(opts.relayPort), '--host', host];
  for (const url of galaxyUrls) relayArgs.push('--galaxy-url', url);
  const relay = spawnService({ name: 'relay', args: relayArgs, url: relayUrl, port: opts.relayPort, env: opts.env, output: opts.output });
  const galaxies = opts.galaxies.map((g, i) => {
    const args = ['relay/galaxy/main.ts', '--port', String(ports[i]), '--key-file', g.keyFile, '--db', g.db, '--genesis', opts.genesisFile, '--relay', relayUrl];
    for (const peer of galaxyUrls.filter((_, j) => j !== i)) args.push('--peers', peer);
    if (opts.roundTimeoutMs !== undefined) args.push('--round-timeout-ms', String(opts.roundTimeoutMs));
    return spawnService({ name: `galaxy ${g.seat}`, args, url: galaxyUrls[i]!, port: ports[i]!, env: opts.env, output: opts.output });
  });
  const all = [relay, ...galaxies];
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    await Promise.all(galaxies.map((g) => g.stop(signal)));
    await relay.stop(signal);
  };
  try {
    // the relay's /health is 200 once it is up and a quorum of its Galaxies are; wait for every Galaxy too
    await waitFor(all, async () => (await Promise.all(all.map((s) => httpHealthy(s.url)))).every(Boolean), opts.startTimeoutMs ?? 60_000);
  } catch (err) {
    await stop('SIGKILL');
    throw err;
  }
  return { relay, galaxies, stop };
}
