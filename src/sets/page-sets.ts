/**
 * The upload page's sets (docs/SETS.md): files chosen for one link. Each set is registered, its
 * files packed into blobs (upload-set.ts) that go through the page's one upload queue (so they
 * share its limits, pause, resume, retry and cancel), and once every blob is done its manifest is
 * sealed and the set completed: then it has its link. Files can be added to a set until it starts
 * finishing. Its plan is saved (set-resume.ts) as it goes, so after a reload it comes back as an
 * unfinished set that asks for its files again and goes on where it stopped, under the same link.
 * No React here: the page subscribes and renders snapshots.
 */

import type { Api } from '../transfer/api.ts';
import { discardUpload } from '../upload/queue-saved.ts';
import type { ResumeStore, SetResumeStore } from '../upload/resume-store.ts';
import { reattach, restoreSets } from './page-set-restore.ts';
import { type PageBlob, type PageSet, type SetOptions, type SetQueue, type SetView, viewOf } from './page-set-types.ts';
import { type BlobResult, matchMembers, type PickedFile, savedOf, startedOf } from './set-resume.ts';
import { buildManifest, finishSet, planOf, planSet, type SetMember, type StartedSet, startSet } from './upload-set.ts';

export type { SetOptions, SetPhase, SetView } from './page-set-types.ts';

export class PageSets {
  private readonly sets: PageSet[] = [];
  private readonly listeners = new Set<() => void>();
  private snapshot: SetView[] = [];
  private nextKey = 1;

  constructor(
    private readonly queue: SetQueue,
    private readonly api: () => Api,
    private readonly describe: (error: unknown) => string,
    /** where unfinished sets and their blobs' records are kept (none: nothing outlives the page) */
    private readonly store?: ResumeStore & SetResumeStore,
  ) {
    queue.subscribe(() => this.queueChanged());
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): SetView[] => this.snapshot;

  /** One link for these files (and empty folders). */
  start(files: PickedFile[], dirs: string[], options: SetOptions, label: string, folder = true): void {
    const members = files.map(toMember);
    const set: PageSet = {
      key: this.nextKey++,
      label,
      folder,
      files: members.length,
      bytes: members.reduce((n, m) => n + m.blob.size, 0),
      phase: 'starting',
      password: Boolean(options.password),
      blobKeys: [],
      doneBefore: 0,
      members: [],
      dirs,
      blobs: [],
      started: startSet(this.api(), options),
      saving: Promise.resolve(),
    };
    set.started.then(
      (started) => {
        set.serverId = started.id;
      },
      (error) => this.fail(set, error),
    );
    this.sets.push(set);
    void this.addTo(set.key, files);
    this.changed();
  }

  /** Adds files to a set that has not begun finishing. */
  async addTo(key: number, files: PickedFile[]): Promise<void> {
    const set = this.find(key);
    if (!set || set.phase === 'unfinished' || set.phase === 'finishing' || set.phase === 'done' || set.phase === 'cancelled') return;
    const members = files.map(toMember);
    const started = await set.started.catch(() => null);
    if (!started) return;
    // Names go on from the set's blobs so far: a saved upload record finds its blob by name.
    const { plan, sources } = planSet(members, set.blobs.length);
    const blobs: PageBlob[] = plan.blobs.map((b, i) => ({ key: 0, name: sources[i].name, members: b.files.map((f) => members[f]) }));
    const keys = await this.queue.add(
      sources.map((s) => ({ file: new File([s.blob], s.name, { type: s.type, lastModified: s.lastModified }), path: `${set.label} · ${s.name}` })),
      { set: started.target },
    );
    keys.forEach((k, i) => {
      blobs[i].key = k;
    });
    set.members.push(...members);
    set.blobs.push(...blobs);
    set.files = set.members.length;
    set.bytes = set.members.reduce((n, m) => n + m.blob.size, 0);
    set.blobKeys = set.blobs.map((b) => b.key);
    if (set.phase === 'starting' || set.phase === 'failed') set.phase = 'uploading';
    this.persist(set);
    this.changed();
    this.queueChanged();
  }

  /**
   * Unfinished sets from earlier visits, as sets waiting for their files (once). Those that can no
   * longer be completed are deleted on the server and forgotten, and so are saved blob uploads of
   * no set kept.
   */
  restore(): Promise<void> {
    this.restoring ??= this.restoreSaved().catch(() => undefined);
    return this.restoring;
  }

  private restoring: Promise<void> | null = null;

  private async restoreSaved(): Promise<void> {
    if (!this.store) return;
    const live = new Set(this.sets.map((s) => s.serverId).filter((id) => id !== undefined));
    this.sets.push(...(await restoreSets(this.store, this.api(), live, () => this.nextKey++)));
    this.changed();
  }

