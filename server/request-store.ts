/**
 * Where a file request lives in the bucket. The server picks every key, from validated ids only:
 *
 *   <prefix>requests/<requestId>/request.json              the record (written once)
 *   <prefix>requests/<requestId>/closed                    present once its owner closed it
 *   <prefix>requests/<requestId>/files/<fileId>/slot.<n>   a file's reservation: n declared bytes
 *   <prefix>requests/<requestId>/files/<fileId>/data|meta  the file's objects (a scoped Storage)
 *
 * `requests` is not a file id, so nothing here is ever found through `/api/files/:id` nor swept as
 * a plain file. The state beside the record (closed, reservations) is separate objects rather than
 * fields rewritten in the record, so no process can lose another's change by rewriting it: one
 * listing of the folder is the request's state, and every process sees the same.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { bucketIo } from './bucket-io.ts';
import { isFileId } from './ids.ts';
import type { Storage } from './storage.ts';

export interface RequestRecord {
  v: 1;
  id: string;
  /** base64url SPKI DER */
  publicKey: string;
  /** base64url SHA-256 of the SPKI DER */
  fingerprint: string;
  sealedPrivateKey: string;
  card: string;
  /** ms since epoch */
  createdAt: number;
  expiresAt: number;
  maxFiles: number;
  maxBytes: number;
  /** the quota key of the access token that made it (limits.ts), so files sent to it count there too */
  quotaKey: string | null;
}

/** One file a request holds: its reservation, and its objects as far as they exist. */
export interface HeldFile {
  id: string;
  /** declared data bytes of its reservation, or null when it has none (being removed) */
  reserved: number | null;
  reservedAt: number | null;
  data: { size: number; modifiedAt: number | null } | null;
  meta: boolean;
}

export interface RequestContents {
  closed: boolean;
  files: HeldFile[];
}

export interface RequestStore {
  /** The files of one request, as a Storage: keys under its folder, never SSE-C. */
  files(requestId: string): Storage;
  create(record: RequestRecord): Promise<void>;
  read(requestId: string): Promise<RequestRecord | null>;
  /** One listing of the request's folder (the record aside). */
  contents(requestId: string): Promise<RequestContents>;
  /** The declared bytes of a file's reservation, or null without one. */
  reservation(requestId: string, fileId: string): Promise<number | null>;
  reserve(requestId: string, fileId: string, bytes: number, expiresAt: number): Promise<void>;
  release(requestId: string, fileId: string): Promise<void>;
  close(requestId: string, expiresAt: number): Promise<void>;
  /** A file's objects and reservation, and its multipart upload where the store can list it. */
  removeFile(requestId: string, fileId: string): Promise<void>;
  /** The record first (no upload gets in after), then everything in the folder. */
  removeAll(requestId: string): Promise<void>;
  /** Every request id with objects in the bucket, record or not. */
  listIds(): AsyncIterable<string>;
}

const SLOT = /^slot\.(\d{1,16})$/;
const RECORD = 'request.json';
const CLOSED = 'closed';

export function createRequestStore(client: S3Client, Bucket: string, prefix: string, scoped: (folder: string) => Storage): RequestStore {
  const root = `${prefix}requests/`;
  const folder = (id: string) => {
    if (!isFileId(id)) throw new Error('request keys need a validated request id');
    return `${root}${id}/`;
  };
  const fileFolder = (id: string, fileId: string) => {
    if (!isFileId(fileId)) throw new Error('request keys need a validated file id');
    return `${folder(id)}files/${fileId}/`;
  };
  const io = bucketIo(client, Bucket);
  const put = (Key: string, body: string, expiresAt: number) => io.put(Key, body, expiresAt);
  const { remove, list } = io;
  const files = (id: string) => scoped(`requests/${id}/files/`);

  return {
    files,
    create: (record) => put(`${folder(record.id)}${RECORD}`, JSON.stringify(record), record.expiresAt).then(() => undefined),
    read: (id) => io.readJson<RequestRecord>(`${folder(id)}${RECORD}`, (r) => r.v === 1 && r.id === id),
    async contents(id) {
      const byId = new Map<string, HeldFile>();
      let closed = false;
      for await (const { name, size, modifiedAt } of list(folder(id))) {
        if (name === CLOSED) closed = true;
        const [area, fileId, role, ...rest] = name.split('/');
        if (area !== 'files' || !isFileId(fileId) || rest.length) continue;
        const file = byId.get(fileId) ?? { id: fileId, reserved: null, reservedAt: null, data: null, meta: false };
        byId.set(fileId, file);
        const slot = SLOT.exec(role);
        if (slot) [file.reserved, file.reservedAt] = [Number(slot[1]), modifiedAt];
        else if (role === 'data') file.data = { size, modifiedAt };
        else if (role === 'meta') file.meta = true;
      }
      return { closed, files: [...byId.values()] };
    },
    async reservation(id, fileId) {
      for await (const { name } of list(fileFolder(id, fileId))) {
        const slot = SLOT.exec(name);
        if (slot) return Number(slot[1]);
      }
      return null;
    },
    reserve: (id, fileId, bytes, expiresAt) => put(`${fileFolder(id, fileId)}slot.${bytes}`, '', expiresAt).then(() => undefined),
    async release(id, fileId) {
      const under = fileFolder(id, fileId);
      for await (const { name } of list(under)) if (SLOT.test(name)) await remove(`${under}${name}`);
    },
    close: (id, expiresAt) => put(`${folder(id)}${CLOSED}`, '', expiresAt).then(() => undefined),
    async removeFile(id, fileId) {
      const store = files(id);
      for (const upload of (await store.listUnfinished()) ?? []) if (upload.id === fileId) await store.abort(fileId, upload.uploadId);
      const under = fileFolder(id, fileId);
      for await (const { name } of list(under)) await remove(`${under}${name}`);
    },
    async removeAll(id) {
      const under = folder(id);
      await remove(`${under}${RECORD}`);
      const store = files(id);
      for (const upload of (await store.listUnfinished()) ?? []) await store.abort(upload.id, upload.uploadId);
      for await (const { name } of list(under)) await remove(`${under}${name}`);
    },
    async *listIds() {
      let last = '';
      for await (const { name } of list(root)) {
        const id = name.split('/')[0];
        // Keys come sorted, so one request's keys are together.
        if (id !== last && isFileId(id)) yield id;
        last = id;
      }
    },
  };
}
