/**
 * The faucet's own account chain on disk (SQLite through `node:sqlite`, built into Node 22).
 *
 * A block is written, durably, before anyone sees it: if the relay signed a block, lost it in
 * a crash and then signed a different one at the same seq, every Star holding the first
 * would have a fraud proof against the faucet and block it for good. `seq` is the primary
 * key, so the database itself refuses a second block at one seq, and the file is held with
 * an exclusive lock, so a second relay on the same file cannot sign alongside this one.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { loadSqlite } from './sqlite.ts';

export interface StoredFaucetBlock {
  seq: number;
  bytes: Uint8Array;
}

export class FaucetStore {
  readonly path: string;
  private readonly db: DatabaseSync;
  private readonly insert: StatementSync;

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.db = db;
    this.insert = db.prepare('INSERT INTO blocks (seq, bytes) VALUES (?, ?)');
  }

  static async open(path: string): Promise<FaucetStore> {
    const { DatabaseSync } = await loadSqlite();
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path);
      // held until close: a second process gets "database is locked" instead of signing
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
      // FULL: a committed block is on disk before the payout is answered or gossiped
      db.exec('PRAGMA synchronous = FULL');
      db.exec('CREATE TABLE IF NOT EXISTS blocks (seq INTEGER PRIMARY KEY, bytes BLOB NOT NULL)');
      // take the exclusive lock now, not at the first payout
      db.exec('BEGIN EXCLUSIVE; COMMIT');
    } catch (err) {
      const message = (err as Error).message;
      const hint = /locked|busy/i.test(message) ? 'another relay is using it: stop that one, or give this one its own --faucet-db' : 'check the path and its permissions';
      throw new Error(`cannot open the faucet db ${path}: ${message} (${hint})`);
    }
    return new FaucetStore(path, db);
  }

  /** Every stored block, oldest first. */
  all(): StoredFaucetBlock[] {
    const rows = this.db.prepare('SELECT seq, bytes FROM blocks ORDER BY seq').all() as Array<{ seq: unknown; bytes: unknown }>;
    return rows.map((r, i) => {
      if (typeof r.seq !== 'number' || !(r.bytes instanceof Uint8Array)) throw new Error(`faucet db ${this.path}: row ${i + 1} is not (seq, block bytes)`);
      return { seq: r.seq, bytes: r.bytes };
    });
  }

  /** Stores the next block; throws (and stores nothing) if that seq is already taken. */
  append(seq: number, bytes: Uint8Array): void {
    this.insert.run(seq, bytes);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
