/**
 * File requests (docs/REQUESTS.md): checking what a requester registers, a request's state, and
 * reserving room for a file sent to it. The routes are in routes/requests.ts and routes/uploads.ts.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { REQUEST_KEY_BITS, REQUEST_KEY_EXPONENT } from '../src/contract/limits.ts';
import type { RequestState } from '../src/contract/requests.ts';
import { ApiError } from './errors.ts';
import { type KeyedMutex, keyedMutex } from './keyed-mutex.ts';
import type { RequestContents, RequestRecord, RequestStore } from './request-store.ts';

/** The bytes of a base64url value the schema let through, refused unless canonical and at most `max` long. */
export function decodeBase64url(value: string, max: number, what: string): Buffer {
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.toString('base64url') !== value) throw new ApiError('BadRequest', `${what} is not canonical base64url`);
  if (bytes.length > max) throw new ApiError('PayloadTooLarge', `${what} is larger than ${max} bytes`);
  return bytes;
}

/** base64url SHA-256 of the SPKI DER: what the request link carries. */
export const fingerprintOf = (spki: Uint8Array): string => createHash('sha256').update(spki).digest('base64url');

/** The request key must be an RSA SPKI of exactly 4096 bits with e = 65537, in canonical DER; else 400 BadPublicKey. */
export function checkPublicKey(spki: Buffer): string {
  let details: { type: string | undefined; bits?: number; exponent?: bigint; der: Buffer };
  try {
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const { modulusLength, publicExponent } = key.asymmetricKeyDetails ?? {};
    details = { type: key.asymmetricKeyType, bits: modulusLength, exponent: publicExponent, der: key.export({ format: 'der', type: 'spki' }) };
  } catch {
    throw new ApiError('BadPublicKey', 'The public key is not an SPKI (DER) public key');
  }
  if (details.type !== 'rsa') throw new ApiError('BadPublicKey', `The public key must be RSA (rsaEncryption), not ${details.type ?? 'unknown'}`);
  if (details.bits !== REQUEST_KEY_BITS) throw new ApiError('BadPublicKey', `The RSA key must have a ${REQUEST_KEY_BITS}-bit modulus, not ${details.bits}`);
  if (details.exponent !== BigInt(REQUEST_KEY_EXPONENT)) throw new ApiError('BadPublicKey', `The RSA key's public exponent must be ${REQUEST_KEY_EXPONENT}`);
  // Trailing bytes or another encoding of the same key would give it a second fingerprint.
  if (!details.der.equals(spki)) throw new ApiError('BadPublicKey', 'The public key is not in canonical DER');
  return fingerprintOf(spki);
}

export function requestState(record: RequestRecord, closed: boolean, now = Date.now()): RequestState {
  if (record.expiresAt <= now) return 'expired';
  return closed ? 'closed' : 'open';
}

/** What a request holds against its limits: every reservation, uploads in progress included. */
export function held(contents: RequestContents): { files: number; bytes: number } {
  const reserved = contents.files.filter((f) => f.reserved !== null);
  return { files: reserved.length, bytes: reserved.reduce((n, f) => n + (f.reserved ?? 0), 0) };
}

/** Complete files: their data and meta objects both there. */
export const received = (contents: RequestContents) => contents.files.filter((f) => f.data !== null && f.meta);

/** The request, or the refusal of a file sent to it: 404, 410 (expired, closed). */
export async function openRequest(store: RequestStore, requestId: string, now = Date.now()): Promise<{ record: RequestRecord; contents: RequestContents }> {
  const record = await store.read(requestId);
  if (!record) throw new ApiError('RequestNotFound', 'No file request with this id (never made, deleted or expired)');
  if (record.expiresAt <= now) throw new ApiError('RequestExpired', 'This file request has expired');
  const contents = await store.contents(requestId);
  if (contents.closed) throw new ApiError('RequestClosed', 'This file request is closed');
  return { record, contents };
}

function checkRoom(record: RequestRecord, contents: RequestContents, bytes: number): void {
  const now = held(contents);
  if (now.files + 1 > record.maxFiles) throw new ApiError('RequestFull', `This request takes at most ${record.maxFiles} file(s)`);
  if (now.bytes + bytes > record.maxBytes)
    throw new ApiError('RequestFull', `This request takes at most ${record.maxBytes} bytes; ${record.maxBytes - now.bytes} are left`);
}

export interface Reservations {
  /**
   * Reserves room for `bytes` in the request for `fileId`, or refuses (404, 410, 413); returns the
   * record. Serialised per request in this process; across processes, each checks again after
   * writing its reservation and withdraws it when the request is then over its limits.
   */
  reserve(requestId: string, fileId: string, bytes: number): Promise<RequestRecord>;
}

export function reservations(store: RequestStore, mutex: KeyedMutex = keyedMutex()): Reservations {
  return {
    reserve: (requestId, fileId, bytes) =>
      mutex(requestId, async () => {
        const { record, contents } = await openRequest(store, requestId);
        checkRoom(record, contents, bytes);
        await store.reserve(requestId, fileId, bytes, record.expiresAt);
        // Another process may have reserved the same room meanwhile: whoever then sees the request
        // over its limits withdraws (both may; neither is ever let through over the limit).
        const after = await store.contents(requestId);
        const total = held(after);
        if (after.closed || total.files > record.maxFiles || total.bytes > record.maxBytes) {
          await store.release(requestId, fileId);
          if (after.closed) throw new ApiError('RequestClosed', 'This file request is closed');
          throw new ApiError('RequestFull', 'This request just filled up');
        }
        return record;
      }),
  };
}
