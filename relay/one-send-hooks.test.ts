import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { LoadHookContext, LoadFnOutput } from 'node:module';
import { multiaddr } from '@multiformats/multiaddr';
import { loadPatched, registerOneSendPerMessage } from './one-send-hooks.ts';

const wsConn = resolve(import.meta.dirname, '../node_modules/@libp2p/websockets/dist/src/websocket-to-conn.js');
const context = { format: 'module', conditions: [], importAttributes: {} } as unknown as LoadHookContext;
const loader = (source: LoadFnOutput['source']) => (): LoadFnOutput => ({ format: 'module', source, shortCircuit: true });

describe('the relay joins a message into one WebSocket frame (load hook)', () => {
  it('patches the installed websocket-to-conn.js as Node loads it, from bytes as Node gives them', () => {
    const out = loadPatched(pathToFileURL(wsConn).href, context, loader(readFileSync(wsConn)));
    assert.match(String(out.source), /this\.websocket\.send\(withArrayBuffer\(data\.subarray\(\)\)\);/);
    assert.doesNotMatch(String(out.source), /for \(const buf of data\)/);
  });

  it('passes every other module through untouched', () => {
    const source = new Uint8Array([1, 2, 3]);
    const out = loadPatched('file:///x/node_modules/libp2p/dist/src/index.js', context, loader(source));
    assert.equal(out.source, source);
    const builtin = loadPatched('node:fs', context, loader(undefined));
    assert.equal(builtin.source, undefined);
  });
});

describe('registered in this process', () => {
  it("the relay's WebSocket connection sends a two-chunk message as one frame", async () => {
    registerOneSendPerMessage();
    const { webSocketToMaConn } = (await import(pathToFileURL(wsConn).href)) as { webSocketToMaConn: (init: object) => { sendData(d: object): unknown } };
    const frames: Uint8Array[] = [];
    const websocket = { bufferedAmount: 0, addEventListener: () => {}, send: (b: ArrayBuffer | Uint8Array) => frames.push(new Uint8Array(b instanceof ArrayBuffer ? b : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))) };
    const log = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false });
    const conn = webSocketToMaConn({ websocket, remoteAddr: multiaddr('/ip4/127.0.0.1/tcp/1/ws'), log });
    // a noise message as noise v17 hands it over: a 2-byte length, then the ciphertext
    // (the shape of a Uint8ArrayList: its chunks when iterated, joined by subarray())
    const chunks = [Uint8Array.of(0, 3), Uint8Array.of(7, 8, 9)];
    conn.sendData({ byteLength: 5, [Symbol.iterator]: () => chunks[Symbol.iterator](), subarray: () => Uint8Array.of(0, 3, 7, 8, 9) });
    assert.deepEqual(frames, [Uint8Array.of(0, 3, 7, 8, 9)]);
  });
});
