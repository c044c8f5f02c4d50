/** A minimal typed event emitter for the Star's public `on()` / `off()`. */
export class Emitter<Events extends object> {
  private readonly handlers = new Map<keyof Events, Set<(value: never) => void>>();

  on<K extends keyof Events>(event: K, fn: (value: Events[K]) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(fn as (value: never) => void);
    return () => this.off(event, fn);
  }

  off<K extends keyof Events>(event: K, fn: (value: Events[K]) => void): void {
    this.handlers.get(event)?.delete(fn as (value: never) => void);
  }

  /** how many handlers `event` has */
  count<K extends keyof Events>(event: K): number {
    return this.handlers.get(event)?.size ?? 0;
  }

  emit<K extends keyof Events>(event: K, value: Events[K]): void {
    for (const fn of this.handlers.get(event) ?? []) {
      try {
        (fn as (value: Events[K]) => void)(value);
      } catch (err) {
        console.error(`starweave: an on('${String(event)}') handler threw`, err);
      }
    }
  }
}
