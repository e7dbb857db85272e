/**
 * The S3 side of the presign server. Two clients: one talks to S3 from this process, the
 * other only signs URLs for the endpoint browsers use (they differ behind proxies and in tests).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { PART_CHECKSUM_HEADER, type PartChecksum } from '../src/contract/api.ts';
import { META_URL_SECONDS } from '../src/contract/limits.ts';
import type { S3Settings } from './config.ts';
import { ApiError } from './errors.ts';
import { isFileId, type ObjectRole, objectKey } from './ids.ts';
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
import { createRequestStore, type RequestStore } from './request-store.ts';
import { mapS3Error, s3Client, UNSUPPORTED } from './s3-client.ts';

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

export interface ObjectStat {
  size: number;
  /** ms since epoch, or null for no expiry */
  expiresAt: number | null;
  /** encrypted with a customer key (SSE-C): reading it needs the browser's key */
  customerKey: boolean;
  /** when it was written (ms since epoch), where the store says */
  modifiedAt: number | null;
}

/** A multipart upload that was started and neither completed nor aborted. */
export interface UnfinishedUpload {
  id: string;
  uploadId: string;
  /** ms since epoch */
  startedAt: number;
}

/** How an upload starts: the server created the multipart upload, or (SSE-C) the browser must. */
export type UploadStart = { uploadId: string } | { createUrl: string; createHeaders: Record<string, string> };

export interface Storage {
  /** The origin browsers fetch from, for the CSP's connect-src. */
  readonly publicOrigin: string;
  /** `expiresAt` (ms since epoch) is stored with the object, so every server process sees it. */
  createUpload(id: string, expiresAt: number | null): Promise<UploadStart>;
  /** True when browsers must send SSE-C key headers with every request for new objects. */
  readonly customerKeys: boolean;
  /** the digest every part PUT must carry (PART_CHECKSUM), or null */
  readonly partChecksum: PartChecksum | null;
  /**
   * A part URL bound to the part's exact byte count (a signed Content-Length). `checksum`: the
   * part's base64 digest, signed in as a header the PUT must send.
   */
  presignPart(id: string, uploadId: string, partNumber: number, contentLength: number, checksum?: string): Promise<string>;
  /**
   * The meta object's PUT: short-lived, bound to its exact size, its Content-Type, and to
   * `If-None-Match: *` (write once, where the store honours it). `headers` must be sent exactly.
   */
  presignMetaPut(id: string, contentLength: number, expiresAt: number | null): Promise<{ url: string; headers: Record<string, string> }>;
  /** `expiresAt` (the meta object's) is tagged onto the finished data object for lifecycle rules. */
  complete(id: string, uploadId: string, parts: CompletedPart[], expiresAt?: number | null): Promise<void>;
  /** The parts uploaded so far (ListParts), or null when the store cannot list them. */
  listParts(id: string, uploadId: string): Promise<{ partNumber: number; etag: string; size: number }[] | null>;
  /** false when the store does not implement AbortMultipartUpload. */
  abort(id: string, uploadId: string): Promise<boolean>;
  remove(id: string, role: ObjectRole): Promise<void>;
  /** Size and expiry of an object, or null when it does not exist. */
  stat(id: string, role: ObjectRole): Promise<ObjectStat | null>;
  /** `customerKey`: the object is SSE-C encrypted (ObjectStat says), so the GET must carry the key. */
  presignGet(id: string, role: ObjectRole, customerKey?: boolean): Promise<string>;
  /** Every file id that has objects under the prefix. */
  listIds(): AsyncIterable<string>;
  /** Multipart uploads under the prefix that were never completed, or null when the store cannot list them. */
  listUnfinished(): Promise<UnfinishedUpload[] | null>;
  /** File requests (docs/REQUESTS.md); a store without them (test stubs, the bench's sink) answers none. */
  readonly requests?: RequestStore;
}

export function createStorage(settings: S3Settings, prefix: string, expiresIn: number): Storage {
  const client = s3Client(settings, settings.endpoint);
  const signer = s3Client(settings, settings.publicEndpoint);
  // A request's files are never SSE-C: their recipient could not derive the key before opening them.
  const plain: S3Settings = { ...settings, sse: settings.sse?.mode === 'sse-c' ? { mode: 'none' } : settings.sse };
  const requests = createRequestStore(client, settings.bucket, prefix, (folder) => storageAt(plain, prefix + folder, expiresIn, client, signer));
  return { ...storageAt(settings, prefix, expiresIn, client, signer), requests };
}

