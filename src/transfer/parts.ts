/**
 * The work of one part and one range: read, seal, PUT — or GET, open. Runs in a browser
 * worker (crypto.worker.ts) and directly in Node (the CLI), so both share every check.
 */
import type { PartChecksum } from '../contract/api.ts';
import { openRun, sealRun } from '../crypto/frames.ts';
import { TransferError } from '../errors.ts';
import type { PartPlan, RangePlan } from '../layout.ts';
import { checkPlainDigest, plainDigest } from '../upload/part-digest.ts';
import { BufferPool, readBlobInto } from './buffers.ts';
import { partDigest } from './checksum.ts';
import { expectStatus, readExactly, request, responseTimeout } from './http.ts';
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
  /** a URL signed ahead; absent when the part is signed with its checksum once sealed */
  url?: string;
  /** the digest the store checks: the URL is then signed with it (signPart) */
  checksum: PartChecksum | null;
  /** extra headers for the store (SSE-C key headers) */
  headers?: Record<string, string>;
  /**
   * SHA-256 of this part's plaintext as it was first sealed (part-digest.ts), absent if it never
   * was: other bytes are then refused before they are sealed under the same IVs.
   */
  plainDigest?: Uint8Array;
}

export interface DecryptRangeRequest {
  url: string;
  /** extra headers for the store (SSE-C key headers) */
  headers?: Record<string, string>;
  range: RangePlan;
  /** null only in the benchmark's plaintext baseline: the same GET and read, without opening */
  keys: FrameKeysMessage | null;
}

/** A presigned part URL and the headers signed into it (the checksum), which the PUT must send. */
export interface SignedUrl {
  url: string;
  headers?: Record<string, string>;
}

/**
 * Signs the part: with its checksum once sealed, or again after a URL expired (403). Only the
 * page talks to the API, so in a worker this is a message to the page.
 */
export type SignPart = (checksum?: string) => Promise<SignedUrl>;

/**
 * Hands the SHA-256 of the part's plaintext to the page, which records it in the upload record
 * (or finds it differs from the one recorded: SourceChanged) and resolves once the record is
 * saved. Only then may the part be sent. In a worker this is a message to the page.
 */
export type RecordDigest = (digest: Uint8Array) => Promise<void>;

/** Where parts and ranges are processed: a worker pool in the page, the same thread in Node. */
export interface PartRunner {
  encryptPart(request: EncryptPartRequest, signal: AbortSignal | undefined, signPart: SignPart, recordDigest: RecordDigest): Promise<{ etag: string }>;
  decryptRange(request: DecryptRangeRequest, signal?: AbortSignal): Promise<ArrayBuffer>;
}

const buffers = new BufferPool();

/**
 * Reads, seals and PUTs one part. With a checksum, the sealed bytes are hashed and the URL is
 * signed with the digest, so a store that checks it refuses bytes damaged on the way. A 403 on
 * the PUT (the URL expired while the part was sealed) or a dropped connection gets one fresh URL
 * from `signPart` and the same sealed bytes are sent again: re-sealing would take as long again,
 * and with short-lived URLs expire again.
 *
 * Nonce safety (part-digest.ts): the plaintext is hashed before it is sealed. Bytes other than
 * those this part was first sealed with are refused (SourceChanged) and never sealed. The digest
 * goes to the page (`recordDigest`) while the part is sealed, and nothing is sent before the page
 * has saved it: a PUT whose answer is lost may still have reached the store, so from the first
 * PUT on these IVs count as used, and any later seal of this part must find the digest recorded.
 */
export async function encryptPart(
  { file, part, keys, header, url, checksum, headers, plainDigest: recorded }: EncryptPartRequest,
  signal: AbortSignal | undefined,
  signPart: SignPart,
  recordDigest: RecordDigest,
): Promise<{ etag: string }> {
  /** `firstUrl`: the URL already being signed (with the digest) while the body was spooled. */
  const put = async (body: BodyInit, digest?: string, firstUrl?: Promise<SignedUrl>) => {
    let signed: SignedUrl = url && !digest ? { url } : await (firstUrl ?? signPart(digest));
    const send = () => request(signed.url, { method: 'PUT', body, headers: { ...headers, ...signed.headers }, signal }, responseTimeout(part.cipherSize));
    // A 403, or a network error — a store may refuse an expired URL without CORS headers (Ceph RGW
    // does), which the browser reports as a network error — gets one fresh URL for the same bytes.
    const first = await send().catch((error: unknown) => {
      if (signal?.aborted || !(error instanceof TransferError && error.code === 'Network')) throw error;
      return null;
    });
    if (first && first.status !== 403) return first;
    await first?.body?.cancel();
    signed = await signPart(digest);
    return send();
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
      const plainSha256 = await plainDigest(plain);
      checkPlainDigest(part.partNumber, plainSha256, recorded);
      // Sealing overlaps the page's save of the digest; nothing leaves this thread before it is saved.
      const saved = recordDigest(plainSha256);
      saved.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
      const body = await sealRun(keys, plain, part.firstSeq, part.endsMessage, part.includesHeader ? header : undefined, sealed);
      plain.fill(0);
      await saved;
      // Hashing and signing (a round trip through the page to the server) overlap the spool write.
      const digest = checksum ? partDigest(checksum, body) : undefined;
      const firstUrl = digest?.then((d) => signPart(d));
      firstUrl?.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
      const spooled = await spool(body);
      try {
        response = await put(spooled?.body ?? body, await digest, firstUrl);
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
