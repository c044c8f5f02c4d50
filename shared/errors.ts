/**
 * Every failure a user or a dApp can see is a StarError with a stable `code` and a message
 * a person can act on. Codes are part of the public embed API (see README).
 */
export type StarErrorCode =
  | 'INVALID_ADDRESS'
  | 'INVALID_ARGUMENT'
  | 'INSUFFICIENT_FUNDS'
  | 'RELAY_UNREACHABLE'
  | 'QUOTA_EXCEEDED'
  | 'NOT_APPROVED'
  | 'RATE_LIMITED'
  | 'MESSAGE_TOO_LARGE'
  | 'MALFORMED'
  | 'NO_PEERS'
  | 'WRONG_PASSWORD'
  | 'ACCOUNT_IN_USE'
  | 'TAKEN_OVER'
  | 'UNKNOWN_TRANSFER'
  | 'ACCOUNT_BLOCKED'
  | 'FAUCET_UNAVAILABLE'
  | 'CLOSED'
  | 'NOT_A_READER';

export class StarError extends Error {
  readonly code: StarErrorCode;
  constructor(code: StarErrorCode, message: string) {
    super(message);
    this.name = 'StarError';
    this.code = code;
  }
}

/** Errors cross the comlink boundary as plain objects; this restores them. */
export function toStarError(err: unknown): StarError {
  if (err instanceof StarError) return err;
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') {
    return new StarError(e.code as StarErrorCode, e.message);
  }
  return new StarError('MALFORMED', String((e as { message?: unknown })?.message ?? err));
}
