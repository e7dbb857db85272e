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
import { SpeedMeter } from '../transfer/speed.ts';
import { fingerprint, sameFingerprint } from './fingerprint.ts';
import { takeBackDigests } from './part-digest.ts';
import { type Entry, runUpload } from './queue-run.ts';
import { discardUpload, savedFate, saveEntry } from './queue-saved.ts';
import type { FileOptions, QueueEntry, QueueOptions } from './queue-types.ts';
import { QUEUED, transition, type UploadEvent } from './states.ts';
import { bytesDone, DEFAULT_PARTS_IN_FLIGHT, type UploadRecord } from './uploader.ts';

/** Files set up, sending or completing at once: small files are bound by round trips, not parts. */
export const FILES_IN_FLIGHT = 3;
export { PROGRESS_TICK_MS } from './queue-run.ts';

export type { FileOptions, QueueEntry, QueueOptions } from './queue-types.ts';

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
      if (known.has(saved.id)) continue;
      const fate = savedFate(saved, this.options.requestId);
      if (fate === 'discard') await this.discard(record);
      if (fate !== 'restore') continue;
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
   * A set's blob whose upload an earlier visit started (its saved record, taken back by the page's
   * sets) goes on with its bytes picked again; if they are not the bytes it was started with (its
   * fingerprint), it starts afresh with a new key. Returns the entry's key.
   */
  async resumeBlob(record: UploadRecord, file: File, path: string, options: FileOptions): Promise<number> {
    // First: a record of an older version may have to start afresh (part-digest.ts).
    takeBackDigests(record);
    const same = sameFingerprint(record.fingerprint, await fingerprint(file, file.lastModified));
    const entry = this.blank(path, file.name, file.size, file, options);
    if (same) {
      const done = bytesDone(record);
      Object.assign(entry, { record, state: { state: 'queued', progress: new SpeedMeter(file.size, done).reading(done) } });
    } else {
      entry.notice = this.options.describe(new TransferError('SourceChanged', 'The blob changed since its upload was interrupted'));
      await this.discard(record);
    }
    this.entries.push(entry);
    this.changed();
    this.pump();
    return entry.key;
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

  private run(entry: Entry, file: File): Promise<void> {
    return runUpload(entry, file, {
      ...this.options,
      api: this.api,
      limiter: this.limiter,
      apply: (e, event) => this.apply(e as Entry, event),
      save: (e, forgetOnFailure) => saveEntry(this.options.store, e as Entry, forgetOnFailure),
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
    // A set's blob keeps its key: the set follows its blobs by it.
    const fresh = this.blank(path, file.name, file.size, file, options);
    this.entries[index] = { ...fresh, key: entry.setId ? entry.key : fresh.key, notice: this.options.describe(why) };
    this.changed();
    const old = entry.record;
    entry.record = null;
    // A save still under way must not bring the old record back once it is removed.
    await entry.saving;
    if (old) await this.discard(old);
  }

  private discard(record: UploadRecord): Promise<void> {
    return discardUpload(this.api, this.options.store, record);
  }
}
