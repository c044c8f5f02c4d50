/**
 * Runs the real relay (`node relay/main.ts`) as a child process for a test or benchmark:
 * a free port, its own key file, and helpers to stop and restart it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freeLoopbackPort } from '../../../relay/free-port.ts';

const root = resolve(import.meta.dirname, '../../..');
/** The project's own Node 22 (the `node` npm package), whatever runs this file. */
const NODE = join(root, 'node_modules/.bin/node');

export interface RelayProcess {
  url: string;
  port: number;
  keyFile: string;
  /** stops the process (SIGTERM, or SIGKILL to simulate a crash) and waits for it to exit */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** starts it again on the same port with the same identity */
  restart(): Promise<void>;
  logs(): string;
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`relay exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(new URL('/health', url));
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`relay at ${url} not healthy after 30 s:\n${output()}`);
}

export async function startRelay(opts: { port?: number; env?: Record<string, string> } = {}): Promise<RelayProcess> {
  const port = opts.port ?? (await freeLoopbackPort());
  const keyFile = join(mkdtempSync(join(tmpdir(), 'starweave-relay-')), 'relay.key');
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess;
  let output = '';

  const launch = async (): Promise<void> => {
    child = spawn(NODE, ['relay/main.ts', '--port', String(port), '--key-file', keyFile, '--log-level', 'info'], {
      cwd: root,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitHealthy(url, child, () => output);
  };
  await launch();

  return {
    url,
    port,
    keyFile,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
    restart: launch,
    logs: () => output,
  };
}
