/**
 * Uploads one file in three restartable steps: `startUpload` (plan parts, create the upload, seal
 * and PUT the meta object) returns an `UploadRecord` — everything needed to go on later, even
 * after a reload; `sendParts` sends the parts the record does not list as done through the runner
 * (a worker pool in the page, the same thread in Node), where each part is sealed, signed, PUT and
 * retried by `sendPart` (send-part.ts), never more at once than the limiter allows (so never more
 * in memory); `completeUpload` finishes. `uploadFile` runs all three for the CLI and the library.
 */
import type { CreateUploadResponse, PartUrlsResponse } from '../contract/api.ts';
import { toBase64Url } from '../crypto/bytes.ts';
import { DEFAULT_FRAME_LENGTH, sealedHeaderLength } from '../crypto/format.ts';
import { createMessage } from '../crypto/message.ts';
import { decodeLinkSecret, encodeLinkSecret } from '../crypto/objects.ts';
import { customerKeyHeaders } from '../crypto/sse-c.ts';
import { LinkError, TransferError } from '../errors.ts';
import { type PartPlan, partLayout } from '../layout.ts';
import type { Api } from '../transfer/api.ts';
import { expectStatus, request } from '../transfer/http.ts';
import { Limiter } from '../transfer/limit.ts';
import type { PartRunner } from '../transfer/parts.ts';
import { withRetries } from '../transfer/retry.ts';
import { createMultipart, PartUrls } from './multipart.ts';
import { noPartDigests, recordedPartDigest, recordPartDigest } from './part-digest.ts';
import { aesGcmSealer } from './sealer.ts';
import { plannedMetaSize, type RequestTarget, type SetTarget, STAND_IN_ID, uploadMode } from './upload-mode.ts';
import type { StartOptions, UploadOptions, UploadRecord, UploadResult, UploadSource } from './upload-record.ts';

export type { RequestTarget, SetTarget, StartOptions, UploadOptions, UploadRecord, UploadResult, UploadSource };

export const DEFAULT_PARTS_IN_FLIGHT = 4;

/**
 * The part URLs a create answer carried (its first batch), for the first `sendParts` of the record
 * it made, which takes them: they live in memory only, never in the saved record, so a record
 * resumed after a reload fetches its batches as before. One that expired is signed again (403,
 * send-part.ts) like any batch URL.
 */
const createdPartUrls = new WeakMap<UploadRecord, PartUrlsResponse['urls']>();

export async function startUpload(source: UploadSource, options: StartOptions): Promise<UploadRecord> {
  const { api, signal } = options;
  const size = source.blob.size;
  const frameLength = options.frameLength ?? DEFAULT_FRAME_LENGTH;
  const mode = await uploadMode({ name: source.name, type: source.type, size, lastModified: source.lastModified }, options);
  const headerLength = sealedHeaderLength(mode.dataContext(STAND_IN_ID), mode.keyring);
  const parts = (options.sealer ?? aesGcmSealer).plan(size, frameLength, headerLength, options.partPlaintextSize);
  // The server signs the meta PUT for its exact size, before the id it is sealed under exists.
  const metaSize = await plannedMetaSize(mode);
  const created = await api.createUpload({ ...partLayout(parts, headerLength), metaSize, ...mode.createFields }, signal);
  const { id, expiresAt } = created;
  const { secret } = mode;
  // Under SSE-C every store request carries the file's customer key (derived from the link secret).
  if (created.customerKey && !secret)
    throw new TransferError('Api', 'The server asked for SSE-C on a file request, which has no link secret to derive it from');
  const storeHeaders = created.customerKey && secret ? await customerKeyHeaders(secret) : undefined;
  let uploadId = created.uploadId ?? '';
  try {
    if (created.create) uploadId = await createMultipart(created.create, storeHeaders, signal);
    const message = await createMessage(mode.keyring, mode.dataContext(id), frameLength);
    if (message.header.byteLength !== headerLength) throw new Error('header length differs from the plan');
    if (mode.sealMeta) await putMeta(await mode.sealMeta(id, message.messageId), metaSize, created, storeHeaders, signal);
    const encoded = secret ? encodeLinkSecret(secret) : '';
    if (mode.ownsSecret) secret?.fill(0);
    const record: UploadRecord = {
      id,
      uploadId,
      ownerToken: created.ownerToken,
      ticket: created.ticket,
      resumableUntil: created.resumableUntil,
      expiresAt,
      secret: encoded,
      requestId: mode.requestId,
      setId: mode.setId,
      password: mode.password,
      customerKey: Boolean(created.customerKey),
      partChecksum: created.partChecksum ?? null,
      source: { name: source.name, type: source.type, size, lastModified: source.lastModified },
      fingerprint: options.fingerprint ?? null,
      keys: { contentKey: message.contentKey, messageId: message.messageId, frameLength },
      header: message.header,
      parts,
      done: [],
      partDigests: noPartDigests(parts.length),
    };
    // Signed for the server's own uploadId, without checksums: what PartUrls fetches too.
    if (created.partUrls && created.uploadId && !record.partChecksum) createdPartUrls.set(record, created.partUrls);
    return record;
  } catch (error) {
    if (uploadId) await api.abort({ id, uploadId, ticket: created.ticket, ownerToken: created.ownerToken }).catch(() => undefined);
    throw error;
  }
}

