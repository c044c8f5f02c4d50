/**
 * Applies shared/net/one-send-per-message.ts to the relay's own libp2p modules as Node loads
 * them: the relay sends every Star its gossip over the WebSocket, and without this each noise
 * message left as two frames, two `message` events on the Star's busy main thread. Must be
 * registered before those modules load: `relay/main.ts` registers it, then imports the relay.
 */
import { registerHooks, type LoadHookContext, type LoadFnOutput } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isPatched, patchSource } from '../shared/net/one-send-per-message.ts';

type NextLoad = (url: string, context?: Partial<LoadHookContext>) => LoadFnOutput;

/** The load hook: the patched source for a module with a patch, the module as loaded otherwise. */
export function loadPatched(url: string, context: LoadHookContext, nextLoad: NextLoad): LoadFnOutput {
  const loaded = nextLoad(url, context);
  // every module of the relay passes here at start-up: only the patched ones are decoded
  const path = url.startsWith('file:') ? fileURLToPath(url) : undefined;
  if (path === undefined || !isPatched(path) || loaded.source === undefined || loaded.source === null) return loaded;
  const source = typeof loaded.source === 'string' ? loaded.source : new TextDecoder().decode(loaded.source as Uint8Array);
  const patched = patchSource(path, source);
  return patched === undefined ? loaded : { ...loaded, source: patched };
}

export function registerOneSendPerMessage(): void {
  registerHooks({ load: loadPatched });
}
