/**
 * The command-line options of the relay and the Galaxy, declared as tables and parsed by one
 * function. Pure: argv and env in, a config (or help text, or a clear error) out.
 * A flag wins over its environment variable, which wins over the default; every error
 * names where the bad value came from (`--flag`, the variable, or the default).
 */
import { parseArgs } from 'node:util';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * string: non-empty text; int: a whole number ≥ 1; port: 0–65535; ms: 1 ms to 1 h;
 * level: a pino level; url: an http(s) base URL; urls: a list of them (flag repeated or
 * comma-separated), deduplicated.
 */
export type OptionKind = 'string' | 'int' | 'port' | 'ms' | 'level' | 'url' | 'urls';

export interface CliOption<K extends string> {
  flag: string;
  env: string;
  default: string;
  help: string;
  kind: OptionKind;
  key: K;
}

export type ParsedArgs<C> = { kind: 'config'; config: C } | { kind: 'help'; text: string } | { kind: 'error'; message: string };

/** The help text: the intro lines, then each flag with its variable and default. */
export function optionsHelp(intro: readonly string[], options: ReadonlyArray<CliOption<string>>): string {
  const lines = [...intro, ''];
  for (const o of options) {
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

const NUMBER_RANGES: Partial<Record<OptionKind, [number, number]>> = {
  int: [1, Number.MAX_SAFE_INTEGER],
  port: [0, 65535],
  ms: [1, 3_600_000],
};

export function parseOptions<C>(argv: string[], env: Record<string, string | undefined>, options: ReadonlyArray<CliOption<string>>, help: () => string): ParsedArgs<C> {
  const spec: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { help: { type: 'boolean' } };
  for (const o of options) spec[o.flag] = o.kind === 'urls' ? { type: 'string', multiple: true } : { type: 'string' };
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false }));
  } catch (err) {
    return { kind: 'error', message: `${(err as Error).message}\nRun with --help to see the options.` };
  }
  if (values.help === true) return { kind: 'help', text: help() };
  const config: Record<string, unknown> = {};
  for (const o of options) {
    const flagValue = values[o.flag] as string | string[] | undefined;
    const raw = flagValue !== undefined ? [flagValue].flat().join(',') : (env[o.env] ?? o.default);
    const source = flagValue !== undefined ? `--${o.flag}` : env[o.env] !== undefined ? o.env : 'default';
    const range = NUMBER_RANGES[o.kind];
    if (range) {
      const [min, max] = range;
      const n = Number(raw);
      if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
        const want = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
        return { kind: 'error', message: `${source}=${raw} is not a valid ${o.flag}: use a whole number ${want}` };
      }
      config[o.key] = n;
    } else if (o.kind === 'level') {
      if (!(LOG_LEVELS as readonly string[]).includes(raw)) return { kind: 'error', message: `${source}=${raw} is not a log level: use one of ${LOG_LEVELS.join(', ')}` };
      config[o.key] = raw;
    } else if (o.kind === 'url' || o.kind === 'urls') {
      const urls: string[] = [];
      const parts = o.kind === 'url' ? [raw] : raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
      for (const part of parts) {
        const url = normaliseUrl(part);
        if (typeof url !== 'string') return { kind: 'error', message: `${source}: ${url.error}` };
        if (!urls.includes(url)) urls.push(url);
      }
      config[o.key] = o.kind === 'url' ? urls[0] : urls;
    } else {
      if (raw.trim() === '') return { kind: 'error', message: `${source} is empty` };
      config[o.key] = raw;
    }
  }
  return { kind: 'config', config: config as C };
}
