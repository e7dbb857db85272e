/**
 * Deletes what should no longer be there. Expiry lives with the objects, so any process may
 * sweep, at start and periodically; until a file is swept the API already answers 410 for it.
 * Besides expired files it removes what abandoned uploads leave: multipart uploads never
 * completed, and a meta object without its data object (or the reverse), once older than
 * UNFINISHED_UPLOAD_SECONDS — by then the upload's ticket no longer works, so nothing can finish it.
 * File requests and sets are swept by their own rules (sweepRequests, sweepSets).
 */
import { UNFINISHED_UPLOAD_SECONDS } from '../src/contract/limits.ts';
import type { RequestStore } from './request-store.ts';
import type { SetStore } from './set-store.ts';
import type { Storage } from './storage.ts';

export const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
const ABANDONED_MS = UNFINISHED_UPLOAD_SECONDS * 1000;

export interface SweepResult {
  /** files deleted because they expired */
  expired: string[];
  /** ids whose half-made objects were removed (one of meta and data without the other) */
  orphaned: string[];
  /** multipart uploads aborted because they were abandoned */
  aborted: string[];
  /** file requests, where the store has them */
  requests?: RequestSweepResult;
  /** sets, where the store has them */
  sets?: SetSweepResult;
}

export interface SetSweepResult {
  /** sets deleted with every blob because they expired */
  expired: string[];
  /** sets never completed within UNFINISHED_UPLOAD_SECONDS: removed */
  abandoned: string[];
  /** set folders left without their record (a delete raced an upload): removed */
  leftover: string[];
}

export interface RequestSweepResult {
  /** requests deleted with every file because they expired */
  expired: string[];
  /** request folders left without their record (a delete raced an upload): removed */
  leftover: string[];
  /** `requestId/fileId` of reservations whose upload was abandoned: released */
  released: string[];
  /** what their files' abandoned uploads left, by request id (as `sweep` for plain files) */
  files: Record<string, Omit<SweepResult, 'requests' | 'expired'>>;
}

export async function sweep(storage: Storage, now = Date.now()): Promise<SweepResult> {
  const result: SweepResult = { expired: [], orphaned: [], aborted: [] };
  const old = (at: number | null) => at !== null && at <= now - ABANDONED_MS;
  for await (const id of storage.listIds()) {
    const [meta, data] = await Promise.all([storage.stat(id, 'meta'), storage.stat(id, 'data')]);
    const expiresAt = meta?.expiresAt ?? data?.expiresAt ?? null;
    if (expiresAt !== null && expiresAt <= now) {
      await Promise.all([storage.remove(id, 'data'), storage.remove(id, 'meta')]);
      result.expired.push(id);
    } else if ((meta && !data && old(meta.modifiedAt)) || (data && !meta && old(data.modifiedAt))) {
      await Promise.all([storage.remove(id, 'data'), storage.remove(id, 'meta')]);
      result.orphaned.push(id);
    }
  }
  for (const upload of (await storage.listUnfinished()) ?? []) {
    if (!old(upload.startedAt)) continue;
    await storage.abort(upload.id, upload.uploadId);
    result.aborted.push(upload.id);
  }
  if (storage.requests) result.requests = await sweepRequests(storage.requests, now);
  if (storage.sets) result.sets = await sweepSets(storage.sets, now);
  return result;
}

/**
 * Expired requests go with all their files (their files expire with them anyway); in live ones,
 * abandoned uploads are cleared as plain files' are, and their reservations given back.
 */
export async function sweepRequests(store: RequestStore, now = Date.now()): Promise<RequestSweepResult> {
  const result: RequestSweepResult = { expired: [], leftover: [], released: [], files: {} };
  const old = (at: number | null) => at !== null && at <= now - ABANDONED_MS;
  for await (const id of store.listIds()) {
    const record = await store.read(id);
    if (!record || record.expiresAt <= now) {
      await store.removeAll(id);
      (record ? result.expired : result.leftover).push(id);
      continue;
    }
    const { expired: _, requests: __, ...files } = await sweep(store.files(id), now);
    if (files.orphaned.length || files.aborted.length) result.files[id] = files;
    for (const file of (await store.contents(id)).files) {
      if (file.data === null && old(file.reservedAt)) {
        await store.removeFile(id, file.id);
        result.released.push(`${id}/${file.id}`);
      }
    }
  }
  return result;
}

/**
 * Expired sets go with all their blobs; so do sets not completed by their ticket's end (nothing
 * can complete them then). A complete set's blobs are left alone: they have no meta object, which
 * `sweep` would take for an abandoned upload.
 */
export async function sweepSets(store: SetStore, now = Date.now()): Promise<SetSweepResult> {
  const result: SetSweepResult = { expired: [], abandoned: [], leftover: [] };
  for await (const id of store.listIds()) {
    const record = await store.read(id);
    const list = !record
      ? result.leftover
      : record.expiresAt !== null && record.expiresAt <= now
        ? result.expired
        : record.until <= now && !(await store.completion(id))
          ? result.abandoned
          : null;
    if (!list) continue;
    await store.removeAll(id);
    list.push(id);
  }
  return result;
}

/** Expired files only (the admin command's `sweep`, and older callers). */
export async function sweepExpired(storage: Storage, now = Date.now()): Promise<string[]> {
  return (await sweep(storage, now)).expired;
}

/**
 * Sweeps now and every `interval` ms; returns a stop function. A run never overlaps the previous
 * one (a slow store could otherwise pile runs up). Failures are logged, never thrown.
 */
export function startSweeper(storage: Storage, log: (line: string) => void, interval = SWEEP_INTERVAL_MS): () => void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const { expired, orphaned, aborted, requests, sets } = await sweep(storage);
      if (expired.length) log(`sweeper: deleted ${expired.length} expired file(s)`);
      if (requests?.expired.length) log(`sweeper: deleted ${requests.expired.length} expired file request(s) and their files`);
      if (requests?.released.length) log(`sweeper: gave back ${requests.released.length} reservation(s) of abandoned uploads to requests`);
      if (sets?.expired.length) log(`sweeper: deleted ${sets.expired.length} expired set(s) and their blobs`);
      if (sets?.abandoned.length) log(`sweeper: removed ${sets.abandoned.length} set(s) never completed`);
      if (orphaned.length) log(`sweeper: removed what ${orphaned.length} abandoned upload(s) left`);
      if (aborted.length) log(`sweeper: aborted ${aborted.length} abandoned multipart upload(s)`);
    } catch (error) {
      log(`sweeper: ${(error as Error).message}`);
    } finally {
      running = false;
    }
  };
  void run();
  const timer = setInterval(run, interval);
  timer.unref();
  return () => clearInterval(timer);
}
