/**
 * Relay command line and environment. Pure: argv and env in, a config (or help text, or a
 * clear error) out, so it is unit-tested without starting anything.
 * A flag wins over its environment variable, which wins over the default.
 */
import { parseArgs } from 'node:util';

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
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
}

interface Option {
  flag: string;
  env: string;
  default: string;
  help: string;
  kind: 'string' | 'int' | 'level' | 'urls';
  key: keyof RelayConfig;
}

const OPTIONS: Option[] = [
  { flag: 'host', env: 'HOST', default: '127.0.0.1', kind: 'string', key: 'host', help: 'interface to listen on' },
  { flag: 'port', env: 'PORT', default: '8080', kind: 'int', key: 'port', help: 'port for HTTP (wallet, /star.js, /health, /metrics) and the libp2p WebSocket' },
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

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export type ParsedRelayArgs = { kind: 'config'; config: RelayConfig } | { kind: 'help'; text: string } | { kind: 'error'; message: string };

export function relayHelp(): string {
  const lines = [
    'Starweave relay: bootstrap, circuit relay v2 and gossip router for browser Stars; serves the wallet.',
    '',
    'Usage: node relay/main.ts [options]',
    '',
  ];
  for (const o of OPTIONS) {
    lines.push(`  --${o.flag.padEnd(20)} ${o.help}`);
    lines.push(`  ${''.padEnd(22)} env ${o.env}, default ${o.default === '' ? '(none)' : o.default}`);
  }
  lines.push('  --help                 print this help');
  return lines.join('\n');
}

export function parseRelayArgs(argv: string[], env: Record<string, string | undefined>): ParsedRelayArgs {
  const spec: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { help: { type: 'boolean' } };
  for (const o of OPTIONS) spec[o.flag] = o.kind === 'urls' ? { type: 'string', multiple: true } : { type: 'string' };
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false }));
  } catch (err) {
    return { kind: 'error', message: `${(err as Error).message}\nRun with --help to see the options.` };
  }
  if (values.help === true) return { kind: 'help', text: relayHelp() };
  const config: Record<string, string | number | string[]> = {};
  for (const o of OPTIONS) {
    const flagValue = values[o.flag] as string | string[] | undefined;
    const raw = flagValue !== undefined ? [flagValue].flat().join(',') : (env[o.env] ?? o.default);
    const source = flagValue !== undefined ? `--${o.flag}` : env[o.env] !== undefined ? o.env : 'default';
    if (o.kind === 'urls') {
      const urls: string[] = [];
      for (const part of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
        let url: URL;
        try {
          url = new URL(part);
        } catch {
          return { kind: 'error', message: `${source}: "${part}" is not a URL: use http://host:port` };
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:') return { kind: 'error', message: `${source}: "${part}" is not an http(s) URL` };
        const normal = url.origin + url.pathname.replace(/\/+$/, '');
        if (!urls.includes(normal)) urls.push(normal);
      }
      config[o.key] = urls;
    } else if (o.kind === 'int') {
      const n = Number(raw);
      if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < (o.key === 'port' ? 0 : 1)) {
        return { kind: 'error', message: `${source}=${raw} is not a valid ${o.flag}: use a whole number${o.key === 'port' ? ' from 0 to 65535' : ' of at least 1'}` };
      }
      if (o.key === 'port' && n > 65535) return { kind: 'error', message: `${source}=${raw} is not a valid port: use 0 to 65535` };
      config[o.key] = n;
    } else if (o.kind === 'level') {
      if (!LEVELS.includes(raw)) return { kind: 'error', message: `${source}=${raw} is not a log level: use one of ${LEVELS.join(', ')}` };
      config[o.key] = raw;
    } else {
      if (raw.trim() === '') return { kind: 'error', message: `${source} is empty` };
      config[o.key] = raw;
    }
  }
  return { kind: 'config', config: config as unknown as RelayConfig };
}
