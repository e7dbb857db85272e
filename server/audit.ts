/**
 * Audits a bucket: every object with its size, expiry, server-side encryption and whether it is
 * a client-side-encrypted Cipherdrop message (header parses, suite 0x0478, a data key of our
 * keyring). Anything that is not is a finding: plaintext must never be at rest.
 */
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { FormatError } from '../src/crypto/errors.ts';
import { KEY_NAMESPACE, MAX_HEADER_LENGTH, parseHeader } from '../src/crypto/format.ts';

export interface AuditedObject {
  key: string;
  size: number;
  expiresAt: number | null;
  serverSideEncryption: string | null;
  /** null: cannot be read without the browser's key (SSE-C), so the format cannot be checked */
  clientSideEncrypted: boolean | null;
  /** why it is not (when it is not) */
  problem?: string;
}

async function head(client: S3Client, Bucket: string, Key: string, size: number): Promise<Uint8Array> {
  if (size === 0) return new Uint8Array(0);
  const out = await client.send(new GetObjectCommand({ Bucket, Key, Range: `bytes=0-${Math.min(size, MAX_HEADER_LENGTH) - 1}` }));
  return (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
}

function classify(bytes: Uint8Array): { clientSideEncrypted: boolean; problem?: string } {
  try {
    const header = parseHeader(bytes);
    if (!header) return { clientSideEncrypted: false, problem: 'too short for a message header' };
    if (!header.encryptedDataKeys.some((k) => k.providerId === KEY_NAMESPACE))
      return { clientSideEncrypted: false, problem: 'no data key of the cipherdrop keyring' };
    return { clientSideEncrypted: true };
  } catch (error) {
    return { clientSideEncrypted: false, problem: error instanceof FormatError ? `${error.code}: ${error.message}` : String(error) };
  }
}

export async function auditBucket(client: S3Client, Bucket: string): Promise<AuditedObject[]> {
  const out: AuditedObject[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket, ContinuationToken }));
    for (const object of page.Contents ?? []) {
      const Key = object.Key as string;
      const meta = await client.send(new HeadObjectCommand({ Bucket, Key })).catch((error) => {
        if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 400) return null; // SSE-C: needs the key
        throw error;
      });
      if (!meta) {
        const tags = await client.send(new GetObjectTaggingCommand({ Bucket, Key }));
        const expires = Number(tags.TagSet?.find((t) => t.Key === 'cipherdrop-expires')?.Value);
        out.push({
          key: Key,
          size: object.Size ?? 0,
          expiresAt: Number.isSafeInteger(expires) ? expires : null,
          serverSideEncryption: 'SSE-C (key only in share links)',
          clientSideEncrypted: null,
          problem: 'SSE-C: unreadable without the link, so the format cannot be checked here',
        });
        continue;
      }
      const size = meta.ContentLength ?? 0;
      const expires = Number(meta.Metadata?.['cipherdrop-expires']);
      out.push({
        key: Key,
        size,
        expiresAt: Number.isSafeInteger(expires) ? expires : null,
        serverSideEncryption: meta.ServerSideEncryption ?? (meta.SSECustomerAlgorithm ? `SSE-C ${meta.SSECustomerAlgorithm}` : null),
        ...classify(await head(client, Bucket, Key, size)),
      });
    }
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return out;
}
