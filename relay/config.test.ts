import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRelayArgs } from './config.ts';

describe('relay config', () => {
  it('has defaults for a local network', () => {
    const r = parseRelayArgs([], {});
    assert.equal(r.kind, 'config');
    if (r.kind !== 'config') return;
    assert.equal(r.config.port, 8080);
    assert.equal(r.config.host, '127.0.0.1');
    assert.ok(r.config.maxReservations >= 256, 'reservations sized for hundreds of tabs');
    assert.ok(r.config.relayDurationMs > 120_000);
  });

  it('takes environment variables, and flags over them', () => {
    const env = { PORT: '9000', HOST: '0.0.0.0', RELAY_MAX_RESERVATIONS: '50' };
    const r = parseRelayArgs(['--port', '9100'], env);
    assert.equal(r.kind, 'config');
    if (r.kind !== 'config') return;
    assert.equal(r.config.port, 9100);
    assert.equal(r.config.host, '0.0.0.0');
    assert.equal(r.config.maxReservations, 50);
  });

  it('has faucet and genesis defaults, overridable by env and flags', () => {
    const d = parseRelayArgs([], {});
    assert.equal(d.kind, 'config');
    if (d.kind !== 'config') return;
    assert.equal(d.config.genesisFile, '.data/genesis.json');
    assert.equal(d.config.faucetKeyFile, '.data/faucet.key');
    assert.equal(d.config.faucetDb, '.data/faucet.sqlite');
    assert.equal(d.config.faucetAmount, 1000);
    assert.equal(d.config.faucetIntervalMs, 60_000);
    const env = { GENESIS_FILE: '/g.json', FAUCET_KEY_FILE: '/f.key', FAUCET_DB: '/f.db', FAUCET_AMOUNT: '5', FAUCET_INTERVAL_MS: '10' };
    const r = parseRelayArgs(['--faucet-amount', '7', '--genesis', '/other.json'], env);
    assert.equal(r.kind, 'config');
    if (r.kind !== 'config') return;
    assert.deepEqual(
      [r.config.genesisFile, r.config.faucetKeyFile, r.config.faucetDb, r.config.faucetAmount, r.config.faucetIntervalMs],
      ['/other.json', '/f.key', '/f.db', 7, 10],
    );
    const zero = parseRelayArgs(['--faucet-amount', '0'], {});
    assert.equal(zero.kind, 'error');
    if (zero.kind === 'error') assert.match(zero.message, /--faucet-amount=0 is not a valid faucet-amount/);
  });

  it('explains bad values', () => {
    const port = parseRelayArgs([], { PORT: 'eighty' });
    assert.equal(port.kind, 'error');
    if (port.kind === 'error') assert.match(port.message, /PORT=eighty is not a valid port/);
    const big = parseRelayArgs(['--port', '70000'], {});
    assert.equal(big.kind, 'error');
    const level = parseRelayArgs(['--log-level', 'loud'], {});
    assert.equal(level.kind, 'error');
    if (level.kind === 'error') assert.match(level.message, /one of trace/);
    const unknown = parseRelayArgs(['--nope'], {});
    assert.equal(unknown.kind, 'error');
    if (unknown.kind === 'error') assert.match(unknown.message, /--help/);
  });

  it('takes Galaxy URLs from GALAXY_URLS or repeated/comma-separated --galaxy-url (none by default)', () => {
    const none = parseRelayArgs([], {});
    assert.ok(none.kind === 'config');
    assert.deepEqual(none.config.galaxyUrls, []);
    const env = parseRelayArgs([], { GALAXY_URLS: 'http://127.0.0.1:9001/, http://127.0.0.1:9002' });
    assert.ok(env.kind === 'config');
    assert.deepEqual(env.config.galaxyUrls, ['http://127.0.0.1:9001', 'http://127.0.0.1:9002']);
    const flags = parseRelayArgs(['--galaxy-url', 'http://a:1', '--galaxy-url', 'http://b:2,http://a:1'], { GALAXY_URLS: 'http://c:3' });
    assert.ok(flags.kind === 'config');
    assert.deepEqual(flags.config.galaxyUrls, ['http://a:1', 'http://b:2']);
    const bad = parseRelayArgs(['--galaxy-url', 'galaxy:9000'], {});
    assert.equal(bad.kind, 'error');
    if (bad.kind === 'error') assert.match(bad.message, /--galaxy-url: "galaxy:9000" is not an http\(s\) URL/);
  });

  it('prints help naming every flag and its variable', () => {
    const r = parseRelayArgs(['--help'], {});
    assert.equal(r.kind, 'help');
    if (r.kind !== 'help') return;
    for (const word of ['--port', 'PORT', '--key-file', 'RELAY_KEY_FILE', '--max-reservations', '--log-level', '--genesis', 'GENESIS_FILE', '--faucet-key-file', 'FAUCET_KEY_FILE', '--faucet-db', 'FAUCET_DB', '--faucet-amount', 'FAUCET_AMOUNT', '--faucet-interval-ms', 'FAUCET_INTERVAL_MS', '--galaxy-url', 'GALAXY_URLS']) assert.ok(r.text.includes(word), word);
  });
});
