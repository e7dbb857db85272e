/**
 * Single-object operations by key, with the server's encryption, expiry and signing rules: the
 * presigned PUT of an uploader's small object (a file's meta object, a set's manifest), presigned
 * GETs, HEAD and DELETE. storage.ts builds on them with keys made from file ids; set-store.ts with
 * its own keys.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Settings } from './config.ts';
import {
  EXPIRES_HEADER,
  EXPIRES_METADATA,
  EXPIRES_TAG,
  OCTET_STREAM,
  SSE_C_ALGORITHM_HEADER,
  sseFor,
  TAGGING_HEADER,
  expiryTags as tagsFor,
} from './object-headers.ts';
import { mapS3Error } from './s3-client.ts';

export interface ObjectStat {
  size: number;
  /** ms since epoch, or null for no expiry */
  expiresAt: number | null;
  /** encrypted with a customer key (SSE-C): reading it needs the browser's key */
  customerKey: boolean;
  /** when it was written (ms since epoch), where the store says */
  modifiedAt: number | null;
}

export interface PresignedPut {
  url: string;
  /** to be sent exactly: they are signed */
  headers: Record<string, string>;
}

export interface ObjectOps {
  /**
   * A short-lived PUT (`seconds`, at most the server's presign expiry) bound to its exact size and
   * `Content-Type: application/octet-stream`, carrying the expiry and the server's encryption;
   * `writeOnce` also signs `If-None-Match: *`.
   */
  presignPut(Key: string, contentLength: number, expiresAt: number | null, options: { seconds: number; writeOnce: boolean }): Promise<PresignedPut>;
  /** Forced to an opaque download; `customerKey`: the object is SSE-C encrypted, so the GET carries the key. */
  presignGet(Key: string, customerKey?: boolean): Promise<string>;
  stat(Key: string): Promise<ObjectStat | null>;
  remove(Key: string): Promise<void>;
  /** Options of getSignedUrl that keep `headers` signed headers the browser must send (not query parameters). */
  signing(headers?: Record<string, string>, seconds?: number): { expiresIn: number; signingDate: Date; unhoistableHeaders: Set<string> };
  call<T>(op: () => Promise<T>): Promise<T>;
}

export function objectOps(settings: S3Settings, client: S3Client, signer: S3Client, expiresIn: number): ObjectOps {
  const Bucket = settings.bucket;
  const sse = sseFor(settings.sse);
  const customerKeys = settings.sse?.mode === 'sse-c';
  const call = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (error) {
      mapS3Error(error);
    }
  };
  /**
   * SigV4 dates have whole seconds and the expiry counts from them, so a URL signed at hh:mm:ss.9
   * would lose 0.9 s of its life. Signing with the next whole second makes a URL live at least
   * `expiresIn` seconds (stores accept presigned dates a second ahead).
   */
  const signingDate = () => new Date(Math.ceil(Date.now() / 1000) * 1000);
  const signing = (headers: Record<string, string> = {}, seconds = expiresIn) => ({
    expiresIn: seconds,
    signingDate: signingDate(),
    unhoistableHeaders: new Set(Object.keys(headers)),
  });

  /** Size and expiry of an SSE-C object, which HeadObject cannot read without the key. */
  const statCustomerKeyed = async (Key: string): Promise<ObjectStat | null> => {
    const listed = await call(() => client.send(new ListObjectsV2Command({ Bucket, Prefix: Key, MaxKeys: 1 })));
    const object = listed.Contents?.find((o) => o.Key === Key);
    if (!object) return null;
    const tags = await call(() => client.send(new GetObjectTaggingCommand({ Bucket, Key })));
    const expires = Number(tags.TagSet?.find((t) => t.Key === EXPIRES_TAG)?.Value);
    const modifiedAt = object.LastModified?.getTime() ?? null;
    return { size: object.Size ?? 0, expiresAt: Number.isSafeInteger(expires) ? expires : null, customerKey: true, modifiedAt };
  };

  return {
    signing,
    call,
    async presignPut(Key, contentLength, expiresAt, { seconds, writeOnce }) {
      // The expiry rides on the object as a signed header: some stores (s3rver) drop metadata given
      // at CreateMultipartUpload, and a header the browser omits breaks the signature.
      const value = expiresAt === null ? undefined : String(expiresAt);
      const tags = tagsFor(expiresAt, customerKeys);
      const metadata: Record<string, string> = value === undefined || customerKeys ? {} : { [EXPIRES_HEADER]: value };
      // Signed, so the bucket never serves uploader-chosen HTML (and, write-once, the object is never replaced).
      const fixed: Record<string, string> = { 'content-type': OCTET_STREAM, ...(writeOnce ? { 'if-none-match': '*' } : {}) };
      const headers = { ...sse.headers, ...tags, ...metadata, ...fixed };
      const command = new PutObjectCommand({
        Bucket,
        Key,
        Metadata: value === undefined || customerKeys ? undefined : { [EXPIRES_METADATA]: value },
        Tagging: tags[TAGGING_HEADER],
        ContentLength: contentLength,
        ContentType: OCTET_STREAM,
        ...(writeOnce ? { IfNoneMatch: '*' } : {}),
        ...sse.params,
      });
      // The presigner leaves Content-Type unsigned unless told otherwise.
      const options = { ...signing(headers, Math.min(expiresIn, seconds)), signableHeaders: new Set(['content-type']) };
      return { url: await getSignedUrl(signer, command, options), headers };
    },
    presignGet(Key, customerKey = false) {
      // Whatever an object was stored as, the bucket serves it as an opaque download.
      const params = { Bucket, Key, ResponseContentType: OCTET_STREAM, ResponseContentDisposition: 'attachment' };
      return customerKey
        ? getSignedUrl(signer, new GetObjectCommand({ ...params, SSECustomerAlgorithm: 'AES256' }), signing({ [SSE_C_ALGORITHM_HEADER]: 'AES256' }))
        : getSignedUrl(signer, new GetObjectCommand(params), signing());
    },
    async stat(Key) {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket, Key }));
        const expires = Number(out.Metadata?.[EXPIRES_METADATA]);
        const modifiedAt = out.LastModified?.getTime() ?? null;
        return { size: out.ContentLength ?? 0, expiresAt: Number.isSafeInteger(expires) ? expires : null, customerKey: false, modifiedAt };
      } catch (error) {
        if (error instanceof S3ServiceException && (error.name === 'NotFound' || error.$metadata.httpStatusCode === 404)) return null;
        // HEAD of an SSE-C object without its key is a 400 (S3 and RGW alike).
        if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 400) return statCustomerKeyed(Key);
        mapS3Error(error);
      }
    },
    async remove(Key) {
      await call(() => client.send(new DeleteObjectCommand({ Bucket, Key })));
    },
  };
}
