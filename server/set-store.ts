/**
 * Where a set (docs/SETS.md) lives in the bucket. The server picks every key, from validated ids only:
 *
 *   <prefix>sets/<setId>/set.json               the record (written once)
 *   <prefix>sets/<setId>/slots/<blobId>         one per blob upload started (what MAX_SET_BLOBS counts)
 *   <prefix>sets/<setId>/blobs/<blobId>/data    a blob's data object (a scoped Storage; blobs have no meta)
 *   <prefix>sets/<setId>/manifest               the sealed manifest (the uploader's presigned PUT)
 *   <prefix>sets/<setId>/complete.json          written once, when the set completes: the blobs it serves
 *
 * `sets` is not a file id, so nothing here is ever found through `/api/files/:id` nor swept as a
 * plain file. A set is served only once complete.json exists, and only the blobs it names.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { MANIFEST_URL_SECONDS } from '../src/contract/limits.ts';
import { bucketIo } from './bucket-io.ts';
import type { S3Settings } from './config.ts';
import { isFileId } from './ids.ts';
import type { ObjectOps, ObjectStat, PresignedPut } from './object-ops.ts';
import type { Storage } from './storage.ts';

export interface SetRecord {
  v: 1;
  id: string;
  /** ms since epoch */
  createdAt: number;
  /** ms since epoch, or null: never */
  expiresAt: number | null;
  /** ms since epoch: the set must be complete by then (its ticket's end) */
  until: number;
  /** the quota key of the access token that made it (limits.ts): its blobs count there too */
  quotaKey: string | null;
  /** its objects are SSE-C encrypted (the server's setting when it was made) */
  customerKey: boolean;
}

export interface SetCompletion {
  v: 1;
  /** the blobs served, in the uploader's order; `size`: ciphertext bytes */
  blobs: { id: string; size: number }[];
  completedAt: number;
}

export interface SetStore {
  /** A set's blobs, as a Storage: keys under its folder. */
  blobs(setId: string): Storage;
  create(record: SetRecord): Promise<void>;
  read(setId: string): Promise<SetRecord | null>;
  completion(setId: string): Promise<SetCompletion | null>;
  /** Writes the completion once; false when one was already there (then read it). */
  complete(setId: string, completion: SetCompletion, expiresAt: number | null): Promise<boolean>;
  /** Blob ids with a slot. */
  slots(setId: string): Promise<string[]>;
  hasSlot(setId: string, blobId: string): Promise<boolean>;
  addSlot(setId: string, blobId: string, expiresAt: number | null): Promise<void>;
  removeSlot(setId: string, blobId: string): Promise<void>;
  /** The data objects of the set's blobs, complete ones only: id → ciphertext bytes. */
  blobSizes(setId: string): Promise<Map<string, number>>;
  presignManifestPut(setId: string, size: number, expiresAt: number | null): Promise<PresignedPut>;
  manifest(setId: string): Promise<ObjectStat | null>;
  presignManifestGet(setId: string, customerKey: boolean): Promise<string>;
  /** A blob's slot, data object and unfinished multipart upload (where the store can list it). */
  removeBlob(setId: string, blobId: string): Promise<void>;
  /** The record first (nothing more gets in), unfinished uploads, then everything in the folder. */
  removeAll(setId: string): Promise<void>;
  /** Every set id with objects in the bucket, record or not. */
  listIds(): AsyncIterable<string>;
}

const RECORD = 'set.json';
const COMPLETION = 'complete.json';
const MANIFEST = 'manifest';

export function createSetStore(client: S3Client, settings: S3Settings, prefix: string, ops: ObjectOps, scoped: (folder: string) => Storage): SetStore {
  const io = bucketIo(client, settings.bucket);
  const root = `${prefix}sets/`;
  const folder = (id: string) => {
    if (!isFileId(id)) throw new Error('set keys need a validated set id');
    return `${root}${id}/`;
  };
  const slot = (id: string, blobId: string) => {
    if (!isFileId(blobId)) throw new Error('set keys need a validated blob id');
    return `${folder(id)}slots/${blobId}`;
  };
  const blobs = (id: string) => scoped(`sets/${id}/blobs/`);
  const remove = (Key: string) => ops.remove(Key);
  async function abortUnfinished(id: string, only?: string) {
    const store = blobs(id);
    for (const upload of (await store.listUnfinished()) ?? []) if (only === undefined || upload.id === only) await store.abort(upload.id, upload.uploadId);
  }

  return {
    blobs,
    create: (record) => io.put(`${folder(record.id)}${RECORD}`, JSON.stringify(record), record.expiresAt).then(() => undefined),
    read: (id) => io.readJson<SetRecord>(`${folder(id)}${RECORD}`, (r) => r.v === 1 && r.id === id),
    completion: (id) => io.readJson<SetCompletion>(`${folder(id)}${COMPLETION}`, (c) => c.v === 1 && Array.isArray(c.blobs)),
    complete: (id, completion, expiresAt) => io.put(`${folder(id)}${COMPLETION}`, JSON.stringify(completion), expiresAt, true),
    async slots(id) {
      const ids: string[] = [];
      for await (const { name } of io.list(`${folder(id)}slots/`)) if (isFileId(name)) ids.push(name);
      return ids;
    },
    async hasSlot(id, blobId) {
      for await (const { name } of io.list(slot(id, blobId))) if (name === '') return true;
      return false;
    },
    addSlot: (id, blobId, expiresAt) => io.put(slot(id, blobId), '', expiresAt).then(() => undefined),
    removeSlot: (id, blobId) => remove(slot(id, blobId)),
    async blobSizes(id) {
      const sizes = new Map<string, number>();
      for await (const { name, size } of io.list(`${folder(id)}blobs/`)) {
        const [blobId, role, ...rest] = name.split('/');
        if (isFileId(blobId) && role === 'data' && rest.length === 0) sizes.set(blobId, size);
      }
      return sizes;
    },
    // Not write-once: the uploader may PUT it again (a retry, a set that grew) until the set is complete.
    presignManifestPut: (id, size, expiresAt) =>
      ops.presignPut(`${folder(id)}${MANIFEST}`, size, expiresAt, { seconds: MANIFEST_URL_SECONDS, writeOnce: false }),
    manifest: (id) => ops.stat(`${folder(id)}${MANIFEST}`),
    presignManifestGet: (id, customerKey) => ops.presignGet(`${folder(id)}${MANIFEST}`, customerKey),
    async removeBlob(id, blobId) {
      await abortUnfinished(id, blobId);
      await Promise.all([blobs(id).remove(blobId, 'data'), remove(slot(id, blobId))]);
    },
    async removeAll(id) {
      const under = folder(id);
      await remove(`${under}${RECORD}`);
      await abortUnfinished(id);
      for await (const { name } of io.list(under)) await remove(`${under}${name}`);
    },
    async *listIds() {
      let last = '';
      for await (const { name } of io.list(root)) {
        const id = name.split('/')[0];
        // Keys come sorted, so one set's keys are together.
        if (id !== last && isFileId(id)) yield id;
        last = id;
      }
    },
  };
}
