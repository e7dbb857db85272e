/**
 * Random access into a message: read and authenticate only the frames covering a plaintext
 * byte range (the viewer's seek and the CLI use it). Opening also authenticates the final
 * frame, so the plaintext size it reports is proven, not inferred from the object's length.
 */
import { TruncatedError } from './errors.ts';
import { type EncryptionContext, FINAL_FRAME_OVERHEAD, KiB, MAX_HEADER_LENGTH, parseHeader, regularFrameSize } from './format.ts';
import { openParsedFrame, openRun, readFrame } from './frames.ts';
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

const FIRST_READ = 4 * KiB;

export interface RandomAccessMessage {
  message: OpenedMessage;
  plaintextSize: number;
  /** Plaintext bytes [start, end), every covering frame authenticated first. */
  read(start: number, end: number): Promise<Uint8Array>;
}

export async function openRandomAccess(
  source: RandomAccessSource,
  wrappingKey: CryptoKey,
  context: EncryptionContext,
  keyName?: string,
): Promise<RandomAccessMessage> {
  let header = parseHeader(await source.read(0, Math.min(source.size, FIRST_READ)));
  if (!header && source.size > FIRST_READ) header = parseHeader(await source.read(0, Math.min(source.size, MAX_HEADER_LENGTH)));
  if (!header) throw new TruncatedError('The message ends inside its header');
  const message = await openMessage(header, wrappingKey, context, keyName);
  const F = message.frameLength;
  const H = header.length;
  const body = source.size - H;
  if (body < FINAL_FRAME_OVERHEAD) throw new TruncatedError('The message ends before its final frame');
  const regular = Math.floor((body - FINAL_FRAME_OVERHEAD) / regularFrameSize(F));
  const finalLength = body - FINAL_FRAME_OVERHEAD - regular * regularFrameSize(F);
  if (finalLength > F) throw new TruncatedError('The message size does not end on a frame boundary');
  const finalStart = H + regular * regularFrameSize(F);
  const finalBytes = await source.read(finalStart, source.size);
  const final = readFrame(finalBytes, 0, F, regular + 1);
  if (!final?.final || final.size !== finalBytes.byteLength) throw new TruncatedError('The message does not end with its final frame');
  await openParsedFrame(message, final);
  const plaintextSize = regular * F + finalLength;

  return {
    message,
    plaintextSize,
    async read(start, end) {
      const from = Math.max(0, Math.min(start, plaintextSize));
      const to = Math.max(from, Math.min(end, plaintextSize));
      if (from === to) return new Uint8Array(0);
      const first = Math.floor(from / F) + 1;
      const last = Math.floor((to - 1) / F) + 1;
      const endsMessage = last === regular + 1;
      const cipherStart = H + (first - 1) * regularFrameSize(F);
      const cipherEnd = endsMessage ? source.size : H + last * regularFrameSize(F);
      const plainStart = (first - 1) * F;
      const plainLength = (endsMessage ? plaintextSize : last * F) - plainStart;
      const plain = await openRun(message, await source.read(cipherStart, cipherEnd), first, endsMessage, plainLength);
      return plain.subarray(from - plainStart, to - plainStart);
    },
  };
}

/** One-shot form: the plaintext bytes [start, end) of the message in `source`. */
export async function decryptRange(
  source: RandomAccessSource,
  wrappingKey: CryptoKey,
  context: EncryptionContext,
  start: number,
  end: number,
  keyName?: string,
): Promise<Uint8Array> {
  return (await openRandomAccess(source, wrappingKey, context, keyName)).read(start, end);
}