/** PUTs the sealed meta object to the URL signed for exactly its planned size. */
async function putMeta(
  meta: Uint8Array<ArrayBuffer>,
  metaSize: number,
  created: CreateUploadResponse,
  storeHeaders: Record<string, string> | undefined,
  signal?: AbortSignal,
): Promise<void> {
  if (meta.byteLength !== metaSize) throw new Error('meta object length differs from the plan');
  if (!created.metaUrl) throw new TransferError('Api', 'The server gave no upload link for the file details');
  const { metaUrl } = created;
  const headers = { ...created.metaHeaders, ...storeHeaders };
  await withRetries(
    async () => expectStatus(await request(metaUrl, { method: 'PUT', body: meta, headers, signal }), [200], 'Upload of the file details'),
    async () => {
      throw new TransferError('HttpStatus', 'The upload link for the file details expired', 403);
    },
    signal,
  );
}

export interface SendOptions {
  api: Api;
  runner: PartRunner;
  /** the queue's limit on parts in flight, shared by every file */
  limiter: Limiter;
  signal?: AbortSignal;
  /** after each acknowledged part (the record's `done` already lists it) */
  onPart?: (record: UploadRecord) => void;
  /**
   * Before each PUT of a part, once `partDigests` holds its digest: resolves when the record is
   * saved, for the part is sent only then (part-digest.ts). Without it the record lives in memory only.
   */
  onDigest?: (record: UploadRecord) => Promise<void>;
}

/** Plaintext bytes of the parts the record lists as done. */
export function bytesDone(record: UploadRecord): number {
  const done = new Set(record.done.map((p) => p.partNumber));
  return record.parts.reduce((n, p) => n + (done.has(p.partNumber) ? p.plainEnd - p.plainStart : 0), 0);
}

function decodeSecret(encoded: string): Uint8Array {
  const secret = decodeLinkSecret(encoded);
  if (!secret) throw new LinkError('BadLink', 'The saved upload has a damaged key');
  return secret;
}

/**
 * Seals and PUTs every part the record does not list as done. The blob must be the file the
 * record was started with (the caller checks the fingerprint); a part sealed before whose bytes
 * differ now is refused with SourceChanged, and the upload must start afresh with a new key.
 * Parts finish in any order.
 */
