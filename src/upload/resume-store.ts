/**
 * Unfinished uploads kept in IndexedDB (through `idb`, a small well-kept promise wrapper), so a
 * reload or a crash loses no finished part. A record holds the link secret and the content key:
 * IndexedDB stores the CryptoKey itself by structured clone (it stays non-extractable), it never
 * leaves this origin's storage, and it is deleted as soon as the upload is done or cancelled.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { SavedSet } from '../sets/set-resume.ts';
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

/**
 * Where the page keeps unfinished sets (their plan: set-resume.ts), beside their blobs' upload
 * records, which stay in the ResumeStore like any file's.
 */
export interface SetResumeStore {
  listSets(): Promise<SavedSet[]>;
  putSet(saved: SavedSet): Promise<void>;
  removeSet(id: string): Promise<void>;
}

const DB_NAME = 'cipherdrop';
/** 2: unfinished sets */
const DB_VERSION = 2;
const STORE = 'unfinished-uploads';
const SETS = 'unfinished-sets';

interface Schema extends DBSchema {
  [STORE]: { key: string; value: SavedUpload };
  [SETS]: { key: string; value: SavedSet };
}

export class IndexedDbResumeStore implements ResumeStore, SetResumeStore {
  private db: Promise<IDBPDatabase<Schema>> | undefined;

  private open(): Promise<IDBPDatabase<Schema>> {
    this.db ??= openDB<Schema>(DB_NAME, DB_VERSION, {
      upgrade(db, oldVersion) {
        if (oldVersion < 1) db.createObjectStore(STORE, { keyPath: 'id' });
        if (oldVersion < 2) db.createObjectStore(SETS, { keyPath: 'id' });
      },
    });
    return this.db;
  }

  async listSets(): Promise<SavedSet[]> {
    const all = await (await this.open()).getAll(SETS);
    return all.sort((a, b) => a.savedAt - b.savedAt);
  }

  async putSet(saved: SavedSet): Promise<void> {
    await (await this.open()).put(SETS, saved);
  }

  async removeSet(id: string): Promise<void> {
    await (await this.open()).delete(SETS, id);
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
export class MemoryResumeStore implements ResumeStore, SetResumeStore {
  readonly saved = new Map<string, SavedUpload>();
  readonly sets = new Map<string, SavedSet>();
  async listSets(): Promise<SavedSet[]> {
    return [...this.sets.values()].map((s) => structuredClone(s));
  }
  async putSet(saved: SavedSet): Promise<void> {
    this.sets.set(saved.id, structuredClone(saved));
  }
  async removeSet(id: string): Promise<void> {
    this.sets.delete(id);
  }
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
