/**
 * The S3 side of the presign server. Two clients: one talks to S3 from this process, the
 * other only signs URLs for the endpoint browsers use (they differ behind proxies and in tests).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
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
import { EXPIRES_METADATA, OCTET_STREAM, sseFor, TAGGING_HEADER, expiryTags as tagsFor } from './object-headers.ts';
import { type ObjectStat, objectOps } from './object-ops.ts';
import { createRequestStore, type RequestStore } from './request-store.ts';
import { mapS3Error, s3Client, UNSUPPORTED } from './s3-client.ts';
import { createSetStore, type SetStore } from './set-store.ts';

export type { ObjectStat };

export interface CompletedPart {
  partNumber: number;
  etag: string;
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
  /** Sets (docs/SETS.md); likewise absent from stubs. */
  readonly sets?: SetStore;
}

export function createStorage(settings: S3Settings, prefix: string, expiresIn: number): Storage {
  const client = s3Client(settings, settings.endpoint);
  const signer = s3Client(settings, settings.publicEndpoint);
  // A request's files are never SSE-C: their recipient could not derive the key before opening them.
  const plain: S3Settings = { ...settings, sse: settings.sse?.mode === 'sse-c' ? { mode: 'none' } : settings.sse };
  const requests = createRequestStore(client, settings.bucket, prefix, (folder) => storageAt(plain, prefix + folder, expiresIn, client, signer));
  // A set's blobs and manifest are encrypted as files are (SSE-C keys derive from the set's link secret).
  const ops = objectOps(settings, client, signer, expiresIn);
  const sets = createSetStore(client, settings, prefix, ops, (folder) => storageAt(settings, prefix + folder, expiresIn, client, signer));
  return { ...storageAt(settings, prefix, expiresIn, client, signer), requests, sets };
}

function storageAt(settings: S3Settings, prefix: string, expiresIn: number, client: S3Client, signer: S3Client): Storage {
  const Bucket = settings.bucket;
  const key = (id: string, role: ObjectRole) => objectKey(prefix, id, role);
  const publicOrigin = new URL(settings.publicEndpoint ?? `https://s3.${settings.region}.amazonaws.com`).origin;
  const ops = objectOps(settings, client, signer, expiresIn);
  const { call, signing } = ops;
  // Virtual-hosted buckets live on a subdomain of the endpoint; the CSP must allow it.
  const browserOrigin = settings.forcePathStyle ? publicOrigin : publicOrigin.replace('://', `://${Bucket}.`);
  const sse = sseFor(settings.sse);
  const customerKeys = settings.sse?.mode === 'sse-c';
  const partChecksum = settings.partChecksum ?? null;
  const expiryTags = (expiresAt: number | null) => tagsFor(expiresAt, customerKeys);

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
    // Write once: a finished file's meta object is never replaced.
    presignMetaPut: (id, contentLength, expiresAt) => ops.presignPut(key(id, 'meta'), contentLength, expiresAt, { seconds: META_URL_SECONDS, writeOnce: true }),
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
    remove: (id, role) => ops.remove(key(id, role)),
    stat: (id, role) => ops.stat(key(id, role)),
    presignGet: (id, role, customerKey = false) => ops.presignGet(key(id, role), customerKey),
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
