/** The server's own small objects (records, markers) and listings, by key. */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { ApiError } from './errors.ts';
import { expiryTags, OCTET_STREAM, TAGGING_HEADER } from './object-headers.ts';
import { mapS3Error } from './s3-client.ts';

export interface Listed {
  /** the key below the listed prefix */
  name: string;
  size: number;
  modifiedAt: number | null;
}

export interface BucketIo {
  /**
   * Writes a small object of the server's (never SSE-C), tagged with its retention class.
   * `writeOnce`: `If-None-Match: *`; answers false when the object was already there.
   */
  put(Key: string, body: string, expiresAt: number | null, writeOnce?: boolean): Promise<boolean>;
  /** The object's text, or null when there is none. */
  read(Key: string): Promise<string | null>;
  /** A record of ours, or null when there is none; 503 StorageUnavailable when it is not `valid` JSON of that kind. */
  readJson<T>(Key: string, valid: (value: T) => boolean): Promise<T | null>;
  list(Prefix: string): AsyncIterable<Listed>;
  remove(Key: string): Promise<void>;
}

export function bucketIo(client: S3Client, Bucket: string): BucketIo {
  const call = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (error) {
      mapS3Error(error);
    }
  };
  async function read(Key: string): Promise<string | null> {
    try {
      const out = await client.send(new GetObjectCommand({ Bucket, Key }));
      return (await out.Body?.transformToString()) ?? '';
    } catch (error) {
      if (error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404)) return null;
      mapS3Error(error);
    }
  }
  return {
    read,
    async readJson<T>(Key: string, valid: (value: T) => boolean) {
      const text = await read(Key);
      if (text === null) return null;
      let value: T;
      try {
        value = JSON.parse(text) as T;
      } catch {
        throw new ApiError('StorageUnavailable', `${Key} is not JSON`);
      }
      if (value === null || typeof value !== 'object' || !valid(value)) throw new ApiError('StorageUnavailable', `${Key} is not a record of its kind`);
      return value;
    },
    async put(Key, body, expiresAt, writeOnce = false) {
      const command = new PutObjectCommand({
        Bucket,
        Key,
        Body: body,
        ContentLength: Buffer.byteLength(body),
        ContentType: OCTET_STREAM,
        Tagging: expiryTags(expiresAt, false)[TAGGING_HEADER],
        ...(writeOnce ? { IfNoneMatch: '*' } : {}),
      });
      try {
        await client.send(command);
        return true;
      } catch (error) {
        // 412: it exists; 409 (AWS): another write of it is in flight, which will have made it.
        const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
        if (writeOnce && (status === 412 || status === 409)) return false;
        mapS3Error(error);
      }
    },
    async remove(Key) {
      await call(() => client.send(new DeleteObjectCommand({ Bucket, Key })));
    },
    async *list(Prefix) {
      let ContinuationToken: string | undefined;
      do {
        const page = await call(() => client.send(new ListObjectsV2Command({ Bucket, Prefix, ContinuationToken })));
        for (const o of page.Contents ?? []) {
          if (o.Key?.startsWith(Prefix)) yield { name: o.Key.slice(Prefix.length), size: o.Size ?? 0, modifiedAt: o.LastModified?.getTime() ?? null };
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
    },
  };
}
