/**
 * Galaxy command line and environment. Pure: argv and env in, a config (or help text, or a
 * clear error) out, so it is unit-tested without starting anything.
 * A flag wins over its environment variable, which wins over the default.
 *
 * The variables are GALAXY_-prefixed (not HOST/PORT as the relay's) so that `npm start`,
 * which passes one environment to the relay and every Galaxy, cannot give them one port.
 */
import { parseArgs } from 'node:util';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

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
  logLevel: LogLevel;
}

interface Option {
  flag: string;
  env: string;
  default: string;
  help: string;
  kind: 'string' | 'port' | 'ms' | 'level' | 'url' | 'urls';
  key: keyof GalaxyConfig;
}

const OPTIONS: Option[] = [
  { flag: 'host', env: 'GALAXY_HOST', default: '127.0.0.1', kind: 'string', key: 'host', help: 'interface the HTTP API listens on' },
  { flag: 'port', env: 'GALAXY_PORT', default: '8090', kind: 'port', key: 'port', help: 'port of the HTTP API (/health, /metrics, /head, /block/:h, /blocks, /account/:a, /proof/:hash)' },
  { flag: 'key-file', env: 'GALAXY_KEY_FILE', default: '.data/galaxy-0.key', kind: 'string', key: 'keyFile', help: "this Galaxy's Ed25519 key (PKCS#8); created on first start (mode 0600); its address must be in the genesis file's galaxies" },
  { flag: 'db', env: 'GALAXY_DB', default: '.data/galaxy-0.sqlite', kind: 'string', key: 'db', help: "this Galaxy's Blackhole chain (SQLite); one file per Galaxy" },
  { flag: 'genesis', env: 'GENESIS_FILE', default: '.data/genesis.json', kind: 'string', key: 'genesisFile', help: "the network's genesis file (network, allocations, galaxies in seat order)" },
  { flag: 'relay', env: 'GALAXY_RELAY_URL', default: 'http://127.0.0.1:8080', kind: 'url', key: 'relayUrl', help: "the relay's HTTP URL; the Galaxy reads /relay.json and joins its gossip over WebSockets" },
  { flag: 'peers', env: 'GALAXY_PEERS', default: '', kind: 'urls', key: 'peers', help: "other Galaxies' HTTP URLs (repeat the flag or separate with commas), to catch up from after a restart" },
  { flag: 'round-timeout-ms', env: 'GALAXY_ROUND_TIMEOUT_MS', default: '5000', kind: 'ms', key: 'roundTimeoutMs', help: 'propose an empty block when a round has no checkpoint after this long' },
  { flag: 'log-level', env: 'LOG_LEVEL', default: 'info', kind: 'level', key: 'logLevel', help: 'trace | debug | info | warn | error | fatal | silent' },
];

const LEVELS: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export type ParsedGalaxyArgs = { kind: 'config'; config: GalaxyConfig } | { kind: 'help'; text: string } | { kind: 'error'; message: string };

export function galaxyHelp(): string {
  const lines = [
    'Starweave Galaxy: orders cluster checkpoints into the Blackhole chain with the other Galaxies, keeps it, serves it.',
    '',
    'Usage: node relay/galaxy/main.ts [options]',
    '',
  ];
  for (const o of OPTIONS) {
    lines.push(`  --${o.flag.padEnd(20)} ${o.help}`);
    lines.push(`  ${''.padEnd(22)} env ${o.env}, default ${o.default === '' ? '(none)' : o.default}`);
  }
  lines.push('  --help                 print this help');
  return lines.join('\n');
}

/** An http(s) base URL without a trailing slash, or an error message. */
export function normaliseUrl(raw: string): string | { error: string } {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { error: `"${raw}" is not a URL: use http://host:port` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: `"${raw}" is not an http(s) URL` };
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export function parseGalaxyArgs(argv: string[], env: Record<string, string | undefined>): ParsedGalaxyArgs {
  const spec: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { help: { type: 'boolean' } };
  for (const o of OPTIONS) spec[o.flag] = o.kind === 'urls' ? { type: 'string', multiple: true } : { type: 'string' };
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false }));
  } catch (err) {
    return { kind: 'error', message: `${(err as Error).message}\nRun with --help to see the options.` };
  }
  if (values.help === true) return { kind: 'help', text: galaxyHelp() };
  const config: Record<string, unknown> = {};
  for (const o of OPTIONS) {
    const flagValue = values[o.flag] as string | string[] | undefined;
    const raw = flagValue !== undefined ? [flagValue].flat().join(',') : (env[o.env] ?? o.default);
    const source = flagValue !== undefined ? `--${o.flag}` : env[o.env] !== undefined ? o.env : 'default';
    switch (o.kind) {
      case 'port':
      case 'ms': {
        const n = Number(raw);
        const max = o.kind === 'port' ? 65535 : 3_600_000;
        const min = o.kind === 'port' ? 0 : 1;
        if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
          return { kind: 'error', message: `${source}=${raw} is not a valid ${o.flag}: use a whole number from ${min} to ${max}` };
        }
        config[o.key] = n;
        break;
      }
      case 'level':
        if (!LEVELS.includes(raw)) return { kind: 'error', message: `${source}=${raw} is not a log level: use one of ${LEVELS.join(', ')}` };
        config[o.key] = raw;
        break;
      case 'url': {
        const url = normaliseUrl(raw);
        if (typeof url !== 'string') return { kind: 'error', message: `${source}: ${url.error}` };
        config[o.key] = url;
        break;
      }
      case 'urls': {
        const urls: string[] = [];
        for (const part of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
          const url = normaliseUrl(part);
          if (typeof url !== 'string') return { kind: 'error', message: `${source}: ${url.error}` };
          if (!urls.includes(url)) urls.push(url);
        }
        config[o.key] = urls;
        break;
      }
      default:
        if (raw.trim() === '') return { kind: 'error', message: `${source} is empty` };
        config[o.key] = raw;
    }
  }
  return { kind: 'config', config: config as unknown as GalaxyConfig };
}
