/**
 * `npm start`: the dev network on this machine: the relay (wallet, /star.js, demo dApp,
 * gossip hub, faucet) and the Galaxies (one by default) as separate Node processes.
 *
 *   node scripts/start.ts [--galaxies N] [--round-timeout-ms MS] [relay options…]
 *
 * Every other option goes to the relay (`node relay/main.ts --help`); PORT, HOST and the
 * relay's other variables work as before. The first start writes `.data/`: the faucet key,
 * the Galaxy keys (galaxy-<seat>.key) and a genesis file that funds the faucet and lists the
 * Galaxies. Ctrl-C stops everything; a process that dies stops the rest.
 */
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseRelayArgs } from '../relay/config.ts';
import { freeLoopbackPort } from '../relay/free-port.ts';
import { launchNetwork, prepareDevNetwork, type LaunchedNetwork } from '../relay/galaxy/launch.ts';

const HELP = `Starweave dev network: the relay and its Galaxies.

Usage: npm start -- [--galaxies N] [--round-timeout-ms MS] [relay options]

  --galaxies N           Galaxies of a new dev network (default 1; an existing .data/genesis.json keeps its own)
  --round-timeout-ms MS  a round without checkpoints ends with an empty Blackhole block after this long (default 5000)
  --help                 this help; relay options: node relay/main.ts --help`;

function die(message: string, code = 1): never {
  process.stderr.write(`\nstart: ${message}\n`);
  process.exit(code);
}

const { values, tokens } = (() => {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      options: { galaxies: { type: 'string' }, 'round-timeout-ms': { type: 'string' }, help: { type: 'boolean' } },
      strict: false,
      allowPositionals: true,
      tokens: true,
    });
  } catch (err) {
    return die((err as Error).message, 2);
  }
})();
if (values.help === true) {
  console.log(HELP);
  process.exit(0);
}
const whole = (name: string, raw: unknown, min: number): number | undefined => {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) < min) die(`--${name} ${String(raw)}: use a whole number of at least ${min}`, 2);
  return Number(raw);
};
const galaxyCount = whole('galaxies', values.galaxies, 0);
const roundTimeoutMs = whole('round-timeout-ms', values['round-timeout-ms'], 1);

// everything this script does not know goes to the relay, as given
const own = new Set(['galaxies', 'round-timeout-ms', 'help']);
const relayArgs: string[] = [];
for (const t of tokens ?? []) {
  if (t.kind === 'option' && own.has(t.name)) continue;
  if (t.kind === 'option') {
    relayArgs.push(t.rawName);
    if (t.value !== undefined) relayArgs.push(t.value);
  } else if (t.kind === 'positional') relayArgs.push(t.value);
}
const relayParsed = parseRelayArgs(relayArgs, process.env);
if (relayParsed.kind === 'help') {
  console.log(`${HELP}\n\n${relayParsed.text}`);
  process.exit(0);
}
if (relayParsed.kind === 'error') die(relayParsed.message, 2);
const relay = relayParsed.config;
const genesisFile = resolve(relay.genesisFile);

let files;
try {
  files = await prepareDevNetwork({ genesisFile, faucetKeyFile: resolve(relay.faucetKeyFile), dataDir: dirname(genesisFile), galaxies: galaxyCount });
} catch (err) {
  die((err as Error).message);
}
for (const w of files.warnings) process.stderr.write(`\nstart: warning: ${w}\n`);
if (files.genesisCreated) process.stderr.write(`\nstart: new dev network in ${dirname(genesisFile)} with ${files.galaxies.length} Galax${files.galaxies.length === 1 ? 'y' : 'ies'}\n`);

// the Galaxies dial the relay, so its port must be known before it listens
const relayPort = relay.port === 0 ? await freeLoopbackPort() : relay.port;

let network: LaunchedNetwork;
try {
  network = await launchNetwork({ relayPort, relayHost: relay.host, relayArgs, genesisFile, galaxies: files.galaxies, roundTimeoutMs, output: 'inherit' });
} catch (err) {
  die(`${(err as Error).message}\nnothing is running now; fix the problem above and start again`);
}

const shown = relay.host === '0.0.0.0' || relay.host === '::' ? '127.0.0.1' : relay.host;
// without Galaxies the relay printed the "Starweave is up" line itself
const lines = network.galaxies.length === 0 ? ['no Galaxy: transfers do not become final on this network'] : [`Starweave is up: open http://${shown}:${relayPort}/ (wallet, /star.js, /demo.html; health at /health)`];
for (const [i, g] of network.galaxies.entries()) lines.push(`  Galaxy ${files.galaxies[i]!.seat}: ${g.url}/head (API: /block/:height, /blocks, /account/:address, /proof/:hash, /metrics)`);
process.stderr.write(`\n${lines.join('\n')}\n\n`);

let stopping = false;
async function stopAll(why: string, code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    process.stderr.write(`\nstart: ${why}; stopping the network\n`);
    await network.stop('SIGTERM');
  }
  process.exit(code);
}
process.on('SIGINT', () => void stopAll('SIGINT', 0));
process.on('SIGTERM', () => void stopAll('SIGTERM', 0));
for (const s of [network.relay, ...network.galaxies]) {
  s.child().once('exit', (code, signal) => {
    if (!stopping) void stopAll(`${s.name} exited (${code ?? signal})`, 1);
  });
}
