/**
 * The work of one part and one range: read, seal, PUT — or GET, open. Runs in a browser
 * worker (crypto.worker.ts) and directly in Node (the CLI), so both share every check.
 */
import { openRun, sealRun } from '../crypto/frames.ts';
import { TransferError } from '../errors.ts';
import type { PartPlan, RangePlan } from '../upload/plan.ts';
import { BufferPool, readBlobInto } from './buffers.ts';
import { expectStatus, readExactly, request } from './http.ts';
import { spool } from './spool.ts';

export interface FrameKeysMessage {
  contentKey: CryptoKey;
  messageId: Uint8Array;
  frameLength: number;
}

export interface EncryptPartRequest {
  file: Blob;
  part: PartPlan;
  /** null only in the benchmark's plaintext baseline: the same read and PUT, without sealing */
  keys: FrameKeysMessage | null;
  header?: Uint8Array;
  url: string;
  /** extra headers for the store (SSE-C key headers) */
  headers?: Record<string, string>;
}

export interface DecryptRangeRequest {
  url: string;
  /** extra headers for the store (SSE-C key headers) */
  headers?: Record<string, string>;
  range: RangePlan;
  /** null only in the benchmark's plaintext baseline: the same GET and read, without opening */
  keys: FrameKeysMessage | null;
}

/** A fresh presigned URL for the same part, after the first one expired (403). */
export type RenewUrl = () => Promise<string>;

/** Where parts and ranges are processed: a worker pool in the page, the same thread in Node. */
export interface PartRunner {
  encryptPart(request: EncryptPartRequest, signal?: AbortSignal, renewUrl?: RenewUrl): Promise<{ etag: string }>;
  decryptRange(request: DecryptRangeRequest, signal?: AbortSignal): Promise<ArrayBuffer>;
}

const buffers = new BufferPool();

/**
 * Reads, seals and PUTs one part. A 403 on the PUT (the presigned URL expired while the part was
 * being sealed) or a dropped connection gets one fresh URL from `renewUrl` and the same sealed
 * bytes are sent again: re-sealing would take as long again, and with short-lived URLs expire again.
 */
export async function encryptPart(
  { file, part, keys, header, url, headers }: EncryptPartRequest,
  signal?: AbortSignal,
  renewUrl?: RenewUrl,
): Promise<{ etag: string }> {
  const put = async (body: BodyInit) => {
    let first: Response;
    try {
      first = await request(url, { method: 'PUT', body, headers, signal });
    } catch (error) {
      // Some stores (Ceph RGW) answer an expired URL with 403 and close the connection while the
      // body is still being sent: the browser sees a network error, not the 403. A fresh URL costs
      // one API call; re-sealing would cost the whole part again (and outlive a short URL again).
      if (!renewUrl || signal?.aborted || !(error instanceof TransferError && error.code === 'Network')) throw error;
      return request(await renewUrl(), { method: 'PUT', body, headers, signal });
    }
    if (first.status !== 403 || !renewUrl) return first;
    await first.body?.cancel();
    return request(await renewUrl(), { method: 'PUT', body, headers, signal });
  };
  let response: Response;
  if (!keys) {
    // The plaintext baseline sends the file-backed slice, as an uploader that does not encrypt would.
    response = await put(file.slice(part.plainStart, part.plainEnd));
  } else {
    const plain = buffers.take(part.plainEnd - part.plainStart);
    const sealed = buffers.take(part.cipherSize);
    try {
      await readBlobInto(file.slice(part.plainStart, part.plainEnd), plain);
      const body = await sealRun(keys, plain, part.firstSeq, part.endsMessage, part.includesHeader ? header : undefined, sealed);
      plain.fill(0);
      const spooled = await spool(body);
      try {
        response = await put(spooled?.body ?? body);
      } finally {
        await spooled?.release();
      }
    } finally {
      // fetch() copied the body when the request was made; the buffers are free again.
      buffers.give(plain);
      buffers.give(sealed);
    }
  }
  await expectStatus(response, [200], `Upload of part ${part.partNumber}`);
  const etag = response.headers.get('ETag');
  if (!etag) {
    throw new TransferError('MissingETag', "The storage did not expose the part's ETag: its CORS rule needs <ExposeHeader>ETag</ExposeHeader>");
  }
  return { etag };
}

export async function decryptRange({ url, range, keys, headers }: DecryptRangeRequest, signal?: AbortSignal): Promise<ArrayBuffer> {
  const response = await request(url, { headers: { ...headers, Range: `bytes=${range.start}-${range.end}` }, signal });
  await expectStatus(response, [206], `Download of bytes ${range.start}-${range.end}`);
  const length = range.end - range.start + 1;
  if (!keys) return (await readExactly(response, length)).buffer;
  const sealed = await readExactly(response, length, buffers.take(length));
  try {
    const plain = await openRun(keys, sealed, range.firstSeq, range.endsMessage, range.plainLength);
    return plain.buffer as ArrayBuffer;
  } finally {
    buffers.give(sealed);
  }
}

/** Node, or tests: no workers; WebCrypto in Node already runs on its own thread pool. */
export const directRunner: PartRunner = { encryptPart, decryptRange };
