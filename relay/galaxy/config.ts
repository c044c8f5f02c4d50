/**
 * Galaxy command line and environment. Pure: argv and env in, a config (or help text, or a
 * clear error) out, so it is unit-tested without starting anything.
 * A flag wins over its environment variable, which wins over the default.
 *
 * The variables are GALAXY_-prefixed (not HOST/PORT as the relay's) so that `npm start`,
 * which passes one environment to the relay and every Galaxy, cannot give them one port.
 */
import { optionsHelp, parseOptions, type CliOption, type LogLevel, type ParsedArgs } from '../cli-options.ts';

export interface GalaxyConfig {
  host: string;
  port: number;
  keyFile: string;
  db: string;
  genesisFile: string;
  relayUrl: string;
  /** other Galaxies' HTTP base URLs, to catch up from */
  peers: string[];
  roundTimeoutMs: number;
  /** the cluster policy (shared/finality/clusters.ts); every Galaxy of a network must use the same */
  splitAbove: number;
  mergeBelow: number;
  splitAboveEntries: number;
  logLevel: LogLevel;
}

const OPTIONS: Array<CliOption<keyof GalaxyConfig>> = [
  { flag: 'host', env: 'GALAXY_HOST', default: '127.0.0.1', kind: 'string', key: 'host', help: 'interface the HTTP API listens on' },
  { flag: 'port', env: 'GALAXY_PORT', default: '8090', kind: 'port', key: 'port', help: 'port of the HTTP API (/health, /metrics, /head, /block/:h, /blocks, /account/:a, /proof/:hash)' },
  { flag: 'key-file', env: 'GALAXY_KEY_FILE', default: '.data/galaxy-0.key', kind: 'string', key: 'keyFile', help: "this Galaxy's Ed25519 key (PKCS#8); created on first start (mode 0600); its address must be in the genesis file's galaxies" },
  { flag: 'db', env: 'GALAXY_DB', default: '.data/galaxy-0.sqlite', kind: 'string', key: 'db', help: "this Galaxy's Blackhole chain (SQLite); one file per Galaxy" },
  { flag: 'genesis', env: 'GENESIS_FILE', default: '.data/genesis.json', kind: 'string', key: 'genesisFile', help: "the network's genesis file (network, allocations, galaxies in seat order)" },
  { flag: 'relay', env: 'GALAXY_RELAY_URL', default: 'http://127.0.0.1:8080', kind: 'url', key: 'relayUrl', help: "the relay's HTTP URL; the Galaxy reads /relay.json and joins its gossip over WebSockets" },
  { flag: 'peers', env: 'GALAXY_PEERS', default: '', kind: 'urls', key: 'peers', help: "other Galaxies' HTTP URLs (repeat the flag or separate with commas), to catch up from after a restart" },
  { flag: 'round-timeout-ms', env: 'GALAXY_ROUND_TIMEOUT_MS', default: '5000', kind: 'ms', key: 'roundTimeoutMs', help: 'propose an empty block when a round has no checkpoint after this long' },
  { flag: 'split-above', env: 'GALAXY_SPLIT_ABOVE', default: '64', kind: 'int', key: 'splitAbove', help: 'a cluster with more Stars than this splits (every Galaxy of a network must use the same cluster flags)' },
  { flag: 'merge-below', env: 'GALAXY_MERGE_BELOW', default: '16', kind: 'int', key: 'mergeBelow', help: 'clusters merge while one fewer would average under this many Stars (at most a third of --split-above)' },
  { flag: 'split-above-entries', env: 'GALAXY_SPLIT_ABOVE_ENTRIES', default: '1024', kind: 'int', key: 'splitAboveEntries', help: 'a checkpoint covering more half-blocks than this splits its cluster' },
  { flag: 'log-level', env: 'LOG_LEVEL', default: 'info', kind: 'level', key: 'logLevel', help: 'trace | debug | info | warn | error | fatal | silent' },
];

export type ParsedGalaxyArgs = ParsedArgs<GalaxyConfig>;

export function galaxyHelp(): string {
  return optionsHelp(['Starweave Galaxy: orders cluster checkpoints into the Blackhole chain with the other Galaxies, keeps it, serves it.', '', 'Usage: node relay/galaxy/main.ts [options]'], OPTIONS);
}

export function parseGalaxyArgs(argv: string[], env: Record<string, string | undefined>): ParsedGalaxyArgs {
  return parseOptions<GalaxyConfig>(argv, env, OPTIONS, galaxyHelp);
}
