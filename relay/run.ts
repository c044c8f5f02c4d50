/**
 * The relay process (started by `relay/main.ts`). Brings up the dev faucet (key, genesis
 * file, its chain), the libp2p relay node and the public HTTP server, and stops them
 * cleanly on SIGINT/SIGTERM. A genesis file or faucet db that is there but wrong stops the
 * relay with a message naming the file; a faucet that genesis does not fund is only disabled.
 */
import { resolve } from 'node:path';
import { parseRelayArgs } from './config.ts';
import { setUpFaucet, type FaucetSetup } from './faucet-setup.ts';
import { createRelayGossipJudge } from './gossip-judge.ts';
import { createHttpServer } from './http.ts';
import { loadOrCreateKey } from './identity.ts';
import { createLogger } from './log.ts';
import { createRelayMetrics } from './metrics.ts';
import { freeLoopbackPort } from './free-port.ts';
import { GalaxyHealth } from './galaxy-health.ts';
import { createRelayNode, publishChainBlocks } from './node.ts';

const parsed = parseRelayArgs(process.argv.slice(2), process.env);
if (parsed.kind === 'help') {
  console.log(parsed.text);
  process.exit(0);
}
if (parsed.kind === 'error') {
  console.error(`relay: ${parsed.message}`);
  process.exit(2);
}
const config = parsed.config;
const log = createLogger(config.logLevel);
const metrics = createRelayMetrics();

let chain: FaucetSetup;
try {
  chain = await setUpFaucet(config, Date.now());
} catch (err) {
  log.fatal({ err: (err as Error).message }, 'relay cannot start');
  console.error(`relay: ${(err as Error).message}`);
  process.exit(1);
}
const { faucet, genesis } = chain;
const faucetInfo = { address: faucet.address, network: genesis.network, genesisFile: resolve(config.genesisFile), genesisCreated: genesis.created, keyCreated: chain.keyCreated };
if (faucet.enabled) log.info({ ...faucetInfo, seq: faucet.seq, balance: faucet.balance, amount: faucet.amount, intervalMs: faucet.intervalMs }, 'faucet ready');
else log.warn({ ...faucetInfo, reason: faucet.disabledReason }, 'faucet disabled: POST /faucet answers 503');

const { key, created } = await loadOrCreateKey(resolve(config.keyFile));
// libp2p reports only the announced (public) address once `announce` is set, so the
// internal listener's port is chosen here rather than by libp2p
const internalPort = await freeLoopbackPort();
const node = await createRelayNode(config, key, log, metrics, internalPort, { judge: createRelayGossipJudge({ galaxies: genesis.galaxies }), sync: faucet });
const galaxies = new GalaxyHealth(config.galaxyUrls);
galaxies.start();
if (config.galaxyUrls.length > 0 && genesis.galaxies.length === 0) {
  log.warn({ galaxyUrls: config.galaxyUrls, genesisFile: faucetInfo.genesisFile }, 'Galaxies configured but the genesis file lists none: Stars will not accept their blocks');
}

let listening = false;
const http = createHttpServer({
  staticDir: resolve(config.staticDir),
  log,
  metrics,
  wsPort: () => internalPort,
  peerId: node.peerId.toString(),
  galaxies: config.galaxyUrls,
  // with Galaxies configured, the network is only up (finalising) with a quorum of them
  health: () => {
    const up = listening && node.status === 'started';
    return {
      ok: up && galaxies.ok(),
      detail: {
        relay: { peerId: node.peerId.toString(), connections: node.getConnections().length, reservations: node.services.relay.reservations.size, up },
        galaxies: galaxies.detail(),
      },
    };
  },
  genesis: genesis.file,
  payFaucet: async (address, now) => {
    const payout = await faucet.pay(address, now);
    log.info({ to: address, seq: payout.seq, id: payout.id }, 'faucet paid');
    void publishChainBlocks(node, [payout.bytes], log);
    return payout;
  },
});

http.on('error', (err: NodeJS.ErrnoException) => {
  log.fatal({ err: err.message, host: config.host, port: config.port }, err.code === 'EADDRINUSE'
    ? `port ${config.port} is in use: stop the other process or start with PORT=<free port>`
    : 'HTTP server failed');
  process.exit(1);
});
http.listen(config.port, config.host, () => {
  listening = true;
  const addr = http.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `http://${config.host}:${port}/`;
  log.info({ peerId: node.peerId.toString(), keyCreated: created, url, port }, 'relay up');
  // the one line a person starting the network looks for; with Galaxies, `npm start` prints
  // it once they are up too (scripts/start.ts)
  if (config.galaxyUrls.length === 0) process.stderr.write(`\nStarweave is up: open ${url} (wallet), ${url}demo.html (demo dApp); health at ${url}health\n\n`);
  else process.stderr.write(`\nrelay listening at ${url}; /health answers 200 once ${galaxies.detail().quorum} of its ${config.galaxyUrls.length} Galaxies are up\n`);
});

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'relay stopping');
  galaxies.stop();
  http.close();
  http.closeAllConnections();
  await node.stop();
  chain.store.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
