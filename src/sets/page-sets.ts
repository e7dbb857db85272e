/**
 * The upload page's sets (docs/SETS.md): files chosen for one link. Each set is registered, its
 * files packed into blobs (upload-set.ts) that go through the page's one upload queue (so they
 * share its limits, pause, resume, retry and cancel), and once every blob is done its manifest is
 * sealed and the set completed: then it has its link. Files can be added to a set until it starts
 * finishing. No React here: the page subscribes and renders snapshots.
 */

import type { BlobPlan } from '../crypto/set-plan.ts';
import type { Api } from '../transfer/api.ts';
import type { QueueEntry, UploadQueue } from '../upload/queue.ts';
import type { UploadResult } from '../upload/uploader.ts';
import { buildManifest, finishSet, planSet, type SetMember, type StartedSet, startSet } from './upload-set.ts';

export type SetPhase = 'starting' | 'uploading' | 'finishing' | 'done' | 'failed' | 'cancelled';

/** A set as the page shows it. */
export interface SetView {
  key: number;
  /** the folder's name, or "N files" */
  label: string;
  files: number;
  bytes: number;
  phase: SetPhase;
  password: boolean;
  /** the queue entries of its blobs */
  blobKeys: number[];
  /** when done: the link's path and fragment, its expiry, and the owner token that deletes it */
  linkPath?: string;
  expiresAt?: number | null;
  id?: string;
  ownerToken?: string;
  error?: string;
}

type SetQueue = Pick<UploadQueue, 'add' | 'subscribe' | 'getSnapshot' | 'pause' | 'resume' | 'retry' | 'cancel'>;

interface PageSet extends SetView {
  members: SetMember[];
  dirs: string[];
  started: Promise<StartedSet>;
  /** per blob, in plan order: its queue key, and its result once done */
  blobs: { key: number; members: SetMember[]; result?: UploadResult }[];
}

export interface SetOptions {
  password?: string;
  expiresInSeconds?: number;
}

export class PageSets {
  private readonly sets: PageSet[] = [];
  private readonly listeners = new Set<() => void>();
  private snapshot: SetView[] = [];
  private nextKey = 1;

  constructor(
    private readonly queue: SetQueue,
    private readonly api: () => Api,
    private readonly describe: (error: unknown) => string,
  ) {
    queue.subscribe(() => this.queueChanged());
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): SetView[] => this.snapshot;

  /** One link for these files (and empty folders). */
  start(files: { file: File; path: string }[], dirs: string[], options: SetOptions, label: string): void {
    const members = files.map(toMember);
    const set: PageSet = {
      key: this.nextKey++,
      label,
      files: members.length,
      bytes: members.reduce((n, m) => n + m.blob.size, 0),
      phase: 'starting',
      password: Boolean(options.password),
      blobKeys: [],
      members: [],
      dirs,
      blobs: [],
      started: startSet(this.api(), options),
    };
    set.started.catch((error) => this.fail(set, error));
    this.sets.push(set);
    void this.addTo(set.key, files);
    this.changed();
  }

  /** Adds files to a set that has not begun finishing. */
  async addTo(key: number, files: { file: File; path: string }[]): Promise<void> {
    const set = this.find(key);
    if (!set || set.phase === 'finishing' || set.phase === 'done' || set.phase === 'cancelled') return;
    const members = files.map(toMember);
    const started = await set.started.catch(() => null);
    if (!started) return;
    const { plan, sources } = planSet(members);
    const blobs = plan.blobs.map((b) => ({ key: 0, members: b.files.map((f) => members[f]) }));
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
    set.phase = 'cancelled';
    this.changed();
    await Promise.all(set.blobKeys.map((k) => this.queue.cancel(k)));
    const started = await set.started.catch(() => null);
    if (started)
      await this.api()
        .deleteSet(started.id, started.ownerToken)
        .catch(() => undefined);
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
      const states = set.blobs.map((b) => entries.get(b.key)?.state);
      const failed = states.find((s) => s?.state === 'failed');
      if (failed && failed.state === 'failed') {
        set.phase = 'failed';
        set.error = failed.message;
        this.changed();
        continue;
      }
      if (states.every((s) => s?.state === 'done')) void this.finish(set, entries);
    }
  }

  private async finish(set: PageSet, entries: Map<number, QueueEntry>): Promise<void> {
    set.phase = 'finishing';
    this.changed();
    try {
      const started = await set.started;
      for (const b of set.blobs) {
        const s = entries.get(b.key)?.state;
        if (s?.state === 'done') b.result = s.result;
      }
      // The blobs as they were uploaded (files added later were packed on their own).
      const members = set.blobs.flatMap((b) => b.members);
      const plan = planOf(set.blobs.map((b) => b.members));
      const results = set.blobs.map((b) => b.result as UploadResult);
      const done = await finishSet(this.api(), started, buildManifest(members, set.dirs, plan, results));
      Object.assign(set, { phase: 'done', linkPath: done.linkPath, expiresAt: done.expiresAt, id: started.id, ownerToken: started.ownerToken });
      started.target.secret.fill(0);
      this.changed();
    } catch (error) {
      this.fail(set, error);
    }
  }

  private changed(): void {
    this.snapshot = this.sets.map(({ key, label, files, bytes, phase, password, blobKeys, linkPath, expiresAt, id, ownerToken, error }) => ({
      key,
      label,
      files,
      bytes,
      phase,
      password,
      blobKeys,
      linkPath,
      expiresAt,
      id,
      ownerToken,
      error,
    }));
    for (const listener of this.listeners) listener();
  }
}

/** The plan of blobs already made: each blob's members in order, one after another. */
function planOf(blobs: SetMember[][]): BlobPlan {
  const plan: BlobPlan = { blobs: [], placements: [] };
  let index = 0;
  blobs.forEach((members, blob) => {
    let offset = 0;
    plan.blobs.push({ size: members.reduce((n, m) => n + m.blob.size, 0), files: members.map(() => index++) });
    for (const m of members) {
      plan.placements.push({ blob, offset });
      offset += m.blob.size;
    }
  });
  return plan;
}

const toMember = ({ file, path }: { file: File; path: string }): SetMember => ({ blob: file, path, type: file.type, modified: file.lastModified });
