/** Structured JSON logs (pino): one line per event, machine-readable, with a component name. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'relay'): Logger {
  return pino({ name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
