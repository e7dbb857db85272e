/**
 * Unfinished uploads kept in IndexedDB (through `idb`, a small well-kept promise wrapper), so a
 * reload or a crash loses no finished part. A record holds the link secret and the content key:
 * IndexedDB stores the CryptoKey itself by structured clone (it stays non-extractable), it never
 * leaves this origin's storage, and it is deleted as soon as the upload is done or cancelled.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { UploadRecord } from './uploader.ts';

/** A record as stored: the upload's own record plus how the page knows the file again. */
export interface SavedUpload {
  /** the file's id on the server: unique, and the store's key */
  id: string;
  /** the file's path as picked (its folder-relative path for folder uploads) */
  path: string;
  savedAt: number;
  record: UploadRecord;
}

/** Where the queue keeps unfinished uploads: IndexedDB in the page, a Map in unit tests. */
export interface ResumeStore {
  list(): Promise<SavedUpload[]>;
  put(saved: SavedUpload): Promise<void>;
  remove(id: string): Promise<void>;
}

const DB_NAME = 'cipherdrop';
const DB_VERSION = 1;
const STORE = 'unfinished-uploads';

interface Schema extends DBSchema {
  [STORE]: { key: string; value: SavedUpload };
}

export class IndexedDbResumeStore implements ResumeStore {
  private db: Promise<IDBPDatabase<Schema>> | undefined;

  private open(): Promise<IDBPDatabase<Schema>> {
    this.db ??= openDB<Schema>(DB_NAME, DB_VERSION, {
      upgrade(db) {
        db.createObjectStore(STORE, { keyPath: 'id' });
      },
    });
    return this.db;
  }

  async list(): Promise<SavedUpload[]> {
    const all = await (await this.open()).getAll(STORE);
    return all.sort((a, b) => a.savedAt - b.savedAt);
  }

  async put(saved: SavedUpload): Promise<void> {
    await (await this.open()).put(STORE, saved);
  }

  async remove(id: string): Promise<void> {
    await (await this.open()).delete(STORE, id);
  }
}

/** For unit tests and for browsers without IndexedDB (private modes): nothing outlives the page. */
export class MemoryResumeStore implements ResumeStore {
  readonly saved = new Map<string, SavedUpload>();
  async list(): Promise<SavedUpload[]> {
    return [...this.saved.values()].map((s) => structuredClone(s));
  }
  async put(saved: SavedUpload): Promise<void> {
    this.saved.set(saved.id, structuredClone(saved));
  }
  async remove(id: string): Promise<void> {
    this.saved.delete(id);
  }
}
