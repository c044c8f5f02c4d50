/**
 * The Galaxy's Blackhole chain on disk (SQLite through `node:sqlite`): one row per height
 * holding the `encodeStoredBlackhole` bytes (the block and the certificates whose half-blocks
 * it applied, so the final ledger is rebuilt by replaying them).
 *
 * A block is written and synced before it is published (WAL journal, synchronous = FULL:
 * the commit is on disk when `append` returns). A Galaxy that crashed after publishing a
 * block it had not kept would come back without it, and could sign a different block at
 * that height. `height` is the primary key, so the database itself refuses a second block at
 * one height, and the file is held with an exclusive lock, so two Galaxies cannot share it.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { loadSqlite } from '../sqlite.ts';
import { bytesEqual } from '../../shared/codec/cbor.ts';

export interface StoredRow {
  height: number;
  bytes: Uint8Array;
}

export class GalaxyStore {
  readonly path: string;
  private readonly db: DatabaseSync;
  private readonly insert: StatementSync;
  private readonly select: StatementSync;
  private readonly range: StatementSync;

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.db = db;
    this.insert = db.prepare('INSERT INTO blocks (height, bytes) VALUES (?, ?)');
    this.select = db.prepare('SELECT bytes FROM blocks WHERE height = ?');
    this.range = db.prepare('SELECT height, bytes FROM blocks WHERE height >= ? ORDER BY height LIMIT ?');
  }

  static async open(path: string): Promise<GalaxyStore> {
    const { DatabaseSync } = await loadSqlite();
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path);
      // held until close: a second Galaxy on this file gets "database is locked"
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
      db.exec('PRAGMA journal_mode = WAL');
      // FULL: a committed block is on disk (WAL synced) before it is published
      db.exec('PRAGMA synchronous = FULL');
      db.exec('CREATE TABLE IF NOT EXISTS blocks (height INTEGER PRIMARY KEY, bytes BLOB NOT NULL)');
      // take the exclusive lock now, not at the first block
      db.exec('BEGIN EXCLUSIVE; COMMIT');
    } catch (err) {
      if (db?.isOpen) db.close();
      const message = (err as Error).message;
      const hint = /locked|busy/i.test(message) ? 'another Galaxy is using it: stop that one, or give this one its own --db' : 'check the path and its permissions';
      throw new Error(`cannot open the Galaxy db ${path}: ${message} (${hint})`);
    }
    return new GalaxyStore(path, db);
  }

  /** Every stored row, lowest height first. */
  all(): StoredRow[] {
    return this.rows(this.db.prepare('SELECT height, bytes FROM blocks ORDER BY height').all());
  }

  /** Up to `limit` rows from `from` on. */
  from(from: number, limit: number): StoredRow[] {
    return this.rows(this.range.all(from, limit));
  }

  get(height: number): Uint8Array | undefined {
    const row = this.select.get(height) as { bytes?: unknown } | undefined;
    return row?.bytes instanceof Uint8Array ? row.bytes : undefined;
  }

  /**
   * Stores the block of `height`, durably. The same bytes again are a no-op (a block the
   * core reports twice); different bytes at a stored height throw and store nothing.
   */
  append(height: number, bytes: Uint8Array): 'stored' | 'already' {
    const existing = this.get(height);
    if (existing !== undefined) {
      if (bytesEqual(existing, bytes)) return 'already';
      throw new Error(`Galaxy db ${this.path}: height ${height} is already stored with a different block`);
    }
    this.insert.run(height, bytes);
    return 'stored';
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  private rows(raw: unknown[]): StoredRow[] {
    return raw.map((r, i) => {
      const { height, bytes } = r as { height?: unknown; bytes?: unknown };
      if (typeof height !== 'number' || !(bytes instanceof Uint8Array)) throw new Error(`Galaxy db ${this.path}: row ${i + 1} is not (height, block bytes)`);
      return { height, bytes };
    });
  }
}
