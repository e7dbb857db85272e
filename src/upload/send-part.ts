/**
 * One part, from the file to its ETag: seal it (the injected PartSealer), sign it, PUT it, all
 * under the one retry policy (transfer/retry.ts) in one loop. Signing again is the API's own sign
 * call, so this runs wherever an API client can be made: in a crypto worker, which makes one from
 * the plain `ApiEndpoint` its request carries (workers/serve.ts), and in Node (the CLI).
 *
 * Why in the worker rather than the page: the sealed part is spooled to a file there (spool.ts:
 * sync access handles exist only in workers), a file-backed body is what makes the PUT cheap, the
 * PUT runs as fast from a worker and leaves the page's thread free, and a worker that is replaced
 * frees every request body its isolate kept (pool.ts). The page is asked for one thing only: to
 * save the part's digest (of its sealed frames' tags) before the first PUT (`recordDigest`).
 */
import type { PartChecksum } from '../contract/api.ts';
import { TransferError } from '../errors.ts';
import type { PartSigner, PartsRef } from '../transfer/api.ts';
import { partDigest } from '../transfer/checksum.ts';
import { expectStatus, request, responseTimeout } from '../transfer/http.ts';
import { withRetries } from '../transfer/retry.ts';
import { spool } from '../transfer/spool.ts';
import type { PartSealer, RecordDigest, SealRequest } from './sealer.ts';

/** One part to send: plain data, so it can be posted to a worker. */
export interface SendPartRequest extends SealRequest {
  /** the upload, as the server signs its parts: its ticket, never the owner token */
  upload: PartsRef;
  /** a URL signed ahead in a batch, tried first; absent when each part is signed with its checksum */
  url?: string;
  /** the digest the store checks: the part's URL is then signed with it, once sealed */
  checksum: PartChecksum | null;
  /** extra headers for the store (SSE-C key headers) */
  headers?: Record<string, string>;
}

/** What sending a part works with, besides the part. */
export interface SendPartContext {
  api: PartSigner;
  sealer: PartSealer;
  recordDigest: RecordDigest;
  signal?: AbortSignal;
}

/** A part the store has taken. */
export interface SentPart {
  etag: string;
  /** its body was sent from memory, not from the spool (the worker pool replaces such workers: pool.ts) */
  fromMemory: boolean;
}

/** A presigned part URL and the headers signed into it (the checksum), which the PUT must send. */
export interface SignedUrl {
  url: string;
  headers?: Record<string, string>;
}

const digestOf = async (checksum: PartChecksum, body: Uint8Array<ArrayBuffer> | Blob): Promise<string> =>
  partDigest(checksum, body instanceof Blob ? new Uint8Array(await body.arrayBuffer()) : body);

/**
 * Seals `job.part` once and sends the same sealed bytes until the store takes them or
 * the policy gives up: re-sealing would take as long again, and with short-lived URLs expire again.
 * An expired or refused URL (403), or a network error (a store may refuse an expired URL without
 * CORS headers, which the browser reports as a network error: Ceph RGW does), drops the URL, and
 * the next attempt signs the part again through the API; 408, 429 and 5xx back off and resend.
 * With a checksum, the sealed bytes are hashed and every URL is signed with the digest, so a store
 * that checks it refuses bytes damaged on the way.
 */
export async function sendPart(job: SendPartRequest, { api, sealer, recordDigest, signal }: SendPartContext): Promise<SentPart> {
  const { part, upload, checksum, headers } = job;
  const sealed = await sealer.seal(job, recordDigest, signal);
  try {
    const digest = checksum ? digestOf(checksum, sealed.body) : undefined;
    const sign = async (): Promise<SignedUrl> => {
      const { urls } = await api.partUrls(upload, [part.partNumber], signal, digest && [await digest]);
      return urls[0];
    };
    let signed: SignedUrl | null = job.url && !checksum ? { url: job.url } : null;
    // Hashing and the first signing overlap the spool write.
    let early = signed ? null : sign();
    early?.catch(() => undefined); // awaited by the first attempt; a failure must not go unhandled meanwhile
    const spooled = sealed.body instanceof Uint8Array ? await spool(sealed.body) : null;
    const body = spooled?.body ?? sealed.body;
    if (spooled) {
      // The PUT reads the spool file: the sealed buffer goes back to the pool now (once hashed),
      // not after the PUT, so a worker's next part reuses it rather than a fresh 16 MiB (README
      // "Where the CPU goes": every part-sized buffer alive can stay resident long after its use).
      await digest;
      sealed.release();
    }
    const attempt = async () => {
      if (!signed) {
        const signing = early ?? sign();
        early = null;
        signed = await signing;
      }
      const { url, headers: signedHeaders } = signed;
      const response = await request(url, { method: 'PUT', body, headers: { ...headers, ...signedHeaders }, signal }, responseTimeout(part.cipherSize));
      await expectStatus(response, [200], `Upload of part ${part.partNumber}`);
      const etag = response.headers.get('ETag');
      if (!etag) {
        throw new TransferError('MissingETag', "The storage did not expose the part's ETag: its CORS rule needs <ExposeHeader>ETag</ExposeHeader>");
      }
      return { etag, fromMemory: !(body instanceof Blob) };
    };
    const resign = async () => {
      signed = null;
    };
    try {
      return await withRetries(attempt, resign, signal, { presigned: true });
    } finally {
      await spooled?.release();
    }
  } finally {
    sealed.release();
  }
}
