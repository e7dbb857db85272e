/**
 * The upload queue: many files, each a state machine (states.ts), a few set up or completing at
 * once, and one global limit on parts in flight — so on parts in memory — however many and however
 * large the files. Pause, resume, cancel and retry per file and for all. Unfinished uploads are
 * saved after every part (resume-store.ts) and come back after a reload as paused files waiting
 * for their file to be picked again; a file that changed (its fingerprint when re-picked, or a
 * part's bytes when sealed again) starts afresh with a new key.
 * No React here: the page subscribes and renders snapshots.
 */
import { TransferError } from '../errors.ts';
import type { Api } from '../transfer/api.ts';
import { Limiter } from '../transfer/limit.ts';
import type { PartRunner } from '../transfer/parts.ts';
import { SpeedMeter } from '../transfer/speed.ts';
import { fingerprint, sameFingerprint } from './fingerprint.ts';
import { noPlainDigests } from './part-digest.ts';
import { type Entry, runUpload } from './queue-run.ts';
import type { ResumeStore, SavedUpload } from './resume-store.ts';
import { QUEUED, transition, type UploadEvent, type UploadState } from './states.ts';
import { bytesDone, DEFAULT_PARTS_IN_FLIGHT, type RequestTarget, type SetTarget, type UploadRecord } from './uploader.ts';

/** Files set up, sending or completing at once: small files are bound by round trips, not parts. */
export const FILES_IN_FLIGHT = 3;
export { PROGRESS_TICK_MS } from './queue-run.ts';

export interface QueueOptions {
  api: Api;
  runner: PartRunner;
  store: ResumeStore;
  /** the page's one mapping from errors to words (ui/messages.ts) */
  describe: (error: unknown) => string;
  partsInFlight?: number;
  filesInFlight?: number;
  /** for tests: a smaller part size makes short files span many parts */
  partPlaintextSize?: number;
  frameLength?: number;
  /**
   * The file request this queue sends to (a request link's page): it restores only its own
   * unfinished uploads, as the upload page (no request) restores only those sent to none.
   */
  requestId?: string;
}

export interface FileOptions {
  password?: string;
  expiresInSeconds?: number;
  /** send to a file request instead of making a share link (docs/REQUESTS.md) */
  request?: RequestTarget;
  /** a blob of this set (docs/SETS.md): the page shows it inside its set, not as a file of its own */
  set?: SetTarget;
}

/** A file as the page shows it. */
export interface QueueEntry {
  key: number;
  /** the path as picked (folder-relative for folder uploads) */
  path: string;
  name: string;
  size: number;
  state: UploadState;
  /** false for an unfinished upload restored after a reload, until its file is picked again */
  hasFile: boolean;
  password: boolean;
  /** something the person should know about this file, beyond its state */
  notice?: string;
  /** the set this upload is a blob of */
  setId?: string;
}

export class UploadQueue {
  private readonly entries: Entry[] = [];
  private readonly limiter: Limiter;
  private readonly listeners = new Set<() => void>();
  private snapshot: QueueEntry[] = [];
  private nextKey = 1;
  private api: Api;

  constructor(private readonly options: QueueOptions) {
    this.limiter = new Limiter(options.partsInFlight ?? DEFAULT_PARTS_IN_FLIGHT);
    this.api = options.api;
  }

  /** Another API client (the person entered an access token): files set up or resumed from now on use it. */
  setApi(api: Api): void {
    this.api = api;
  }

  /** For useSyncExternalStore (a property, so it can be passed unbound). */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** An immutable view, new only when something changed (for useSyncExternalStore). */
  getSnapshot = (): QueueEntry[] => this.snapshot;

  /** Parts in flight across all files right now (never above the limit). */
  get partsInFlight(): number {
    return this.limiter.inUse;
  }

  private restoring: Promise<void> | null = null;

  /** Unfinished uploads from earlier visits, as paused files waiting for their file (once). */
  restore(): Promise<void> {
    this.restoring ??= this.restoreSaved();
    return this.restoring;
  }

