/**
 * The headers, metadata and tags Cipherdrop puts on stored objects: expiry (metadata, or tags under
 * SSE-C), retention classes for lifecycle rules, server-side encryption, the opaque content type.
 */
import { SSE_C_HEADERS } from '../src/contract/api.ts';
import type { SseSettings } from './config.ts';

/** S3 user metadata key (sent as x-amz-meta-cipherdrop-expires). */
export const EXPIRES_METADATA = 'cipherdrop-expires';
export const EXPIRES_HEADER = `x-amz-meta-${EXPIRES_METADATA}`;
/** Under SSE-C, metadata is unreadable without the key, so the expiry is an object tag instead. */
export const EXPIRES_TAG = 'cipherdrop-expires';
/**
 * Every expiring object is also tagged with a retention class (the next of these day counts at or
 * above its expiry), which bucket lifecycle rules (`npm run setup`) turn into deletion a day after
 * it: a backstop for the sweeper, which deletes at the exact time.
 */
export const RETENTION_TAG = 'cipherdrop-retention';
export const RETENTION_DAYS = [1, 7, 30, 90, 365] as const;
export const TAGGING_HEADER = 'x-amz-tagging';
export const OCTET_STREAM = 'application/octet-stream';

export function retentionDays(expiresAt: number, now = Date.now()): number {
  const days = Math.ceil((expiresAt - now) / 86_400_000);
  return RETENTION_DAYS.find((d) => d >= days) ?? RETENTION_DAYS[RETENTION_DAYS.length - 1];
}
export const SSE_HEADER = 'x-amz-server-side-encryption';
export const SSE_KMS_KEY_HEADER = 'x-amz-server-side-encryption-aws-kms-key-id';
export const SSE_C_ALGORITHM_HEADER = SSE_C_HEADERS.algorithm;

/** The SDK parameters and the equivalent headers for the configured server-side encryption. */
export function sseFor(sse: SseSettings | undefined): { params: Record<string, string>; headers: Record<string, string> } {
  switch (sse?.mode ?? 'none') {
    case 'AES256':
      return { params: { ServerSideEncryption: 'AES256' }, headers: { [SSE_HEADER]: 'AES256' } };
    case 'aws:kms': {
      const key = sse?.kmsKeyId;
      return {
        params: { ServerSideEncryption: 'aws:kms', ...(key ? { SSEKMSKeyId: key } : {}) },
        headers: { [SSE_HEADER]: 'aws:kms', ...(key ? { [SSE_KMS_KEY_HEADER]: key } : {}) },
      };
    }
    case 'sse-c':
      // Only the algorithm is signed; the browser adds the key and its MD5, which we never see.
      return { params: { SSECustomerAlgorithm: 'AES256' }, headers: { [SSE_C_ALGORITHM_HEADER]: 'AES256' } };
    default:
      return { params: {}, headers: {} };
  }
}

/**
 * The tagging header of an object that expires: its retention class for lifecycle rules, and
 * under SSE-C (whose metadata is unreadable without the key) the expiry itself.
 */
export function expiryTags(expiresAt: number | null, customerKeys: boolean): Record<string, string> {
  if (expiresAt === null) return {};
  const retention = `${RETENTION_TAG}=${retentionDays(expiresAt)}d`;
  return { [TAGGING_HEADER]: customerKeys ? `${retention}&${EXPIRES_TAG}=${expiresAt}` : retention };
}
