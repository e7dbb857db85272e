/**
 * Uploads one file: plan parts, create the upload, seal and PUT the meta object, then seal and
 * PUT every part through the runner (a worker pool in the page, the same thread in Node), a
 * bounded number in flight, each part retried under the one policy, then complete. Never more
 * than `partsInFlight` parts are in memory.
 */
import { toBase64Url } from '../crypto/bytes.ts';
import { ciphertextSize, DEFAULT_FRAME_LENGTH, sealedHeaderLength } from '../crypto/format.ts';
import { createMessage } from '../crypto/message.ts';
import { encodeLinkSecret, newLinkSecret, objectContext, sealMeta } from '../crypto/objects.ts';
import { keyNameFor, linkKey, newPasswordParams } from '../crypto/password.ts';
import { customerKeyHeaders } from '../crypto/sse-c.ts';
import { TransferError } from '../errors.ts';
import type { Api } from '../transfer/api.ts';
import { expectStatus, request } from '../transfer/http.ts';
import { orderedPool } from '../transfer/limit.ts';
import type { PartRunner } from '../transfer/parts.ts';
import { withRetries } from '../transfer/retry.ts';
import { type PartPlan, planParts } from './plan.ts';

/** Part URLs are requested in batches of this many (the server's limit per request). */
const URL_BATCH = 100;
export const DEFAULT_PARTS_IN_FLIGHT = 4;

/** What is uploaded: a browser File satisfies this; the CLI builds one from fs.openAsBlob. */
export interface UploadSource {
  blob: Blob;
  name: string;
  type: string;
  lastModified: number;
}

export const fromFile = (file: File): UploadSource => ({ blob: file, name: file.name, type: file.type, lastModified: file.lastModified });

export interface UploadOptions {
  api: Api;
  runner: PartRunner;
  signal?: AbortSignal;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** with a password, the link alone opens nothing */
  password?: string;
  expiresInSeconds?: number;
  frameLength?: number;
  partPlaintextSize?: number;
  partsInFlight?: number;
  /**
   * Benchmark only: upload the plaintext through the very same plan, workers, reads and PUTs,
   * without sealing, to measure what encryption costs. Never exposed in the page.
   */
  benchPlaintext?: boolean;
}

export interface UploadResult {
  id: string;
  /** base64url link secret: goes only into the link's fragment */
  secret: string;
  /** the path and fragment of the share link, to be joined to the server's origin */
  linkPath: string;
  expiresAt: number | null;
  /** deletes the file early (api.deleteFile); stays with the uploader, never in the link */
  ownerToken: string;
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

/** SSE-C: the browser starts the multipart upload itself (the server cannot: it has no key). */
async function createMultipart(
  create: { url: string; headers: Record<string, string> },
  storeHeaders: Record<string, string> | undefined,
  signal?: AbortSignal,
): Promise<string> {
  const response = await withRetries(
    async () => {
      const r = await request(create.url, { method: 'POST', headers: { ...create.headers, ...storeHeaders }, signal });
      await expectStatus(r, [200], 'Starting the upload');
      return r;
    },
    async () => {
      throw new TransferError('HttpStatus', 'The link to start the upload expired', 403);
    },
    signal,
  );
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await response.text())?.[1];
  if (!uploadId) throw new TransferError('HttpStatus', 'The storage did not return an upload id', response.status);
  return uploadId
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'");
}

export async function uploadFile(source: UploadSource, options: UploadOptions): Promise<UploadResult> {
  const { api, runner, signal } = options;
  const size = source.blob.size;
  const frameLength = options.frameLength ?? DEFAULT_FRAME_LENGTH;
  const secret = newLinkSecret();
  const params = options.password === undefined ? null : newPasswordParams();
  const { wrappingKey, keyName } = await linkKey(secret, options.password, params);
  const headerLength = sealedHeaderLength(objectContext('x'.repeat(22), 'data'), keyNameFor(params));
  const plainBaseline = options.benchPlaintext === true;
  const planned = planParts(size, frameLength, headerLength, options.partPlaintextSize);
  const parts = plainBaseline ? planned.map((p) => ({ ...p, includesHeader: false, cipherSize: p.plainEnd - p.plainStart })) : planned;
  const total = plainBaseline ? size : ciphertextSize(size, frameLength, headerLength);

  const created = await api.createUpload(total, parts.length, options.expiresInSeconds, signal);
  const { id, metaUrl, expiresAt } = created;
  // Under SSE-C every store request carries the file's customer key (derived from the link secret).
  const storeHeaders = created.customerKey ? await customerKeyHeaders(secret) : undefined;
  const metaHeaders = { ...created.metaHeaders, ...storeHeaders };
  let uploadId = created.uploadId ?? '';
  try {
    if (created.create) uploadId = await createMultipart(created.create, storeHeaders, signal);
    const message = await createMessage(wrappingKey, objectContext(id, 'data'), frameLength, keyName);
    if (message.header.byteLength !== headerLength) throw new Error('header length differs from the plan');
    const meta = await sealMeta(
      wrappingKey,
      id,
      { name: source.name, type: source.type, size, lastModified: source.lastModified, dataMessageId: toBase64Url(message.messageId) },
      keyName,
    );
    await withRetries(
      async () => expectStatus(await request(metaUrl, { method: 'PUT', body: meta, headers: metaHeaders, signal }), [200], 'Upload of the file details'),
      async () => {
        throw new TransferError('HttpStatus', 'The upload link for the file details expired', 403);
      },
      signal,
    );

    const urls = new PartUrls(api, id, uploadId, parts.length, signal);
    const keys = plainBaseline ? null : { contentKey: message.contentKey, messageId: message.messageId, frameLength };
    const etags: { partNumber: number; etag: string }[] = [];
    let done = 0;
    options.onProgress?.(0, size);
    const sendPart = (part: PartPlan) =>
      withRetries(
        async () =>
          runner.encryptPart(
            {
              file: source.blob,
              part,
              keys,
              header: part.includesHeader ? message.header : undefined,
              url: await urls.get(part.partNumber),
              headers: storeHeaders,
            },
            signal,
            async () => {
              await urls.renew(part.partNumber);
              return urls.get(part.partNumber);
            },
          ),
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
        options.onProgress?.(done, size);
      },
      signal,
    );
    await api.complete(id, uploadId, etags, signal);
    const encoded = encodeLinkSecret(secret);
    secret.fill(0);
    return { id, secret: encoded, linkPath: `/d/${id}#${encoded}`, expiresAt, ownerToken: created.ownerToken };
  } catch (error) {
    // Best effort: drop the unfinished upload so no orphaned parts or meta object stay behind.
    if (uploadId) await api.abort(id, uploadId).catch(() => undefined);
    throw error;
  }
}
