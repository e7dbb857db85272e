/**
 * The page's side of the store's multipart upload, apart from the parts themselves
 * (send-part.ts): part URLs signed in batches ahead, and, under SSE-C, starting the upload.
 */
import type { PartUrlsResponse } from '../contract/api.ts';
import { MAX_PARTS_PER_BATCH } from '../contract/limits.ts';
import { TransferError } from '../errors.ts';
import type { PartSigner, PartsRef } from '../transfer/api.ts';
import { expectStatus, request } from '../transfer/http.ts';
import { withRetries } from '../transfer/retry.ts';

/** Part URLs are requested in batches of this many (the server's limit per request). */
const URL_BATCH = MAX_PARTS_PER_BATCH;

/**
 * Part URLs for a server that signs parts without a checksum, fetched a batch at a time as the
 * parts come up. `signed`: URLs already at hand (the create answer's first batch), used before
 * any batch is fetched; a part without one fetches its batch. A URL that has expired by the time
 * its part is sent is signed again by the part's sender (send-part.ts), not here.
 */
export class PartUrls {
  private readonly urls = new Map<number, string>();
  private readonly batches = new Map<number, Promise<void>>();
  constructor(
    private readonly api: PartSigner,
    private readonly upload: PartsRef,
    private readonly partCount: number,
    private readonly signal?: AbortSignal,
    signed: PartUrlsResponse['urls'] = [],
  ) {
    for (const { partNumber, url } of signed) if (partNumber >= 1 && partNumber <= partCount) this.urls.set(partNumber, url);
  }

  async get(partNumber: number): Promise<string> {
    const batch = Math.floor((partNumber - 1) / URL_BATCH);
    if (!this.urls.has(partNumber)) {
      if (!this.batches.has(batch)) this.batches.set(batch, this.fetchBatch(batch));
      await this.batches.get(batch);
    }
    return this.urls.get(partNumber) as string;
  }

  private async fetchBatch(batch: number): Promise<void> {
    const first = batch * URL_BATCH + 1;
    const numbers = Array.from({ length: Math.min(URL_BATCH, this.partCount - first + 1) }, (_, i) => first + i);
    try {
      const { urls } = await this.api.partUrls(this.upload, numbers, this.signal);
      for (const { partNumber, url } of urls) this.urls.set(partNumber, url);
    } catch (error) {
      this.batches.delete(batch);
      throw error;
    }
  }
}

/** SSE-C: the browser starts the multipart upload itself (the server cannot: it has no key). */
export async function createMultipart(
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
