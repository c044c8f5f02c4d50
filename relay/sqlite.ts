/**
 * `node:sqlite`, loaded once, without its one-time "SQLite is an experimental feature"
 * warning (a stray stderr line in every relay and Galaxy start); every other warning is
 * still printed. The faucet's chain and the Galaxy's Blackhole chain both open it here.
 */
type SqliteModule = typeof import('node:sqlite');

let sqlite: Promise<SqliteModule> | undefined;

export function loadSqlite(): Promise<SqliteModule> {
  sqlite ??= (async () => {
    const emit = process.emitWarning;
    process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
      if (String(typeof warning === 'string' ? warning : warning.message).startsWith('SQLite is an experimental feature')) return;
      (emit as (...args: unknown[]) => void).call(this, warning, ...rest);
    } as typeof process.emitWarning;
    try {
      return await import('node:sqlite');
    } finally {
      process.emitWarning = emit;
    }
  })();
  return sqlite;
}
