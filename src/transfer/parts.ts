/**
 * The work of one part and one range: read, seal, PUT — or GET, open. Runs in a browser
 * worker (crypto.worker.ts) and directly in Node (the CLI), so both share every check.
 */
import { openRun, sealRun } from '../crypto/frames.ts';
import { TransferError } from '../errors.ts';
import type { PartPlan, RangePlan } from '../upload/plan.ts';
import { expectStatus, readExactly, request } from './http.ts';

export interface FrameKeysMessage {
  contentKey: CryptoKey;
  messageId: Uint8Array;
  frameLength: number;
}

export interface EncryptPartRequest {
  file: Blob;
  part: PartPlan;
  /** null only in the benchmark's plaintext baseline: the same read and PUT, without sealing */
  keys: FrameKeysMessage | null;
  header?: Uint8Array;
  url: string;
}

export interface DecryptRangeRequest {
  url: string;
  range: RangePlan;
  /** null only in the benchmark's plaintext baseline: the same GET and read, without opening */
  keys: FrameKeysMessage | null;
}

/** Where parts and ranges are processed: a worker pool in the page, the same thread in Node. */
export interface PartRunner {
  encryptPart(request: EncryptPartRequest, signal?: AbortSignal): Promise<{ etag: string }>;
  decryptRange(request: DecryptRangeRequest, signal?: AbortSignal): Promise<ArrayBuffer>;
}

export async function encryptPart({ file, part, keys, header, url }: EncryptPartRequest, signal?: AbortSignal): Promise<{ etag: string }> {
  const plain = new Uint8Array(await file.slice(part.plainStart, part.plainEnd).arrayBuffer());
  const body = keys ? await sealRun(keys, plain, part.firstSeq, part.endsMessage, part.includesHeader ? header : undefined) : plain;
  if (keys) plain.fill(0);
  if (body.byteLength !== part.cipherSize) throw new Error(`part ${part.partNumber}: sealed ${body.byteLength} bytes, planned ${part.cipherSize}`);
  const response = await request(url, { method: 'PUT', body, signal });
  await expectStatus(response, [200], `Upload of part ${part.partNumber}`);
  const etag = response.headers.get('ETag');
  if (!etag) {
    throw new TransferError('MissingETag', "The storage did not expose the part's ETag: its CORS rule needs <ExposeHeader>ETag</ExposeHeader>");
  }
  return { etag };
}

export async function decryptRange({ url, range, keys }: DecryptRangeRequest, signal?: AbortSignal): Promise<ArrayBuffer> {
  const response = await request(url, { headers: { Range: `bytes=${range.start}-${range.end}` }, signal });
  await expectStatus(response, [206], `Download of bytes ${range.start}-${range.end}`);
  const sealed = await readExactly(response, range.end - range.start + 1);
  if (!keys) return sealed.buffer as ArrayBuffer;
  const plain = await openRun(keys, sealed, range.firstSeq, range.endsMessage, range.plainLength);
  return plain.buffer as ArrayBuffer;
}

/** Node, or tests: no workers; WebCrypto in Node already runs on its own thread pool. */
export const directRunner: PartRunner = { encryptPart, decryptRange };
