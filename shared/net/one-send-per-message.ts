/**
 * A load-time fix to two libp2p transports: they hand the platform each chunk of a message
 * as its own send. Applied to the browser bundles by a Vite transform
 * (`web/build/one-send-per-message.ts`) and to the relay's Node process by a module load
 * hook (`relay/one-send-hooks.ts`); this file is the pure part both use.
 *
 * - `@libp2p/webrtc` frames every stream message as a varint length and a protobuf, and
 *   calls `RTCDataChannel.send` once for each: two sends per message.
 * - `@libp2p/websockets` calls `WebSocket.send` once per chunk, and noise (v17) encrypts a
 *   message into two chunks, a 2-byte length and the ciphertext: two WebSocket frames per
 *   message, each a separate `message` event (a task) on the receiving side. Noise had
 *   fixed this once for TCP (ChainSafe/js-libp2p-noise#387, "concatenate encrypted data
 *   length prefix with data before sending"); the v17 stream API lost it.
 *
 * Every receiver reads these streams as length-prefixed bytes and does not care how they
 * were cut, so one send of the joined bytes is the same stream. The cost it removes: in a
 * 16-tab CPU profile, the native `send` was the largest single item of the pages' busy time
 * (10 %), and the WebSocket `message` handler held 17 % of it, inclusive.
 *
 * Each patch names the exact code it replaces; if a dependency update changes that code
 * the build (or the relay's start) fails here instead of silently running without the fix.
 */

interface Patch {
  /** the module, as the end of its resolved path */
  file: string;
  find: RegExp;
  replace: string;
}

export const PATCHES: readonly Patch[] = [
  {
    file: '/@libp2p/webrtc/dist/src/stream.js',
    find: /for \(const buf of data\) \{\s*this\.channel\.send\(withArrayBuffer\(buf\)\);\s*\}/,
    replace: 'this.channel.send(withArrayBuffer(data.subarray()));',
  },
  {
    file: '/@libp2p/websockets/dist/src/websocket-to-conn.js',
    find: /for \(const buf of data\) \{\s*this\.websocket\.send\(withArrayBuffer\(buf\)\);\s*\}/,
    replace: 'this.websocket.send(withArrayBuffer(data.subarray()));',
  },
];

/** The patch for a module (by its resolved path or id), if there is one. */
function patchFor(id: string): Patch | undefined {
  const path = id.replaceAll('\\', '/').split('?')[0]!;
  return PATCHES.find((p) => path.endsWith(p.file));
}

/** Whether a module has a patch: lets a loader skip reading the source of every other one. */
export function isPatched(id: string): boolean {
  return patchFor(id) !== undefined;
}

/** The patched source of a module, `undefined` when no patch is for it; throws when its patch no longer applies. */
export function patchSource(id: string, code: string): string | undefined {
  const patch = patchFor(id);
  if (!patch) return undefined;
  if (!patch.find.test(code)) {
    throw new Error(`one-send-per-message: ${patch.file} no longer has the code this build patches; check whether the new version still sends a message's chunks one by one, then update or drop the patch (shared/net/one-send-per-message.ts)`);
  }
  return code.replace(patch.find, patch.replace);
}
