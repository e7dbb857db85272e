/**
 * Whole messages: making and opening headers, and the streaming API — "a key and a stream in,
 * a stream out". Runs unchanged in the page, in a worker and in Node.
 */
import { concatBytes, randomBytes } from './bytes.ts';
import { deriveContentKeys, headerAuthTag, openHeader } from './cipher.ts';
import { ContextMismatchError, TrailingDataError, TruncatedError } from './errors.ts';
import {
  DATA_KEY_LENGTH,
  DEFAULT_FRAME_LENGTH,
  type EncryptionContext,
  MAX_WRITE_FRAME_LENGTH,
  MESSAGE_ID_LENGTH,
  type MessageHeader,
  parseHeader,
  serializeHeader,
  TAG_LENGTH,
} from './format.ts';
import { type FrameKeys, openParsedFrame, readFrame, sealRun } from './frames.ts';
import type { Keyring } from './keyring.ts';

export interface SealingMessage extends FrameKeys {
  /** The serialized header with its auth tag: the first bytes of the message. */
  header: Uint8Array;
}

export function checkFrameLength(frameLength: number): void {
  if (!Number.isInteger(frameLength) || frameLength < TAG_LENGTH || frameLength % 16 !== 0 || frameLength > MAX_WRITE_FRAME_LENGTH) {
    throw new RangeError(`frame length ${frameLength} must be a multiple of 16 between 16 and ${MAX_WRITE_FRAME_LENGTH}`);
  }
}

/** A fresh data key and message ID, wrapped by `keyring`, bound to `context`. */
export async function createMessage(keyring: Keyring, context: EncryptionContext, frameLength = DEFAULT_FRAME_LENGTH): Promise<SealingMessage> {
  checkFrameLength(frameLength);
  const dataKey = randomBytes(DATA_KEY_LENGTH);
  const messageId = randomBytes(MESSAGE_ID_LENGTH);
  const [edk, { contentKey, commitment }] = await Promise.all([keyring.wrap(dataKey, context), deriveContentKeys(dataKey, messageId)]);
  dataKey.fill(0);
  const headerBytes = serializeHeader({ messageId, context, encryptedDataKeys: [edk], frameLength, commitment });
  const tag = await headerAuthTag(contentKey, headerBytes);
  return { header: concatBytes(headerBytes, tag), contentKey, messageId, frameLength };
}

export function checkContext(actual: EncryptionContext, expected: EncryptionContext): void {
  const a = Object.keys(actual).sort();
  const e = Object.keys(expected).sort();
  const same = a.length === e.length && e.every((k, i) => a[i] === k && actual[k] === expected[k]);
  if (!same) throw new ContextMismatchError('This object belongs to another file (its encryption context does not match the link)');
}

export interface OpenedMessage extends FrameKeys {
  header: MessageHeader;
}

/** Checks the binding, unwraps the data key, verifies commitment and header tag. */
export async function openMessage(header: MessageHeader, keyring: Keyring, expectedContext: EncryptionContext): Promise<OpenedMessage> {
  checkContext(header.context, expectedContext);
  const contentKey = await openHeader(await keyring.unwrap(header), header);
  return { header, contentKey, messageId: header.messageId, frameLength: header.frameLength };
}

export interface EncryptOptions {
  context: EncryptionContext;
  frameLength?: number;
}

/** A TransformStream from plaintext to a complete message. Holds at most one frame of plaintext. */
export function encryptStream(keyring: Keyring, options: EncryptOptions): TransformStream<Uint8Array, Uint8Array> {
  let message: SealingMessage;
  let frame: Uint8Array;
  let filled = 0;
  let seq = 1;
  return new TransformStream({
    async start(controller) {
      message = await createMessage(keyring, options.context, options.frameLength);
      frame = new Uint8Array(message.frameLength);
      controller.enqueue(message.header);
    },
    async transform(chunk, controller) {
      let at = 0;
      while (at < chunk.byteLength) {
        const n = Math.min(frame.byteLength - filled, chunk.byteLength - at);
        frame.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === frame.byteLength) {
          controller.enqueue(await sealRun(message, frame, seq++, false));
          filled = 0;
        }
      }
    },
    async flush(controller) {
      controller.enqueue(await sealRun(message, frame.subarray(0, filled), seq, true));
      frame.fill(0);
    },
  });
}

/** A growable byte buffer: each input byte is copied in once, and compacted at most once per frame. */
class ByteQueue {
  private data = new Uint8Array(64 * 1024);
  private start = 0;
  private end = 0;
  get length(): number {
    return this.end - this.start;
  }
  view(): Uint8Array {
    return this.data.subarray(this.start, this.end);
  }
  push(chunk: Uint8Array): void {
    if (this.end + chunk.byteLength > this.data.byteLength) {
      const needed = this.length + chunk.byteLength;
      const next = needed > this.data.byteLength ? new Uint8Array(Math.max(needed, this.data.byteLength * 2)) : this.data;
      next.set(this.view(), 0);
      this.data = next;
      this.end = this.length;
      this.start = 0;
    }
    this.data.set(chunk, this.end);
    this.end += chunk.byteLength;
  }
  consume(n: number): void {
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
  }
}

export interface DecryptOptions {
  context: EncryptionContext;
  /** Called once the header is authenticated, before any plaintext. */
  onHeader?: (header: MessageHeader) => void;
}

/**
 * A TransformStream from a message to its plaintext. Each frame is authenticated before its
 * plaintext is enqueued; once an error is thrown the stream stays errored. A clean end
 * requires the final frame and nothing after it.
 */
export function decryptStream(keyring: Keyring, options: DecryptOptions): TransformStream<Uint8Array, Uint8Array> {
  const queue = new ByteQueue();
  let opened: OpenedMessage | undefined;
  let seq = 1;
  let done = false;
  const pump = async (controller: TransformStreamDefaultController<Uint8Array>) => {
    if (!opened) {
      const header = parseHeader(queue.view());
      if (!header) return;
      opened = await openMessage(header, keyring, options.context);
      queue.consume(header.length);
      options.onHeader?.(header);
    }
    while (!done && queue.length > 0) {
      const frame = readFrame(queue.view(), 0, opened.frameLength, seq);
      if (!frame) return;
      controller.enqueue(await openParsedFrame(opened, frame));
      queue.consume(frame.size);
      done = frame.final;
      seq++;
    }
    if (done && queue.length > 0) throw new TrailingDataError(`${queue.length} bytes follow the final frame`);
  };
  return new TransformStream({
    async transform(chunk, controller) {
      if (done && chunk.byteLength > 0) throw new TrailingDataError(`${chunk.byteLength} bytes follow the final frame`);
      queue.push(chunk);
      await pump(controller);
    },
    flush() {
      if (!opened) throw new TruncatedError('The message ends inside its header');
      if (!done) throw new TruncatedError(`The message ends before its final frame (inside or after frame ${seq - 1})`);
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  // A reader, not `for await`: Safari and WebKitGTK 2.50 streams are not async-iterable.
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
  return concatBytes(...chunks);
}

const single = (bytes: Uint8Array) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });

/** Whole-buffer helpers for small objects (the meta object); large data always streams. */
export const encryptBytes = (keyring: Keyring, plaintext: Uint8Array, options: EncryptOptions): Promise<Uint8Array> =>
  collect(single(plaintext).pipeThrough(encryptStream(keyring, options)));

export const decryptBytes = (keyring: Keyring, message: Uint8Array, options: DecryptOptions): Promise<Uint8Array> =>
  collect(single(message).pipeThrough(decryptStream(keyring, options)));
