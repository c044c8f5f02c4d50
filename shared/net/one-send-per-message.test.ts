import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { PATCHES, patchSource } from './one-send-per-message.ts';

const installed = (file: string): { path: string; code: string } => {
  const path = resolve(import.meta.dirname, '../../node_modules') + file;
  return { path, code: readFileSync(path, 'utf8') };
};

describe('one send per message (build patch of the libp2p transports)', () => {
  for (const patch of PATCHES) {
    it(`applies to the installed ${patch.file}: one send of the joined chunks instead of one per chunk`, () => {
      const { path, code } = installed(patch.file);
      const before = (code.match(/\.send\(withArrayBuffer\(/g) ?? []).length;
      const patched = patchSource(path, code);
      assert.ok(patched !== undefined);
      assert.doesNotMatch(patched, /for \(const buf of data\)/);
      assert.ok(patched.includes(patch.replace));
      assert.equal((patched.match(/\.send\(withArrayBuffer\(/g) ?? []).length, before, 'the send itself is still there, once');
    });
  }

  it('leaves other modules alone and fails loudly when a patched module changed', () => {
    assert.equal(patchSource('/x/node_modules/@libp2p/webrtc/dist/src/muxer.js', 'for (const buf of data) {}'), undefined);
    assert.throws(() => patchSource('/x/node_modules/@libp2p/webrtc/dist/src/stream.js', 'this.channel.send(data)'), /no longer has the code/);
  });
});
