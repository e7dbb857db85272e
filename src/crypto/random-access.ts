/**
 * Random access into a message: read and authenticate only the frames covering a plaintext byte
 * range. Here for any source (a Blob, a file; the library and the CLI), opening frames on this
 * thread; a share link's data object (download/data-object.ts) reads the same way through ranged
 * GETs and the worker pool. Both read the header with `readHeader` and ranges with `readPlaintext`.
 */
import { coveringRun, type FrameRun, framePlainStart, frameRun, type MessageLayout, objectLayout } from '../layout.ts';
import { TruncatedError } from './errors.ts';
import { type EncryptionContext, KiB, MAX_HEADER_LENGTH, type MessageHeader, parseHeader } from './format.ts';
import { openParsedFrame, openRun, readFrame } from './frames.ts';
import type { Keyring } from './keyring.ts';
import { type OpenedMessage, openMessage } from './message.ts';

/** Anything that can read byte ranges: a Blob, a file, a ranged HTTP GET. `end` is exclusive. */
export interface RandomAccessSource {
  size: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

export const blobSource = (blob: Blob): RandomAccessSource => ({
  size: blob.size,
  read: async (start, end) => new Uint8Array(await blob.slice(start, end).arrayBuffer()),
});

/** Our headers are ~300 bytes: one small read, and a second (up to MAX_HEADER_LENGTH) only for larger ones. */
const FIRST_READ = 4 * KiB;

/** The header at the start of `source`; TruncatedError if the source ends inside it. */
export async function readHeader(source: RandomAccessSource): Promise<MessageHeader> {
  let header = source.size > 0 ? parseHeader(await source.read(0, Math.min(source.size, FIRST_READ))) : null;
  if (!header && source.size > FIRST_READ) header = parseHeader(await source.read(0, Math.min(source.size, MAX_HEADER_LENGTH)));
  if (!header) throw new TruncatedError('The message ends inside its header');
  return header;
}

/** Plaintext by byte range, every covering frame authenticated before a byte is returned. */
export interface PlaintextReader {
  plaintextSize: number;
  /** Plaintext [start, end), clamped to the message. */
  read(start: number, end: number): Promise<Uint8Array>;
}

/** Plaintext [start, end) of a message laid out as `layout`: the covering run read whole (`readFrames`), then cut. */
export async function readPlaintext(
  layout: MessageLayout,
  readFrames: (run: FrameRun) => Promise<Uint8Array>,
  start: number,
  end: number,
): Promise<Uint8Array> {
  const run = coveringRun(layout, start, end);
  if (!run) return new Uint8Array(0);
  const offset = framePlainStart(run.firstSeq, layout.frameLength);
  const plain = await readFrames(run);
  return plain.subarray(Math.max(0, start) - offset, Math.min(end, layout.plaintextSize) - offset);
}

export interface RandomAccessMessage extends PlaintextReader {
  message: OpenedMessage;
}

/**
 * Opens the message in `source`. Its plaintext size is inferred from the source's length, so the
 * final frame is read and authenticated here: the size reported is proven, not guessed.
 */
export async function openRandomAccess(source: RandomAccessSource, keyring: Keyring, context: EncryptionContext): Promise<RandomAccessMessage> {
  const header = await readHeader(source);
  const message = await openMessage(header, keyring, context);
  const layout = objectLayout(source.size, message.frameLength, header.length);
  if (!layout) throw new TruncatedError('The message size does not end on a frame boundary');
  const last = frameRun(layout, layout.frameCount, layout.frameCount);
  const finalBytes = await source.read(last.start, source.size);
  const final = readFrame(finalBytes, 0, layout.frameLength, last.firstSeq);
  if (!final?.final || final.size !== finalBytes.byteLength) throw new TruncatedError('The message does not end with its final frame');
  await openParsedFrame(message, final);

  const readFrames = async (run: FrameRun) => openRun(message, await source.read(run.start, run.end + 1), run.firstSeq, run.endsMessage, run.plainLength);
  return { message, plaintextSize: layout.plaintextSize, read: (start, end) => readPlaintext(layout, readFrames, start, end) };
}

/** One-shot form: the plaintext bytes [start, end) of the message in `source`. */
export async function decryptRange(source: RandomAccessSource, keyring: Keyring, context: EncryptionContext, start: number, end: number): Promise<Uint8Array> {
  return (await openRandomAccess(source, keyring, context)).read(start, end);
}
