/**
 * Relay command line and environment (parsed by relay/cli-options.ts), unit-tested without
 * starting anything.
 */
import { optionsHelp, parseOptions, type CliOption, type LogLevel, type ParsedArgs } from './cli-options.ts';

export interface RelayConfig {
  host: string;
  port: number;
  keyFile: string;
  staticDir: string;
  maxReservations: number;
  maxConnections: number;
  relayDurationMs: number;
  relayDataBytes: number;
  maxTopics: number;
  genesisFile: string;
  faucetKeyFile: string;
  faucetDb: string;
  faucetAmount: number;
  faucetIntervalMs: number;
  /** the Galaxies' HTTP base URLs: served in /relay.json, and their health is part of the relay's */
  galaxyUrls: string[];
  logLevel: LogLevel;
}

const OPTIONS: Array<CliOption<keyof RelayConfig>> = [
  { flag: 'host', env: 'HOST', default: '127.0.0.1', kind: 'string', key: 'host', help: 'interface to listen on' },
  { flag: 'port', env: 'PORT', default: '8080', kind: 'port', key: 'port', help: 'port for HTTP (wallet, /star.js, /health, /metrics) and the libp2p WebSocket' },
  { flag: 'key-file', env: 'RELAY_KEY_FILE', default: '.data/relay.key', kind: 'string', key: 'keyFile', help: "the relay's libp2p private key; created on first start so the peer id survives restarts" },
  { flag: 'static-dir', env: 'STATIC_DIR', default: 'dist', kind: 'string', key: 'staticDir', help: 'built wallet, /star.js and public/ files to serve' },
  { flag: 'max-reservations', env: 'RELAY_MAX_RESERVATIONS', default: '1024', kind: 'int', key: 'maxReservations', help: 'circuit relay v2 reservations held at once (libp2p default: 15)' },
  { flag: 'max-connections', env: 'RELAY_MAX_CONNECTIONS', default: '2048', kind: 'int', key: 'maxConnections', help: 'libp2p connections held at once' },
  { flag: 'relay-duration-ms', env: 'RELAY_DURATION_MS', default: '600000', kind: 'int', key: 'relayDurationMs', help: 'life of one relayed connection (libp2p default: 120000); signalling needs seconds, a fallback path for Stars that cannot connect directly needs longer' },
  { flag: 'relay-data-bytes', env: 'RELAY_DATA_BYTES', default: String(16 * 1024 * 1024), kind: 'int', key: 'relayDataBytes', help: 'bytes one relayed connection may carry (libp2p default: 131072)' },
  { flag: 'max-topics', env: 'RELAY_MAX_TOPICS', default: '1000', kind: 'int', key: 'maxTopics', help: 'gossip topics the relay routes at once' },
  { flag: 'genesis', env: 'GENESIS_FILE', default: '.data/genesis.json', kind: 'string', key: 'genesisFile', help: "the network's starting balances, served at /genesis.json; created on first start as a dev network that funds the faucet" },
  { flag: 'faucet-key-file', env: 'FAUCET_KEY_FILE', default: '.data/faucet.key', kind: 'string', key: 'faucetKeyFile', help: "the dev faucet account's Ed25519 key (PKCS#8); created on first start (mode 0600)" },
  { flag: 'faucet-db', env: 'FAUCET_DB', default: '.data/faucet.sqlite', kind: 'string', key: 'faucetDb', help: "the faucet's own account chain (SQLite); keep it with the key file and the genesis file, or the faucet forks its chain" },
  { flag: 'faucet-amount', env: 'FAUCET_AMOUNT', default: '1000', kind: 'int', key: 'faucetAmount', help: 'what POST /faucet pays one account' },
  { flag: 'faucet-interval-ms', env: 'FAUCET_INTERVAL_MS', default: '60000', kind: 'int', key: 'faucetIntervalMs', help: 'one faucet payout per account per this many milliseconds' },
  { flag: 'galaxy-url', env: 'GALAXY_URLS', default: '', kind: 'urls', key: 'galaxyUrls', help: "a Galaxy's HTTP URL (repeat the flag, or separate with commas); Stars find the Galaxies in /relay.json, and /health waits for a quorum of them" },
  { flag: 'log-level', env: 'LOG_LEVEL', default: 'info', kind: 'level', key: 'logLevel', help: 'trace | debug | info | warn | error | fatal | silent' },
];

export type ParsedRelayArgs = ParsedArgs<RelayConfig>;

export function relayHelp(): string {
  return optionsHelp(['Starweave relay: bootstrap, circuit relay v2 and gossip router for browser Stars; serves the wallet.', '', 'Usage: node relay/main.ts [options]'], OPTIONS);
}

export function parseRelayArgs(argv: string[], env: Record<string, string | undefined>): ParsedRelayArgs {
  return parseOptions<RelayConfig>(argv, env, OPTIONS, relayHelp);
}
