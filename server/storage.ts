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
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Settings } from './config.ts';
import { ApiError } from './errors.ts';
import { isFileId, type ObjectRole, objectKey } from './ids.ts';

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

export interface ObjectStat {
  size: number;
  /** ms since epoch, or null for no expiry */
  expiresAt: number | null;
}

/** S3 user metadata key (sent as x-amz-meta-cipherdrop-expires). */
const EXPIRES_METADATA = 'cipherdrop-expires';
const EXPIRES_HEADER = `x-amz-meta-${EXPIRES_METADATA}`;

export interface Storage {
  /** The origin browsers fetch from, for the CSP's connect-src. */
  readonly publicOrigin: string;
  /** `expiresAt` (ms since epoch) is stored with the object, so every server process sees it. */
  createUpload(id: string, expiresAt: number | null): Promise<string>;
  presignPart(id: string, uploadId: string, partNumber: number): Promise<string>;
  /** A presigned single PUT; `headers` must be sent with it exactly (they are signed). */
  presignPut(id: string, role: ObjectRole, expiresAt: number | null): Promise<{ url: string; headers: Record<string, string> }>;
  complete(id: string, uploadId: string, parts: CompletedPart[]): Promise<void>;
  /** false when the store does not implement AbortMultipartUpload. */
  abort(id: string, uploadId: string): Promise<boolean>;
  remove(id: string, role: ObjectRole): Promise<void>;
  /** Size and expiry of an object, or null when it does not exist. */
  stat(id: string, role: ObjectRole): Promise<ObjectStat | null>;
  presignGet(id: string, role: ObjectRole): Promise<string>;
  /** Every file id that has objects under the prefix. */
  listIds(): AsyncIterable<string>;
}

export function s3Client(settings: S3Settings, endpoint: string | undefined): S3Client {
  const client = new S3Client({
    endpoint,
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    // With the SDK default, presigned URLs carry the CRC of an empty body, which real S3 may reject.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  if (settings.signBucketPathWithoutSlash) {
    // Before signing, so the signature covers the path s3rver checks. Object paths are untouched.
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { path?: string };
        if (request.path && /^\/[^/]+\/$/.test(request.path)) request.path = request.path.slice(0, -1);
        return next(args);
      },
      { step: 'build', name: 'signBucketPathWithoutSlash' },
    );
  }
  return client;
}

/** 405 Method Not Allowed / 501 Not Implemented: the store lacks the operation (s3rver and Abort). */
const UNSUPPORTED = new Set([405, 501]);

/** S3 error names we turn into client errors; anything else is a 503 with details in the log. */
function mapS3Error(error: unknown): never {
  if (error instanceof S3ServiceException) {
    switch (error.name) {
      case 'NoSuchUpload':
        throw new ApiError('UploadNotFound', 'No such upload in progress (finished, aborted or never started)');
      case 'InvalidPart':
      case 'InvalidPartOrder':
      case 'EntityTooSmall':
        throw new ApiError('InvalidParts', `The store refused the part list: ${error.name}`);
    }
  }
  const wrapped = new ApiError('StorageUnavailable', `S3 request failed: ${(error as Error).message}`);
  wrapped.cause = error;
  throw wrapped;
}

export function createStorage(settings: S3Settings, prefix: string, expiresIn: number): Storage {
  const client = s3Client(settings, settings.endpoint);
  const signer = s3Client(settings, settings.publicEndpoint);
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

  return {
    publicOrigin: browserOrigin,
    async createUpload(id) {
      const out = await call(() => client.send(new CreateMultipartUploadCommand({ Bucket, Key: key(id, 'data'), ContentType: 'application/octet-stream' })));
      if (!out.UploadId) throw new ApiError('StorageUnavailable', 'S3 returned no UploadId');
      return out.UploadId;
    },
    presignPart: (id, uploadId, partNumber) =>
      getSignedUrl(signer, new UploadPartCommand({ Bucket, Key: key(id, 'data'), UploadId: uploadId, PartNumber: partNumber }), { expiresIn }),
    async presignPut(id, role, expiresAt): Promise<{ url: string; headers: Record<string, string> }> {
      if (expiresAt === null) return { url: await getSignedUrl(signer, new PutObjectCommand({ Bucket, Key: key(id, role) }), { expiresIn }), headers: {} };
      // The expiry rides on the meta object too, as a signed header: some stores (s3rver) drop
      // metadata given at CreateMultipartUpload, and a header the browser omits breaks the signature.
      const value = String(expiresAt);
      const url = await getSignedUrl(signer, new PutObjectCommand({ Bucket, Key: key(id, role), Metadata: { [EXPIRES_METADATA]: value } }), {
        expiresIn,
        unhoistableHeaders: new Set([EXPIRES_HEADER]),
      });
      return { url, headers: { [EXPIRES_HEADER]: value } };
    },
    async complete(id, uploadId, parts) {
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
        return { size: out.ContentLength ?? 0, expiresAt: Number.isSafeInteger(expires) ? expires : null };
      } catch (error) {
        if (error instanceof S3ServiceException && (error.name === 'NotFound' || error.$metadata.httpStatusCode === 404)) return null;
        mapS3Error(error);
      }
    },
    presignGet: (id, role) => getSignedUrl(signer, new GetObjectCommand({ Bucket, Key: key(id, role) }), { expiresIn }),
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
