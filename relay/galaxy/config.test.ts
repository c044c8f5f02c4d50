/** The Galaxy's command line and environment, and its refusal to start on a genesis that does not list it. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { addressFromPublicKey } from '../../shared/chain/address.ts';
import { testKey } from '../../shared/finality/test-fixtures.ts';
import { parseGalaxyArgs } from './config.ts';
import { NODE, ROOT } from './launch.ts';

describe('Galaxy config', () => {
  it('has defaults for the dev network npm start runs', () => {
    const r = parseGalaxyArgs([], {});
    assert.equal(r.kind, 'config');
    if (r.kind !== 'config') return;
    assert.deepEqual(r.config, {
      host: '127.0.0.1',
      port: 8090,
      keyFile: '.data/galaxy-0.key',
      db: '.data/galaxy-0.sqlite',
      genesisFile: '.data/genesis.json',
      relayUrl: 'http://127.0.0.1:8080',
      peers: [],
      roundTimeoutMs: 5000,
      splitAbove: 64,
      mergeBelow: 16,
      splitAboveEntries: 1024,
      logLevel: 'info',
    });
  });

  it('takes the cluster policy from flags or GALAXY_ variables, whole numbers only', () => {
    const r = parseGalaxyArgs(['--split-above', '120', '--split-above-entries', '500'], { GALAXY_MERGE_BELOW: '30' });
    assert.ok(r.kind === 'config');
    assert.deepEqual([r.config.splitAbove, r.config.mergeBelow, r.config.splitAboveEntries], [120, 30, 500]);
    const bad = parseGalaxyArgs(['--merge-below', '0'], {});
    assert.equal(bad.kind, 'error');
    assert.match(bad.kind === 'error' ? bad.message : '', /merge-below/);
  });

  it('takes environment variables, and flags over them; peers repeat or come comma-separated', () => {
    const env = { GALAXY_PORT: '9000', GALAXY_PEERS: 'http://a:1, http://b:2/', GALAXY_ROUND_TIMEOUT_MS: '700', GENESIS_FILE: '/g.json', LOG_LEVEL: 'warn' };
    const fromEnv = parseGalaxyArgs([], env);
    assert.ok(fromEnv.kind === 'config');
    assert.deepEqual([fromEnv.config.port, fromEnv.config.peers, fromEnv.config.roundTimeoutMs, fromEnv.config.genesisFile, fromEnv.config.logLevel], [9000, ['http://a:1', 'http://b:2'], 700, '/g.json', 'warn']);
    const flags = parseGalaxyArgs(['--port', '9100', '--peers', 'http://c:3', '--peers', 'http://d:4,http://c:3', '--relay', 'http://relay:8080/', '--db', '/x.sqlite'], env);
    assert.ok(flags.kind === 'config');
    assert.deepEqual([flags.config.port, flags.config.peers, flags.config.relayUrl, flags.config.db], [9100, ['http://c:3', 'http://d:4'], 'http://relay:8080', '/x.sqlite']);
  });

  it('explains bad values', () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['--port', '70000'], {}, /--port=70000 is not a valid port/],
      [[], { GALAXY_PORT: 'eighty' }, /GALAXY_PORT=eighty is not a valid port/],
      [['--round-timeout-ms', '0'], {}, /round-timeout-ms/],
      [['--relay', 'ftp://x'], {}, /not an http\(s\) URL/],
      [['--peers', 'not a url'], {}, /is not a URL/],
      [['--log-level', 'loud'], {}, /one of trace/],
      [['--key-file', ''], {}, /--key-file is empty/],
      [['--nope'], {}, /--help/],
    ];
    for (const [argv, env, message] of cases) {
      const r = parseGalaxyArgs(argv, env);
      assert.equal(r.kind, 'error', argv.join(' '));
      if (r.kind === 'error') assert.match(r.message, message);
    }
  });

  it('prints help naming every flag and its variable', () => {
    const r = parseGalaxyArgs(['--help'], {});
    assert.equal(r.kind, 'help');
    if (r.kind !== 'help') return;
    for (const word of ['--port', 'GALAXY_PORT', '--host', '--key-file', 'GALAXY_KEY_FILE', '--db', 'GALAXY_DB', '--genesis', 'GENESIS_FILE', '--relay', 'GALAXY_RELAY_URL', '--peers', 'GALAXY_PEERS', '--round-timeout-ms', '--log-level']) {
      assert.ok(r.text.includes(word), word);
    }
  });
});

describe('Galaxy start-up checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'galaxy-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (genesis: object | undefined) => {
    const genesisFile = join(dir, `genesis-${Math.random().toString(36).slice(2)}.json`);
    if (genesis) writeFileSync(genesisFile, JSON.stringify(genesis));
    const args = ['relay/galaxy/main.ts', '--port', '0', '--key-file', join(dir, 'galaxy.key'), '--db', join(dir, 'galaxy.sqlite'), '--genesis', genesisFile, '--relay', 'http://127.0.0.1:9'];
    return spawnSync(NODE, args, { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  };
  const allocations = [{ address: addressFromPublicKey(testKey(1).pk), amount: 5 }];

  it('refuses to start when its key is not among the genesis galaxies, naming its address', () => {
    const r = run({ network: 'n', allocations, galaxies: [addressFromPublicKey(testKey(2).pk)] });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /galaxy: this Galaxy's key .* is not among the 1 galaxies of .*: use the key file of a listed Galaxy/);
  });

  it('refuses a genesis without galaxies, and a missing genesis, saying what to do', () => {
    const none = run({ network: 'n', allocations });
    assert.equal(none.status, 1);
    assert.match(none.stderr, /lists no galaxies/);
    const missing = run(undefined);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no genesis file at .*npm start/);
  });

  it('exits 2 on a bad flag', () => {
    const r = spawnSync(NODE, ['relay/galaxy/main.ts', '--port', 'x'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not a valid port/);
  });
});
