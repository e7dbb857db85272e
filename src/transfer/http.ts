/** fetch wrappers that turn every failure into a TransferError with a code. */
import { TransferError } from '../errors.ts';
import { bodyReadPath } from '../platform/features.ts';
import { byobReadWithin, STALLED } from './buffers.ts';

/**
 * A connection that goes silent (a black-holed route, a hung store) never fails by itself: a
 * response that has not begun, or a body that has not moved, for this long is given up as a
 * network error, which the retry policy sends again.
 */
export const STALL_TIMEOUT_MS = 60_000;
/**
 * A PUT's response begins only after its whole body is sent, and fetch reports no upload
 * progress: its wait grows with the body at this slowest rate we still wait for (16 MiB: ~9 min).
 */
export const MIN_UPLOAD_BYTES_PER_SECOND = 32 * 1024;

/** How long a request may wait for its response to begin, for a body of `bodyBytes`. */
export const responseTimeout = (bodyBytes = 0, stallMs = STALL_TIMEOUT_MS): number => stallMs + (1000 * bodyBytes) / MIN_UPLOAD_BYTES_PER_SECOND;

/** fetch, with failures as TransferErrors and a limit on the wait for the response to begin. */
export async function request(url: string, init: RequestInit, timeoutMs = responseTimeout()): Promise<Response> {
  const timer = new AbortController();
  const signal = init.signal ? AbortSignal.any([init.signal, timer.signal]) : timer.signal;
  const timeout = setTimeout(() => timer.abort(), timeoutMs);
  try {
    return await fetch(url, { ...init, signal });
  } catch (error) {
    if (init.signal?.aborted) throw new TransferError('Aborted', 'Cancelled');
    if (timer.signal.aborted) throw new TransferError('Network', `No answer from ${new URL(url).host} for ${Math.round(timeoutMs / 1000)} s`);
    throw new TransferError('Network', `Network error: ${(error as Error).message}`);
  } finally {
    clearTimeout(timeout);
  }
}

/** An S3 error body is XML with a <Code>: kept as the error's `storeCode` (a field, not a message). */
async function s3Code(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  return /<Code>([^<]{1,64})<\/Code>/.exec(text)?.[1] ?? '';
}

export async function expectStatus(response: Response, ok: number[], what: string): Promise<void> {
  if (ok.includes(response.status)) return;
  const code = await s3Code(response);
  throw new TransferError('HttpStatus', `${what} failed: HTTP ${response.status}${code ? ` ${code}` : ''}`, response.status, { storeCode: code || undefined });
}

/**
 * Reads a body of known length into one buffer: with a BYOB reader where the realm has one (a
 * third less CPU than arrayBuffer() in Chromium), else whole with `arrayBuffer()` (WebKitGTK 2.50:
 * the 'array-buffer' path of platform/features.ts). A shorter or longer body is reported, not padded.
 */
export async function readExactly(
  response: Response,
  length: number,
  into?: Uint8Array<ArrayBuffer>,
  stallMs = STALL_TIMEOUT_MS,
): Promise<Uint8Array<ArrayBuffer>> {
  const body = response.body;
  if (!body) throw new TransferError('Network', 'Response has no body');
  if (into && (into.byteOffset !== 0 || into.byteLength !== length))
    throw new RangeError("the destination must be a view of the body's length from its buffer's start");
  if (bodyReadPath() === 'array-buffer') return readWhole(response, length);
  // BYOB reads transfer the buffer: the bytes end up in the buffer returned, not necessarily `into`'s object.
  let buffer = into?.buffer ?? new ArrayBuffer(length);
  let offset = 0;
  let reader: ReadableStreamBYOBReader;
  try {
    reader = body.getReader({ mode: 'byob' });
  } catch {
    // The engine has BYOB readers but this body is not a byte stream (a Response built from a
    // non-byte stream, or an engine whose fetch bodies are not): read it whole.
    return readWhole(response, length);
  }
  const byob = reader;
  /** One read, given up (and the body cancelled) when no bytes come for `stallMs`. */
  const read = async (view: Uint8Array<ArrayBuffer>) => {
    const result = await byobReadWithin(byob, view, stallMs);
    if (result !== STALLED) return result;
    void byob.cancel().catch(() => undefined);
    throw new TransferError('Network', `The download stalled: no data for ${Math.round(stallMs / 1000)} s`);
  };
  try {
    while (offset < length) {
      const { done, value } = await read(new Uint8Array(buffer, offset, length - offset));
      if (done || !value) break;
      buffer = value.buffer as ArrayBuffer;
      offset += value.byteLength;
    }
    if (offset !== length) throw new TransferError('Network', `Body ended after ${offset} of ${length} bytes`);
    const { done } = await read(new Uint8Array(1));
    if (!done) throw new TransferError('Network', `Body is longer than ${length} bytes`);
  } catch (error) {
    if (error instanceof TransferError) throw error;
    throw new TransferError('Network', `Network error while reading: ${(error as Error).message}`);
  } finally {
    reader.releaseLock();
  }
  return new Uint8Array(buffer, 0, length);
}

/** The body whole, as an engine without BYOB readers reads it; its length is checked the same. */
async function readWhole(response: Response, length: number): Promise<Uint8Array<ArrayBuffer>> {
  let all: Uint8Array<ArrayBuffer>;
  try {
    all = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw new TransferError('Network', `Network error while reading: ${(error as Error).message}`);
  }
  if (all.byteLength !== length) throw new TransferError('Network', `Expected ${length} bytes, got ${all.byteLength}`);
  return all;
}
