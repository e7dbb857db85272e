/**
 * Uploads one file: plan parts, create the upload, seal and PUT the meta object, then seal and
 * PUT every part from the worker pool (bounded in flight, each part retried under the one
 * policy), then complete. The page never holds more than `partsInFlight` parts.
 */

import { toBase64Url } from '../crypto/bytes.ts';
import { importWrappingKey } from '../crypto/cipher.ts';
import { ciphertextSize, DEFAULT_FRAME_LENGTH, sealedHeaderLength } from '../crypto/format.ts';
import { createMessage } from '../crypto/message.ts';
import { encodeLinkSecret, newLinkSecret, objectContext, sealMeta } from '../crypto/objects.ts';
import { TransferError } from '../errors.ts';
import type { Api } from '../transfer/api.ts';
import { expectStatus, request } from '../transfer/http.ts';
import { orderedPool } from '../transfer/limit.ts';
import { withRetries } from '../transfer/retry.ts';
import type { WorkerPool } from '../workers/pool.ts';
import { type PartPlan, planParts } from './plan.ts';

/** Part URLs are requested in batches of this many (the server's limit per request). */
const URL_BATCH = 100;
export const DEFAULT_PARTS_IN_FLIGHT = 4;

export interface UploadOptions {
  api: Api;
  pool: WorkerPool;
  signal?: AbortSignal;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  frameLength?: number;
  partPlaintextSize?: number;
  partsInFlight?: number;
}

export interface UploadResult {
  id: string;
  /** base64url link secret: goes only into the link's fragment */
  secret: string;
  /** the path and fragment of the share link, to be joined to the page origin */
  linkPath: string;
}

class PartUrls {
  private readonly urls = new Map<number, string>();
  private readonly batches = new Map<number, Promise<void>>();
  constructor(
    private readonly api: Api,
    private readonly id: string,
    private readonly uploadId: string,
    private readonly partCount: number,
    private readonly signal?: AbortSignal,
  ) {}

  async get(partNumber: number): Promise<string> {
    const batch = Math.floor((partNumber - 1) / URL_BATCH);
    if (!this.urls.has(partNumber)) {
      if (!this.batches.has(batch)) this.batches.set(batch, this.fetchBatch(batch));
      await this.batches.get(batch);
    }
    return this.urls.get(partNumber) as string;
  }

  /** After a 403 (expired URL), sign this part again. */
  async renew(partNumber: number): Promise<void> {
    const { urls } = await this.api.partUrls(this.id, this.uploadId, [partNumber], this.signal);
    for (const { partNumber: n, url } of urls) this.urls.set(n, url);
  }

  private async fetchBatch(batch: number): Promise<void> {
    const first = batch * URL_BATCH + 1;
    const numbers = Array.from({ length: Math.min(URL_BATCH, this.partCount - first + 1) }, (_, i) => first + i);
    try {
      const { urls } = await this.api.partUrls(this.id, this.uploadId, numbers, this.signal);
      for (const { partNumber, url } of urls) this.urls.set(partNumber, url);
    } catch (error) {
      this.batches.delete(batch);
      throw error;
    }
  }
}

export async function uploadFile(file: File, options: UploadOptions): Promise<UploadResult> {
  const { api, pool, signal } = options;
  const frameLength = options.frameLength ?? DEFAULT_FRAME_LENGTH;
  const secret = newLinkSecret();
  const wrappingKey = await importWrappingKey(secret);
  const headerLength = sealedHeaderLength(objectContext('x'.repeat(22), 'data'));
  const parts = planParts(file.size, frameLength, headerLength, options.partPlaintextSize);
  const total = ciphertextSize(file.size, frameLength, headerLength);

  const { id, uploadId, metaUrl } = await api.createUpload(total, parts.length, signal);
  try {
    const message = await createMessage(wrappingKey, objectContext(id, 'data'), frameLength);
    if (message.header.byteLength !== headerLength) throw new Error('header length differs from the plan');
    const meta = await sealMeta(wrappingKey, id, {
      name: file.name,
      type: file.type,
      size: file.size,
      lastModified: file.lastModified,
      dataMessageId: toBase64Url(message.messageId),
    });
    await withRetries(
      async () => expectStatus(await request(metaUrl, { method: 'PUT', body: meta as Uint8Array<ArrayBuffer>, signal }), [200], 'Upload of the file details'),
      async () => {
        throw new TransferError('HttpStatus', 'The upload link for the file details expired', 403);
      },
      signal,
    );

    const urls = new PartUrls(api, id, uploadId, parts.length, signal);
    const keys = { contentKey: message.contentKey, messageId: message.messageId, frameLength };
    const etags: { partNumber: number; etag: string }[] = [];
    let done = 0;
    options.onProgress?.(0, file.size);
    const sendPart = (part: PartPlan) =>
      withRetries(
        async () =>
          pool.run('encryptPart', { file, part, keys, header: part.includesHeader ? message.header : undefined, url: await urls.get(part.partNumber) }, signal),
        () => urls.renew(part.partNumber),
        signal,
      );
    await orderedPool(
      parts.length,
      options.partsInFlight ?? DEFAULT_PARTS_IN_FLIGHT,
      (i) => sendPart(parts[i]),
      ({ etag }, i) => {
        etags.push({ partNumber: parts[i].partNumber, etag });
        done += parts[i].plainEnd - parts[i].plainStart;
        options.onProgress?.(done, file.size);
      },
      signal,
    );
    await api.complete(id, uploadId, etags, signal);
    const encoded = encodeLinkSecret(secret);
    secret.fill(0);
    return { id, secret: encoded, linkPath: `/d/${id}#${encoded}` };
  } catch (error) {
    // Best effort: drop the unfinished upload so no orphaned parts or meta object stay behind.
    await api.abort(id, uploadId).catch(() => undefined);
    throw error;
  }
}
