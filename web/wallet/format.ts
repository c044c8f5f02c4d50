/** Small display helpers shared by the wallet's panels. */

/** `sw1qxy2kg…h3k9dz`: enough to recognise an account; show the full one in a `title`. */
export function shortAddress(address: string): string {
  return address.length > 18 ? `${address.slice(0, 10)}…${address.slice(-6)}` : address;
}

/** The stable `code` of a StarError (or anything shaped like one). */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The message a person can act on; never "[object Object]". */
export function errorMessage(err: unknown): string {
  const message = (err as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' && message !== '' ? message : String(err);
}

/** `12.3 KiB`: sizes for people (binary units, as browsers report quotas). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** A moment as the browser's locale writes it. */
export function formatTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toLocaleString() : '—';
}
