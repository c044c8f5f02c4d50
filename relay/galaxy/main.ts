/**
 * Galaxy entry point: `node relay/galaxy/main.ts [--help]`. Loads its key, the genesis file
 * (its seat is its key's place in `galaxies`) and its stored chain, joins the relay's
 * gossip, agrees on Blackhole blocks with the other Galaxies, and serves its HTTP API.
 * Stops cleanly on SIGINT/SIGTERM; a file that is there but wrong stops it with a message
 * naming the file and what to do.
 */
import { checkClusterPolicy, type ClusterPolicy } from '../../shared/finality/clusters.ts';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { addressFromPublicKey } from '../../shared/chain/address.ts';
import { parseGenesis, type ParsedGenesis } from '../../shared/chain/genesis.ts';
import { bytesEqual } from '../../shared/codec/cbor.ts';
import { GalaxyCore } from '../../shared/finality/galaxy-core.ts';
import { loadOrCreateSigner } from '../faucet-key.ts';
import { createLogger } from '../log.ts';
import { parseGalaxyArgs } from './config.ts';
import { decodeStoredRows, GalaxyDriver, nobleVerify } from './driver.ts';
import { createGalaxyHttpServer } from './http.ts';
import { createGalaxyMetrics } from './metrics.ts';
import { GalaxyNetwork } from './node.ts';
import { GalaxyStore } from './store.ts';

const parsed = parseGalaxyArgs(process.argv.slice(2), process.env);
if (parsed.kind === 'help') {
  console.log(parsed.text);
  process.exit(0);
}
if (parsed.kind === 'error') {
  console.error(`galaxy: ${parsed.message}`);
  process.exit(2);
}
const config = parsed.config;
const log = createLogger(config.logLevel, 'galaxy');

function fail(message: string): never {
  log.fatal({ err: message }, 'Galaxy cannot start');
  console.error(`galaxy: ${message}`);
  process.exit(1);
}

async function loadGenesis(path: string): Promise<ParsedGenesis> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? `no genesis file at ${path}: start the network with \`npm start\` (it writes one listing its Galaxies), or pass --genesis` : `cannot read the genesis file ${path}: ${(err as Error).message}`);
  }
  try {
    return parseGenesis(JSON.parse(text));
  } catch (err) {
    throw new Error(`genesis file ${path} is not valid: ${(err as Error).message.replace(/^genesis file: /, '')}`);
  }
}

const genesisFile = resolve(config.genesisFile);
let genesis: ParsedGenesis;
let signer: Awaited<ReturnType<typeof loadOrCreateSigner>>['signer'];
let keyCreated: boolean;
try {
  ({ signer, created: keyCreated } = await loadOrCreateSigner(resolve(config.keyFile), 'Galaxy', 'Restore the right file: the genesis file lists this Galaxy by its key.'));
  genesis = await loadGenesis(genesisFile);
} catch (err) {
  fail((err as Error).message);
}
const address = addressFromPublicKey(signer.pk);
const me = genesis.galaxies.findIndex((pk) => bytesEqual(pk, signer.pk));
if (me === -1) {
  fail(
    genesis.galaxies.length === 0
      ? `the genesis file ${genesisFile} lists no galaxies, so its network has no finality; for a dev network with a Galaxy, move .data away and run \`npm start\``
      : `this Galaxy's key (${resolve(config.keyFile)}, address ${address}) is not among the ${genesis.galaxies.length} galaxies of ${genesisFile}: use the key file of a listed Galaxy (--key-file), or add ${address} to "galaxies" for a new network`,
  );
}

let clusterPolicy: ClusterPolicy;
try {
  clusterPolicy = checkClusterPolicy({ splitAbove: config.splitAbove, mergeBelow: config.mergeBelow, splitAboveEntries: config.splitAboveEntries });
} catch (err) {
  fail(`${(err as Error).message.replace(/^cluster policy/, 'the cluster flags')}: raise --split-above or lower --merge-below`);
}

let store: GalaxyStore;
let core: GalaxyCore;
try {
  store = await GalaxyStore.open(resolve(config.db));
} catch (err) {
  fail((err as Error).message);
}
try {
  const stored = decodeStoredRows(store.all(), store.path);
  core = new GalaxyCore(
    { network: genesis.network, galaxies: genesis.galaxies, me, balances: genesis.balances, verify: nobleVerify, roundTimeoutMs: config.roundTimeoutMs, clusterPolicy },
    stored,
  );
} catch (err) {
  store.close();
  fail(`the chain in ${store.path} does not load on ${genesisFile}: ${(err as Error).message}. If the db belongs to another network, move it away (the Galaxy then catches up from --peers)`);
}

const metrics = createGalaxyMetrics();
let listening = false;
let network: GalaxyNetwork | undefined;
const driver = new GalaxyDriver({
  core,
  signer,
  galaxies: genesis.galaxies,
  me,
  store,
  publish: (topic, data) => network?.publish(topic, data) ?? Promise.resolve(),
  log,
  metrics,
  peers: config.peers,
  onFatal: (err) => {
    log.fatal({ err: err.message }, 'Galaxy stopping: its chain cannot be stored');
    console.error(`galaxy: ${err.message}`);
    void stop('fatal', 1);
  },
  onTopics: (handlers) => network?.follow(handlers),
});
network = await GalaxyNetwork.create({ relayUrl: config.relayUrl, log, handlers: driver.handlers(), onPeers: (n) => metrics.peers.set(n) });

const http = createGalaxyHttpServer({
  view: driver.view(),
  log,
  metrics,
  health: () => {
    const relay = network?.relayConnected() ?? false;
    return {
      ok: listening && relay,
      detail: { galaxy: { seat: me, galaxies: genesis.galaxies.length, address, network: genesis.network, height: core.height, relay: relay ? 'connected' : 'connecting', peers: network?.connections() ?? 0 } },
    };
  },
});
http.on('error', (err: NodeJS.ErrnoException) => {
  fail(err.code === 'EADDRINUSE' ? `port ${config.port} is in use: stop the other process or start with --port <free port>` : `HTTP server failed: ${err.message}`);
});
http.listen(config.port, config.host, () => {
  listening = true;
  const addr = http.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  log.info(
    { url: `http://${config.host}:${port}/`, port, seat: me, galaxies: genesis.galaxies.length, address, keyCreated, height: core.height, db: store.path, relay: config.relayUrl, peers: config.peers },
    'Galaxy up',
  );
});
network.start();
driver.start();
// a restarted Galaxy first asks its peers what it missed
if (config.peers.length > 0) driver.catchUp();

/** how long a clean stop may take before the process exits anyway */
const STOP_DEADLINE_MS = 5_000;
let stopping = false;
async function stop(signal: string, code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal, height: core.height }, 'Galaxy stopping');
  // stopping libp2p can hang while it still dials a relay that is gone: the chain is in
  // SQLite already (every block is stored before it is published), so exit regardless
  setTimeout(() => {
    log.warn({ signal }, 'Galaxy did not stop within 5 s; exiting anyway');
    store.close();
    process.exit(code);
  }, STOP_DEADLINE_MS).unref();
  http.close();
  http.closeAllConnections();
  await driver.stop();
  await network?.stop();
  store.close();
  process.exit(code);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