export async function sendParts(record: UploadRecord, blob: Blob, { api, runner, limiter, signal, onPart, onDigest }: SendOptions): Promise<void> {
  const storeHeaders = record.customerKey ? await customerKeyHeaders(decodeSecret(record.secret)) : undefined;
  // The first failure (or the caller's abort) stops every lane; this returns only when all have
  // stopped, so a paused file has nothing left in flight. Unfinished parts are sent again later.
  const local = new AbortController();
  const laneSignal = signal ? AbortSignal.any([signal, local.signal]) : local.signal;
  const signed = createdPartUrls.get(record);
  createdPartUrls.delete(record);
  const urls = new PartUrls(api, record, record.parts.length, laneSignal, signed);
  const finished = new Set(record.done.map((p) => p.partNumber));
  const todo = record.parts.filter((p) => !finished.has(p.partNumber));
  // The first seal of a part records its digest; a later one with other bytes throws SourceChanged.
  const recordDigest = (partNumber: number) => async (digest: Uint8Array) => {
    recordPartDigest(record.partDigests, partNumber, digest);
    await onDigest?.(record);
  };
  const send = async (part: PartPlan) =>
    runner.sendPart(
      {
        file: blob,
        part,
        keys: record.keys,
        header: part.includesHeader ? record.header : undefined,
        // Read at each send: a part sealed before must present the same bytes.
        partDigest: recordedPartDigest(record.partDigests, part.partNumber),
        upload: { id: record.id, ticket: record.ticket, uploadId: record.uploadId },
        // With a checksum, each part is signed once sealed (its digest is part of the signature).
        url: record.partChecksum ? undefined : await urls.get(part.partNumber),
        checksum: record.partChecksum,
        headers: storeHeaders,
      },
      { api, recordDigest: recordDigest(part.partNumber), signal: laneSignal },
    );
  let next = 0;
  const lane = async () => {
    while (next < todo.length) {
      const release = await limiter.acquire(laneSignal);
      try {
        if (next >= todo.length) return;
        const part = todo[next++];
        const { etag } = await send(part);
        record.done.push({ partNumber: part.partNumber, etag });
        onPart?.(record);
      } catch (error) {
        local.abort(error);
        throw error;
      } finally {
        release();
      }
    }
  };
  // One lane per slot the limiter can grant: a lane holds a slot only while its part is in flight.
  const results = await Promise.allSettled(Array.from({ length: Math.min(limiter.size, todo.length) }, lane));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw signal?.aborted ? new TransferError('Aborted', 'Cancelled') : (local.signal.reason ?? failed.reason);
}

/**
 * Before resuming: where the store can list the parts it holds (ListParts), its list is the
 * truth — a part that arrived just before the page died counts, one the store lost does not.
 * Elsewhere (s3rver) the record's own list stands. Only parts of exactly the planned size count.
 */
export async function reconcile(record: UploadRecord, api: Api, signal?: AbortSignal): Promise<UploadRecord> {
  const listed = await api.uploadedParts(record, signal);
  if (!listed.supported) return record;
  const planned = new Map(record.parts.map((p) => [p.partNumber, p.cipherSize]));
  const done = listed.parts.filter((p) => planned.get(p.partNumber) === p.size).map(({ partNumber, etag }) => ({ partNumber, etag }));
  return { ...record, done };
}

export async function completeUpload(record: UploadRecord, api: Api, signal?: AbortSignal): Promise<UploadResult> {
  const parts = [...record.done].sort((a, b) => a.partNumber - b.partNumber);
  if (parts.length !== record.parts.length || parts.some((p, i) => p.partNumber !== i + 1)) {
    throw new Error(`upload ${record.id} is not finished: ${parts.length} of ${record.parts.length} parts`);
  }
  await api.complete(record, parts, signal);
  return {
    id: record.id,
    secret: record.secret,
    linkPath: record.requestId || record.setId ? '' : `/d/${record.id}#${record.secret}`,
    expiresAt: record.expiresAt,
    ownerToken: record.ownerToken,
    requestId: record.requestId,
    setId: record.setId,
    messageId: toBase64Url(record.keys.messageId),
  };
}

/** All three steps for one file; on failure the unfinished upload is aborted. */
export async function uploadFile(source: UploadSource, options: UploadOptions): Promise<UploadResult> {
  const { api, runner, signal } = options;
  const record = await startUpload(source, options);
  try {
    const total = source.blob.size;
    options.onProgress?.(0, total);
    const limiter = new Limiter(options.partsInFlight ?? DEFAULT_PARTS_IN_FLIGHT);
    await sendParts(record, source.blob, { api, runner, limiter, signal, onPart: (r) => options.onProgress?.(bytesDone(r), total) });
    return await completeUpload(record, api, signal);
  } catch (error) {
    // Best effort: drop the unfinished upload so no orphaned parts or meta object stay behind.
    await api.abort(record).catch(() => undefined);
    throw error;
  }
}