  private async restoreSaved(): Promise<void> {
    const known = new Set(this.entries.map((e) => e.record?.id));
    for (const saved of await this.options.store.list()) {
      const { record } = saved;
      if (known.has(saved.id) || record.requestId !== this.options.requestId) continue;
      if (record.setId) {
        // A set's blobs resume within the page's visit; after a reload the set starts again (its
        // plan lives in the page), so the blob's unfinished upload is given up here.
        await this.discard(record);
        continue;
      }
      // Saved before part digests were kept: its parts in flight then are held to the fingerprint only.
      record.plainDigests ??= noPlainDigests(record.parts.length);
      // Records from before upload tickets, or past their ticket's life, can no longer be resumed.
      const stale = !record.ticket || !(record.resumableUntil > Date.now());
      if (stale || (record.expiresAt !== null && record.expiresAt <= Date.now())) {
        await this.discard(record);
        continue;
      }
      const size = record.source.size;
      const done = bytesDone(record);
      this.entries.push({
        ...this.blank(saved.path, record.source.name, size, null, {}),
        password: record.password,
        state: { state: 'paused', progress: new SpeedMeter(size, done).reading(done) },
        record,
      });
    }
    this.changed();
  }

  /**
   * Adds picked files; a file that continues an unfinished upload resumes it instead. Returns the
   * keys of the entries it added (a set follows its blobs by them).
   */
  async add(files: { file: File; path?: string }[], options: FileOptions = {}): Promise<number[]> {
    const added: number[] = [];
    for (const { file, path = file.name } of files) {
      // An unfinished upload waiting for its file: the same path, or the same name when the file is
      // picked on its own again after a folder upload.
      const candidates = this.entries.filter((e) => !e.hasFile && e.record && e.state.state === 'paused');
      const waiting = candidates.find((e) => e.path === path) ?? candidates.find((e) => e.name === file.name);
      if (waiting?.record) {
        const now = await fingerprint(file, file.lastModified);
        if (sameFingerprint(waiting.record.fingerprint, now)) {
          waiting.file = file;
          waiting.hasFile = true;
          this.apply(waiting, { type: 'resume' });
          continue;
        }
        // Same name, other bytes: going on would reuse nonces (fingerprint.ts).
        await this.startAfresh(
          waiting,
          file,
          path,
          options,
          new TransferError('SourceChanged', 'The file changed since its upload was interrupted: it starts afresh, with a new key'),
        );
        continue;
      }
      const entry = this.blank(path, file.name, file.size, file, options);
      this.entries.push(entry);
      added.push(entry.key);
    }
    this.changed();
    this.pump();
    return added;
  }

  pause(key: number): void {
    const entry = this.find(key);
    if (!entry || !this.apply(entry, { type: 'pause' })) return;
    entry.controller?.abort(new TransferError('Aborted', 'Paused'));
  }

  resume(key: number): void {
    const entry = this.find(key);
    if (!entry?.hasFile) return;
    this.apply(entry, { type: 'resume' });
    this.pump();
  }

  retry(key: number): void {
    const entry = this.find(key);
    if (!entry?.hasFile) return;
    this.apply(entry, { type: 'retry' });
    this.pump();
  }

  /** Cancels and aborts the multipart upload, so no orphaned parts stay in the bucket. */
  async cancel(key: number): Promise<void> {
    const entry = this.find(key);
    if (!entry || !this.apply(entry, { type: 'cancel' })) return;
    entry.controller?.abort(new TransferError('Aborted', 'Cancelled'));
    await entry.running;
    const record = entry.record;
    entry.record = null;
    if (record) await this.discard(record);
  }

  pauseAll(): void {
    for (const e of this.entries) this.pause(e.key);
  }

  resumeAll(): void {
    for (const e of this.entries) this.resume(e.key);
  }

  async cancelAll(): Promise<void> {
    await Promise.all(this.entries.map((e) => this.cancel(e.key)));
  }

  /** Resolves when no file is being set up, sent or completed. */
  async idle(): Promise<void> {
    while (this.entries.some((e) => e.running)) await Promise.all(this.entries.map((e) => e.running));
  }

