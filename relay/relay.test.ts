/** The relay as a real process: health, metrics, peer id, static files, CLI errors, restart. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startRelay, type RelayProcess } from '../tests/e2e/support/relay-process.ts';

describe('relay process', () => {
  let relay: RelayProcess;
  before(async () => {
    relay = await startRelay();
  });
  after(async () => {
    await relay.stop();
  });

  it('answers /health with 200 and its peer id', async () => {
    const res = await fetch(`${relay.url}/health`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; relay: { peerId: string } };
    assert.equal(body.status, 'ok');
    assert.match(body.relay.peerId, /^12D3KooW/);
  });

  it('serves Prometheus metrics in the text format', async () => {
    const res = await fetch(`${relay.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    for (const name of ['starweave_relay_connections', 'starweave_relay_reservations', 'starweave_relay_gossip_topics', 'starweave_relay_gossip_messages_total']) {
      assert.match(text, new RegExp(`# TYPE ${name} `), name);
    }
  });

  it('serves the wallet, /star.js and the demo dApp, and says where things are on a 404', async () => {
    for (const path of ['/', '/star.js', '/star-worker.js', '/demo.html']) {
      assert.equal((await fetch(relay.url + path)).status, 200, path);
    }
    const missing = await fetch(`${relay.url}/nope`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /star\.js/);
  });

  it('keeps its peer id across a restart (key file)', async () => {
    const before = ((await (await fetch(`${relay.url}/relay.json`)).json()) as { peerId: string }).peerId;
    await relay.stop();
    await relay.restart();
    const after = ((await (await fetch(`${relay.url}/relay.json`)).json()) as { peerId: string }).peerId;
    assert.equal(after, before);
  });

  it('prints --help and rejects bad flags with exit code 2', () => {
    const help = spawnSync(process.execPath, ['relay/main.ts', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--max-reservations/);
    const bad = spawnSync(process.execPath, ['relay/main.ts', '--port', 'x'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /not a valid port/);
  });
});
