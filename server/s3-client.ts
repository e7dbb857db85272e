/** The S3 client both the store's calls and the presigner use, and how S3's errors become API errors. */
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { S3Settings } from './config.ts';
import { ApiError } from './errors.ts';

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
export const UNSUPPORTED = new Set([405, 501]);

/** S3 error names we turn into client errors; anything else is a 503 with details in the log. */
export function mapS3Error(error: unknown): never {
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