  private blank(path: string, name: string, size: number, file: File | null, options: FileOptions): Entry {
    return {
      key: this.nextKey++,
      path,
      name,
      size,
      state: QUEUED,
      hasFile: file !== null,
      password: Boolean(options.password),
      setId: options.set?.id,
      file,
      options,
      record: null,
      controller: null,
      running: null,
      saving: Promise.resolve(),
    };
  }

  private find(key: number): Entry | undefined {
    return this.entries.find((e) => e.key === key);
  }

  /** Applies an event; false when it did not apply in the current state. */
  private apply(entry: Entry, event: UploadEvent): boolean {
    const next = transition(entry.state, event);
    if (next === entry.state) return false;
    entry.state = next;
    this.changed();
    return true;
  }

  /**
   * A new snapshot in which only changed entries are new objects, so the page re-renders just the
   * rows that changed (the rows are memoised on their entry).
   */
  private changed(): void {
    const previous = new Map(this.snapshot.map((view) => [view.key, view]));
    this.snapshot = this.entries.map(({ key, path, name, size, state, hasFile, password, notice, setId }) => {
      const old = previous.get(key);
      const same = old && old.state === state && old.hasFile === hasFile && old.password === password && old.path === path && old.notice === notice;
      return same ? old : { key, path, name, size, state, hasFile, password, notice, setId };
    });
    for (const listener of this.listeners) listener();
  }

  private pump(): void {
    const limit = this.options.filesInFlight ?? FILES_IN_FLIGHT;
    let running = this.entries.filter((e) => e.running).length;
    for (const entry of this.entries) {
      if (running >= limit) return;
      if (entry.state.state === 'queued' && entry.file && !entry.running) {
        running++;
        entry.running = this.run(entry, entry.file).finally(() => {
          entry.running = null;
          entry.controller = null;
          this.pump();
        });
      }
    }
  }

  /**
   * `forgetOnFailure`, for a part's new plaintext digest (saved before the part is sent): if the
   * store refuses the record, the saved one is removed instead, for after a reload that older
   * record, lacking the digest, would let the part be sealed again over other bytes.
   */
  private save(entry: Entry, forgetOnFailure = false): Promise<void> {
    const record = entry.record;
    if (!record) return entry.saving;
    const { store } = this.options;
    const saved: SavedUpload = { id: record.id, path: entry.path, savedAt: Date.now(), record };
    const put = entry.saving.then(() => store.put(saved));
    entry.saving = (forgetOnFailure ? put.catch(() => store.remove(record.id)) : put).catch(() => undefined);
    return entry.saving;
  }

  private run(entry: Entry, file: File): Promise<void> {
    return runUpload(entry, file, {
      ...this.options,
      api: this.api,
      limiter: this.limiter,
      apply: (e, event) => this.apply(e as Entry, event),
      save: (e, forgetOnFailure) => this.save(e as Entry, forgetOnFailure),
      startAfresh: (e, f, why) => this.startAfresh(e as Entry, f, e.path, e.options, why),
    });
  }

  /**
   * The one way out for a file that is not the one its upload sealed (SourceChanged: a re-picked
   * file's fingerprint, or a part's digest, differs): going on would seal other bytes under used
   * nonces. The old upload is aborted and forgotten; in its row, the file is queued again as a new
   * upload, with a new key, and a notice saying why.
   */
  private async startAfresh(entry: Entry, file: File, path: string, options: FileOptions, why: TransferError): Promise<void> {
    const index = this.entries.indexOf(entry);
    if (index < 0) return;
    this.entries[index] = { ...this.blank(path, file.name, file.size, file, options), notice: this.options.describe(why) };
    this.changed();
    const old = entry.record;
    entry.record = null;
    // A save still under way must not bring the old record back once it is removed.
    await entry.saving;
    if (old) await this.discard(old);
  }

  /** Aborts an unfinished upload in the store and forgets it. */
  private async discard(record: UploadRecord): Promise<void> {
    await this.api.abort(record).catch(() => undefined);
    await this.options.store.remove(record.id).catch(() => undefined);
  }
}
