/**
 * How the simulator's 'equivocate' behaviour garbles each protocol's messages for a victim
 * recipient. Test-only adversary models, kept beside the simulator rather than in the cores.
 */
import type { BaMessage } from './binary-agreement.ts';
import type { Rng } from './prng.ts';
import type { RbcMessage } from './reliable-broadcast.ts';
import type { AcsMessage } from './subset.ts';
import type { NodeId } from './types.ts';

/** A different value in VAL/VALUE (one per victim), a random digest in ECHO/READY/WANT. */
export function corruptRbc(message: RbcMessage, to: NodeId, rng: Rng): RbcMessage {
  switch (message.t) {
    case 'val':
    case 'value':
      return { t: message.t, value: new TextEncoder().encode(`forged for ${to}`) };
    case 'echo':
    case 'ready':
    case 'want':
      return { t: message.t, digest: Uint8Array.from({ length: 32 }, () => rng.int(0, 255)) };
  }
}

/** The opposite bit in BVAL/AUX/TERM. */
export function corruptBa(message: BaMessage): BaMessage {
  switch (message.t) {
    case 'bval':
    case 'aux':
      return { ...message, value: !message.value };
    case 'term':
      return { t: 'term', value: !message.value };
  }
}

/** ACS: garble the wrapped message, keep the envelope (kind and instance) intact. */
export function corruptAcs(message: AcsMessage, to: NodeId, rng: Rng): AcsMessage {
  return message.kind === 'rbc'
    ? { kind: 'rbc', instance: message.instance, message: corruptRbc(message.message, to, rng) }
    : { kind: 'ba', instance: message.instance, message: corruptBa(message.message) };
}
