/**
 * Relay entry point: `node relay/main.ts [--help]` (the relay itself is `run.ts`). It first
 * hooks module loading so the relay's WebSocket sends one frame per message
 * (`one-send-hooks.ts`); the relay's modules must load after that, hence the dynamic import.
 */
import { registerOneSendPerMessage } from './one-send-hooks.ts';

registerOneSendPerMessage();
await import('./run.ts');
