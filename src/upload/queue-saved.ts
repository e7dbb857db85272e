/**
 * What the upload queue keeps in the ResumeStore and takes back from it (queue.ts): which saved
 * records a page restores, gives up or leaves to its sets, saving a file's record in order, and
 * giving an unfinished upload up for good.
 */
import type { Api } from '../transfer/api.ts';
import { takeBackDigests } from './part-digest.ts';
import type { Entry } from './queue-run.ts';
import type { ResumeStore, SavedUpload } from './resume-store.ts';
import type { UploadRecord } from './uploader.ts';

/**
 * What a page does with a saved record: restore it as a file waiting to be picked again, give it
 * up (stale), or leave it alone — another page's (a request's), or a set's blob, which the page's
 * sets take back with their plan (sets/page-sets.ts).
 */
export function savedFate(saved: SavedUpload, requestId: string | undefined, now = Date.now()): 'restore' | 'discard' | 'leave' {
  const { record } = saved;
  if (record.requestId !== requestId || record.setId) return 'leave';
  // Records from before upload tickets, or past their ticket's life, can no longer be resumed.
  const stale = !record.ticket || !(record.resumableUntil > now);
  if (stale || (record.expiresAt !== null && record.expiresAt <= now)) return 'discard';
  // Saved by an older version: part digests made ready, or the file held to start afresh (part-digest.ts).
  takeBackDigests(record);
  return 'restore';
}

/**
 * Saves the entry's record after the saves before it. `forgetOnFailure`, for a part's new
 * part digest (saved before the part is sent): if the store refuses the record, the saved
 * one is removed instead, for after a reload that older record, lacking the digest, would let the
 * part be sealed again over other bytes.
 */
export function saveEntry(store: ResumeStore, entry: Entry, forgetOnFailure = false): Promise<void> {
  const record = entry.record;
  if (!record) return entry.saving;
  const saved: SavedUpload = { id: record.id, path: entry.path, savedAt: Date.now(), record };
  const put = entry.saving.then(() => store.put(saved));
  entry.saving = (forgetOnFailure ? put.catch(() => store.remove(record.id)) : put).catch(() => undefined);
  return entry.saving;
}

/** Aborts an unfinished upload in the store and forgets it. */
export async function discardUpload(api: Pick<Api, 'abort'>, store: Pick<ResumeStore, 'remove'>, record: UploadRecord): Promise<void> {
  await api.abort(record).catch(() => undefined);
  await store.remove(record.id).catch(() => undefined);
}