  /**
   * An unfinished set's files, picked again: each must be the file planned (set-resume.ts), else
   * nothing starts and the row says which file is missing or changed. Then every blob goes on —
   * one under way from its saved record, one never started as new — under the same set and link.
   */
  async resumeWith(key: number, picked: PickedFile[]): Promise<void> {
    const set = this.find(key);
    const saved = set?.saved;
    if (!set || !saved || set.phase !== 'unfinished') return;
    let started: StartedSet;
    let files: File[];
    try {
      files = matchMembers(saved.members, picked);
      started = startedOf(saved);
    } catch (error) {
      set.error = this.describe(error);
      return this.changed();
    }
    Object.assign(set, { saved: undefined, error: undefined, phase: 'starting', started: Promise.resolve(started) });
    this.changed();
    await reattach(this.queue, set, saved, files, started);
    // Cancelled while its blobs were being queued: they go too.
    if (this.find(key)?.phase === 'cancelled') return void (await Promise.all(set.blobKeys.map((k) => this.queue.cancel(k))));
    set.phase = 'uploading';
    this.changed();
    this.queueChanged();
  }

  pause(key: number): void {
    for (const k of this.find(key)?.blobKeys ?? []) this.queue.pause(k);
  }

  resume(key: number): void {
    for (const k of this.find(key)?.blobKeys ?? []) this.queue.resume(k);
  }

  retry(key: number): void {
    const set = this.find(key);
    if (set?.phase !== 'failed') return;
    set.phase = 'uploading';
    set.error = undefined;
    for (const k of set.blobKeys) this.queue.retry(k);
    this.changed();
    this.queueChanged();
  }

  /** Cancels every blob and deletes the set on the server (nothing of it stays). */
  async cancel(key: number): Promise<void> {
    const set = this.find(key);
    if (!set || set.phase === 'done' || set.phase === 'cancelled') return;
    const { saved } = set;
    set.phase = 'cancelled';
    this.changed();
    await Promise.all(set.blobKeys.map((k) => this.queue.cancel(k)));
    for (const b of set.blobs) if (b.record && this.store) await discardUpload(this.api(), this.store, b.record);
    const owner = saved ?? (await set.started.catch(() => null));
    if (owner)
      await this.api()
        .deleteSet(owner.id, owner.ownerToken)
        .catch(() => undefined);
    this.persist(set);
    await set.saving;
  }

  /** Deletes a finished set early, with its owner token. */
  async delete(key: number): Promise<void> {
    const set = this.find(key);
    if (!set?.id || !set.ownerToken) return;
    await this.api().deleteSet(set.id, set.ownerToken);
  }

  private find(key: number): PageSet | undefined {
    return this.sets.find((s) => s.key === key);
  }

  private fail(set: PageSet, error: unknown): void {
    if (set.phase === 'cancelled') return;
    set.phase = 'failed';
    set.error = this.describe(error);
    this.changed();
  }

  /** When every blob of an uploading set is done, its manifest is sealed and the set completed. */
  private queueChanged(): void {
    const entries = new Map(this.queue.getSnapshot().map((e) => [e.key, e]));
    for (const set of this.sets) {
      if (set.phase !== 'uploading' || set.blobs.length === 0) continue;
      let completed = false;
      for (const b of set.blobs) {
        const s = entries.get(b.key)?.state;
        if (b.result || s?.state !== 'done') continue;
        b.result = { id: s.result.id, messageId: s.result.messageId };
        completed = true;
      }
      // A blob complete is saved with its result: after a reload it is not uploaded again.
      if (completed) this.persist(set);
      const failed = set.blobs.map((b) => entries.get(b.key)?.state).find((s) => s?.state === 'failed');
      if (failed && failed.state === 'failed') {
        set.phase = 'failed';
        set.error = failed.message;
        this.changed();
        continue;
      }
      if (set.blobs.every((b) => b.result)) void this.finish(set);
    }
  }

  private async finish(set: PageSet): Promise<void> {
    set.phase = 'finishing';
    this.changed();
    try {
      const started = await set.started;
      // The blobs as they were uploaded (files added later were packed on their own).
      const members = set.blobs.flatMap((b) => b.members);
      const plan = planOf(set.blobs.map((b) => b.members));
      const results = set.blobs.map((b) => b.result as BlobResult);
      const done = await finishSet(this.api(), started, buildManifest(members, set.dirs, plan, results));
      Object.assign(set, { phase: 'done', linkPath: done.linkPath, expiresAt: done.expiresAt, id: started.id, ownerToken: started.ownerToken });
      this.persist(set);
      await set.saving;
      started.target.secret.fill(0);
      this.changed();
    } catch (error) {
      this.fail(set, error);
    }
  }

  /** Saves the set's plan (in order), or forgets it once it is done or cancelled. */
  private persist(set: PageSet): void {
    const { store } = this;
    if (!store) return;
    set.saving = set.saving
      .then(async () => {
        if (set.phase === 'done' || set.phase === 'cancelled') {
          if (set.serverId) await store.removeSet(set.serverId);
          return;
        }
        const started = await set.started;
        await store.putSet(savedOf(set, started));
      })
      .catch(() => undefined);
  }

  private changed(): void {
    this.snapshot = this.sets.map(viewOf);
    for (const listener of this.listeners) listener();
  }
}

const toMember = ({ file, path }: PickedFile): SetMember => ({ blob: file, path, type: file.type, modified: file.lastModified });