function storageAt(settings: S3Settings, prefix: string, expiresIn: number, client: S3Client, signer: S3Client): Storage {
  const Bucket = settings.bucket;
  const key = (id: string, role: ObjectRole) => objectKey(prefix, id, role);
  const publicOrigin = new URL(settings.publicEndpoint ?? `https://s3.${settings.region}.amazonaws.com`).origin;
  const call = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (error) {
      mapS3Error(error);
    }
  };
  // Virtual-hosted buckets live on a subdomain of the endpoint; the CSP must allow it.
  const browserOrigin = settings.forcePathStyle ? publicOrigin : publicOrigin.replace('://', `://${Bucket}.`);
  const sse = sseFor(settings.sse);
  const customerKeys = settings.sse?.mode === 'sse-c';
  const partChecksum = settings.partChecksum ?? null;
  /** Presigning options that keep `headers` signed headers the browser must send (not query parameters). */
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
  const expiryTags = (expiresAt: number | null) => tagsFor(expiresAt, customerKeys);

  /** Size and expiry of an SSE-C object, which HeadObject cannot read without the key. */
  const statCustomerKeyed = async (objectKey: string): Promise<ObjectStat | null> => {
    const listed = await call(() => client.send(new ListObjectsV2Command({ Bucket, Prefix: objectKey, MaxKeys: 1 })));
    const object = listed.Contents?.find((o) => o.Key === objectKey);
    if (!object) return null;
    const tags = await call(() => client.send(new GetObjectTaggingCommand({ Bucket, Key: objectKey })));
    const expires = Number(tags.TagSet?.find((t) => t.Key === EXPIRES_TAG)?.Value);
    const modifiedAt = object.LastModified?.getTime() ?? null;
    return { size: object.Size ?? 0, expiresAt: Number.isSafeInteger(expires) ? expires : null, customerKey: true, modifiedAt };
  };

  return {
    publicOrigin: browserOrigin,
    customerKeys,
    async createUpload(id, expiresAt) {
      const Key = key(id, 'data');
      const ContentType = OCTET_STREAM;
      if (customerKeys) {
        // Creating an SSE-C upload needs the key, which only the browser has: it sends this request.
        const tag = expiryTags(expiresAt);
        const createHeaders = { ...sse.headers, ...tag, 'content-type': ContentType };
        const Tagging = tag[TAGGING_HEADER];
        const createUrl = await getSignedUrl(
          signer,
          new CreateMultipartUploadCommand({ Bucket, Key, ContentType, Tagging, ...sse.params }),
          signing(createHeaders),
        );
        return { createUrl, createHeaders } satisfies UploadStart;
      }
      const Metadata = expiresAt === null ? undefined : { [EXPIRES_METADATA]: String(expiresAt) };
      const Tagging = expiryTags(expiresAt)[TAGGING_HEADER];
      const out = await call(() => client.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType, Metadata, Tagging, ...sse.params })));
      if (!out.UploadId) throw new ApiError('StorageUnavailable', 'S3 returned no UploadId');
      return { uploadId: out.UploadId } satisfies UploadStart;
    },
    partChecksum,
    presignPart: (id, uploadId, partNumber, contentLength, checksum) => {
      const digest = checksum && partChecksum ? { [partChecksum === 'sha256' ? 'ChecksumSHA256' : 'ContentMD5']: checksum } : {};
      const digestHeader: Record<string, string> = checksum && partChecksum ? { [PART_CHECKSUM_HEADER[partChecksum]]: checksum } : {};
      // ContentLength becomes a signed header: the store refuses a body of any other size.
      const params = { Bucket, Key: key(id, 'data'), UploadId: uploadId, PartNumber: partNumber, ContentLength: contentLength, ...digest };
      return customerKeys
        ? getSignedUrl(signer, new UploadPartCommand({ ...params, ...sse.params }), signing({ ...sse.headers, ...digestHeader }))
        : getSignedUrl(signer, new UploadPartCommand(params), signing(digestHeader));
    },
    async presignMetaPut(id, contentLength, expiresAt): Promise<{ url: string; headers: Record<string, string> }> {
      // The expiry rides on the meta object too, as a signed header: some stores (s3rver) drop
      // metadata given at CreateMultipartUpload, and a header the browser omits breaks the signature.
      const value = expiresAt === null ? undefined : String(expiresAt);
      const tags = expiryTags(expiresAt);
      const metadata: Record<string, string> = value === undefined || customerKeys ? {} : { [EXPIRES_HEADER]: value };
      // Signed, so the bucket never serves uploader-chosen HTML, and the object is written once.
      const fixed = { 'content-type': OCTET_STREAM, 'if-none-match': '*' };
      const headers = { ...sse.headers, ...tags, ...metadata, ...fixed };
      const Metadata = value === undefined || customerKeys ? undefined : { [EXPIRES_METADATA]: value };
      const Tagging = tags[TAGGING_HEADER];
      const command = new PutObjectCommand({
        Bucket,
        Key: key(id, 'meta'),
        Metadata,
        Tagging,
        ContentLength: contentLength,
        ContentType: OCTET_STREAM,
        IfNoneMatch: '*',
        ...sse.params,
      });
      // The presigner leaves Content-Type unsigned unless told otherwise.
      const options = { ...signing(headers, Math.min(expiresIn, META_URL_SECONDS)), signableHeaders: new Set(['content-type']) };
      return { url: await getSignedUrl(signer, command, options), headers };
    },
    async complete(id, uploadId, parts, expiresAt = null) {
      await call(() =>
        client.send(
          new CompleteMultipartUploadCommand({
            Bucket,
            Key: key(id, 'data'),
            UploadId: uploadId,
            MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
          }),
        ),
      );
      // Some stores (Ceph RGW 16) drop tags given at CreateMultipartUpload; set them on the result.
      const tagging = expiryTags(expiresAt)[TAGGING_HEADER];
      if (tagging) {
        const TagSet = [...new URLSearchParams(tagging)].map(([Key, Value]) => ({ Key, Value }));
        await client.send(new PutObjectTaggingCommand({ Bucket, Key: key(id, 'data'), Tagging: { TagSet } })).catch((error) => {
          // The embedded s3rver has no tagging API; the sweeper still deletes on time.
          if (!(error instanceof S3ServiceException && UNSUPPORTED.has(error.$metadata.httpStatusCode ?? 0))) mapS3Error(error);
        });
      }
    },
    async listParts(id, uploadId) {
      const parts: { partNumber: number; etag: string; size: number }[] = [];
      let PartNumberMarker: string | undefined;
      try {
        do {
          const page = await client.send(new ListPartsCommand({ Bucket, Key: key(id, 'data'), UploadId: uploadId, PartNumberMarker }));
          for (const p of page.Parts ?? []) parts.push({ partNumber: p.PartNumber ?? 0, etag: p.ETag ?? '', size: p.Size ?? 0 });
          PartNumberMarker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
        } while (PartNumberMarker);
        return parts;
      } catch (error) {
        if (error instanceof S3ServiceException && UNSUPPORTED.has(error.$metadata.httpStatusCode ?? 0)) return null;
        mapS3Error(error);
      }
    },
    async abort(id, uploadId) {
      try {
        await client.send(new AbortMultipartUploadCommand({ Bucket, Key: key(id, 'data'), UploadId: uploadId }));
        return true;
      } catch (error) {
        if (error instanceof S3ServiceException && UNSUPPORTED.has(error.$metadata.httpStatusCode ?? 0)) return false;
        mapS3Error(error);
      }
    },
    async remove(id, role) {
      await call(() => client.send(new DeleteObjectCommand({ Bucket, Key: key(id, role) })));
    },
    async stat(id, role) {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket, Key: key(id, role) }));
        const expires = Number(out.Metadata?.[EXPIRES_METADATA]);
        const modifiedAt = out.LastModified?.getTime() ?? null;
        return { size: out.ContentLength ?? 0, expiresAt: Number.isSafeInteger(expires) ? expires : null, customerKey: false, modifiedAt };
      } catch (error) {
        if (error instanceof S3ServiceException && (error.name === 'NotFound' || error.$metadata.httpStatusCode === 404)) return null;
        // HEAD of an SSE-C object without its key is a 400 (S3 and RGW alike).
        if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 400) return statCustomerKeyed(key(id, role));
        mapS3Error(error);
      }
    },
    presignGet: (id, role, customerKey = false) => {
      // Whatever an object was stored as, the bucket serves it as an opaque download.
      const params = { Bucket, Key: key(id, role), ResponseContentType: OCTET_STREAM, ResponseContentDisposition: 'attachment' };
      return customerKey
        ? getSignedUrl(signer, new GetObjectCommand({ ...params, SSECustomerAlgorithm: 'AES256' }), signing({ [SSE_C_ALGORITHM_HEADER]: 'AES256' }))
        : getSignedUrl(signer, new GetObjectCommand(params), signing());
    },
    async listUnfinished() {
      const found: UnfinishedUpload[] = [];
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      try {
        do {
          const page = await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: prefix, KeyMarker, UploadIdMarker }));
          for (const u of page.Uploads ?? []) {
            const [id, role] = (u.Key ?? '').slice(prefix.length).split('/');
            if (isFileId(id) && role === 'data' && u.UploadId) found.push({ id, uploadId: u.UploadId, startedAt: u.Initiated?.getTime() ?? 0 });
          }
          [KeyMarker, UploadIdMarker] = page.IsTruncated ? [page.NextKeyMarker, page.NextUploadIdMarker] : [undefined, undefined];
        } while (KeyMarker);
        return found;
      } catch (error) {
        if (error instanceof S3ServiceException && UNSUPPORTED.has(error.$metadata.httpStatusCode ?? 0)) return null;
        mapS3Error(error);
      }
    },
    async *listIds() {
      let ContinuationToken: string | undefined;
      const seen = new Set<string>();
      do {
        const page = await call(() => client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken })));
        for (const object of page.Contents ?? []) {
          const id = (object.Key ?? '').slice(prefix.length).split('/')[0];
          if (isFileId(id) && !seen.has(id)) {
            seen.add(id);
            yield id;
          }
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
    },
  };
}
