/** The Vite transform that applies shared/net/one-send-per-message.ts to the browser bundles. */
import type { Plugin } from 'vite';
import { patchSource } from '../../shared/net/one-send-per-message.ts';

export function oneSendPerMessage(): Plugin {
  return {
    name: 'starweave:one-send-per-message',
    enforce: 'pre',
    transform(code, id) {
      const patched = patchSource(id, code);
      return patched === undefined ? null : { code: patched, map: null };
    },
  };
}
