/**
 * Sets (docs/SETS.md): a set's state as the routes need it, taking a slot for a blob upload, and
 * completing. The routes are in routes/sets.ts and routes/uploads.ts. Within one process, a set's
 * slots and its completion run one at a time (keyed-mutex.ts); across processes, a slot is checked
 * again after it is written, and the completion is written once (`If-None-Match: *`).
 */
import { MAX_SET_BLOBS } from '../src/contract/limits.ts';
import { ApiError } from './errors.ts';
import { type KeyedMutex, keyedMutex } from './keyed-mutex.ts';
import type { SetCompletion, SetRecord, SetStore } from './set-store.ts';

/** A set that exists and has not expired: 404 SetNotFound, 410 SetExpired otherwise. */
export async function liveSet(store: SetStore, id: string, now = Date.now()): Promise<SetRecord> {
  const record = await store.read(id);
  if (!record) throw new ApiError('SetNotFound', 'No set with this id (never made, deleted or expired)');
  if (record.expiresAt !== null && record.expiresAt <= now) throw new ApiError('SetExpired', 'This set has expired');
  return record;
}

/** A live set still taking blobs and its manifest: 409 AlreadyComplete once complete. */
export async function openSet(store: SetStore, id: string): Promise<SetRecord> {
  const record = await liveSet(store, id);
  if (await store.completion(id)) throw new ApiError('AlreadyComplete', 'This set is complete: it takes no more blobs, and its manifest is final');
  return record;
}

const sameBlobs = (completion: SetCompletion, blobs: readonly string[]) =>
  completion.blobs.length === blobs.length && completion.blobs.every((b, i) => b.id === blobs[i]);

export interface Sets {
  /**
   * Takes a slot in the set for blob `blobId`, or refuses (404, 410, 409, 413 SetFull); returns the
   * set's record. Across processes, each checks again after writing its slot and withdraws it
   * when the set is then over MAX_SET_BLOBS (both racers may; neither ever gets through over it).
   */
  reserve(setId: string, blobId: string): Promise<SetRecord>;
  /**
   * Completes the set with exactly `blobs` (idempotent: the same list again answers the same),
   * or refuses: 409 SetIncomplete unless each is a complete blob of this set and the manifest is
   * there, 409 AlreadyComplete for another list. The set's other blobs are removed.
   */
  complete(record: SetRecord, blobs: readonly string[]): Promise<SetCompletion>;
}

/** `maxBlobs`: MAX_SET_BLOBS, lower only in tests. */
export function sets(store: SetStore, mutex: KeyedMutex = keyedMutex(), maxBlobs = MAX_SET_BLOBS): Sets {
  const full = () => new ApiError('SetFull', `A set holds at most ${maxBlobs} blob uploads`);

  /** Blobs, slots and unfinished uploads of the set that the completion does not name. */
  async function removeUnlisted(id: string, completion: SetCompletion) {
    const listed = new Set(completion.blobs.map((b) => b.id));
    const unfinished = ((await store.blobs(id).listUnfinished()) ?? []).map((u) => u.id);
    const present = new Set([...(await store.slots(id)), ...(await store.blobSizes(id)).keys(), ...unfinished]);
    for (const blobId of present) if (!listed.has(blobId)) await store.removeBlob(id, blobId);
  }

  return {
    reserve: (setId, blobId) =>
      mutex(setId, async () => {
        const record = await openSet(store, setId);
        if ((await store.slots(setId)).length >= maxBlobs) throw full();
        await store.addSlot(setId, blobId, record.expiresAt);
        const after = await store.slots(setId);
        if (after.length > maxBlobs || (await store.completion(setId))) {
          await store.removeSlot(setId, blobId);
          throw after.length > maxBlobs ? full() : new ApiError('AlreadyComplete', 'This set was just completed');
        }
        return record;
      }),

    complete: (record, blobs) =>
      mutex(record.id, async () => {
        const { id } = record;
        let completion = await store.completion(id);
        if (!completion) {
          const sizes = await store.blobSizes(id);
          const missing = blobs.find((blobId) => !sizes.has(blobId));
          if (missing !== undefined) throw new ApiError('SetIncomplete', `Blob ${missing} is not a complete blob of this set`);
          if ((await store.manifest(id)) === null) throw new ApiError('SetIncomplete', 'Upload the manifest before completing the set');
          const wanted: SetCompletion = { v: 1, blobs: blobs.map((blobId) => ({ id: blobId, size: sizes.get(blobId) ?? 0 })), completedAt: Date.now() };
          // Another process may have completed it meanwhile: then its list is the set's.
          completion = (await store.complete(id, wanted, record.expiresAt)) ? wanted : await store.completion(id);
          if (!completion) throw new ApiError('StorageUnavailable', `The completion of set ${id} could not be read back`);
        }
        if (!sameBlobs(completion, blobs)) throw new ApiError('AlreadyComplete', 'This set was completed with other blobs');
        // Also on a repeat: what an interrupted first attempt left is removed now.
        await removeUnlisted(id, completion);
        return completion;
      }),
  };
}
