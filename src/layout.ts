/**
 * Where every byte of a message lies, and how it is cut for S3 and for ranged GETs: pure
 * arithmetic, no cryptography and no I/O, so upload, download, the media preview and the CLI
 * all place frames with the same functions. It builds on the size functions of the format
 * (crypto/format.ts), which stays the spec of the bytes themselves.
 *
 *   object       = header (H bytes) || frame 1 || … || frame n          (n = ⌊size / F⌋ + 1)
 *   frame k < n  = regularFrameSize(F) bytes, plaintext [(k−1)·F, k·F)
 *   frame n      = finalFrameSize(size mod F) bytes, the rest of the plaintext (possibly none)
 *
 * (Other writers may end a message whose size is a multiple of F with a full final frame instead
 * of an empty one; readers accept that, so a layout carries its frame count.)
 *
 * A run is consecutive whole frames. It is the unit of every transfer: an S3 part's body (part 1
 * also carries the header), one ranged GET, one worker request. Whole frames are what keep each
 * frame's IV and AAD independent of how the object is cut, so runs seal and open in parallel.
 */
import { layoutOf, type PartLayout } from './contract/layout.ts';
import { MAX_PARTS, MIN_PART_SIZE } from './contract/limits.ts';
import { ciphertextSize, FINAL_FRAME_OVERHEAD, finalFrameSize, frameSplit, MiB, regularFrameSize } from './crypto/format.ts';

/** What places every frame of one message. */
export interface MessageLayout {
  plaintextSize: number;
  frameLength: number;
  /** the header with its auth tag: where the first frame starts */
  headerLength: number;
  /**
   * Frames, the final one included: ⌊size / F⌋ + 1 as we write them (`messageLayout`); one fewer
   * when another writer's final frame is full, which readers accept (`objectLayout`).
   */
  frameCount: number;
}

/** The layout we write: ⌊size / F⌋ full frames, then a final frame of size mod F bytes. */
export const messageLayout = (plaintextSize: number, frameLength: number, headerLength: number): MessageLayout => ({
  plaintextSize,
  frameLength,
  headerLength,
  frameCount: frameSplit(plaintextSize, frameLength).regular + 1,
});

/**
 * The layout of a message of `objectSize` bytes, or null when no message has that size (it was
 * cut inside a frame, or extended). Sizes map one to one, because a final frame holds at most F
 * bytes and a regular frame takes more than F.
 */
export function objectLayout(objectSize: number, frameLength: number, headerLength: number): MessageLayout | null {
  const body = objectSize - headerLength - FINAL_FRAME_OVERHEAD;
  if (body < 0) return null;
  const regular = Math.floor(body / regularFrameSize(frameLength));
  const finalLength = body - regular * regularFrameSize(frameLength);
  if (finalLength > frameLength) return null;
  return { plaintextSize: regular * frameLength + finalLength, frameLength, headerLength, frameCount: regular + 1 };
}

/** Ciphertext size of a run of `length` plaintext bytes as we write it; a run that ends the message carries the final frame. */
export function sealedRunSize(length: number, frameLength: number, endsMessage: boolean): number {
  if (!endsMessage) {
    if (length % frameLength !== 0) throw new RangeError('A run that does not end the message must be whole frames');
    return (length / frameLength) * regularFrameSize(frameLength);
  }
  const { regular, finalLength } = frameSplit(length, frameLength);
  return regular * regularFrameSize(frameLength) + finalFrameSize(finalLength);
}

/** Frames firstSeq … of one run: where it lies in the object and what plaintext it holds. */
export interface FrameRun {
  firstSeq: number;
  /** first byte in the object */
  start: number;
  /** last byte in the object, inclusive as in an HTTP Range header */
  end: number;
  /** the run ends with the final frame */
  endsMessage: boolean;
  plainLength: number;
}

/** Plaintext offset of frame `seq`'s first byte. */
export const framePlainStart = (seq: number, frameLength: number): number => (seq - 1) * frameLength;

/** The run of frames firstSeq … lastSeq (1-based, inclusive). */
export function frameRun(layout: MessageLayout, firstSeq: number, lastSeq: number): FrameRun {
  const { plaintextSize, frameLength: F, headerLength, frameCount } = layout;
  if (!Number.isInteger(firstSeq) || !Number.isInteger(lastSeq) || firstSeq < 1 || lastSeq < firstSeq || lastSeq > frameCount) {
    throw new RangeError(`frames ${firstSeq}…${lastSeq} are not in a message of ${frameCount}`);
  }
  const endsMessage = lastSeq === frameCount;
  const plainStart = framePlainStart(firstSeq, F);
  const plainEnd = endsMessage ? plaintextSize : lastSeq * F;
  const start = headerLength + (firstSeq - 1) * regularFrameSize(F);
  // Every frame before the last is a regular one; the last is regular or the final frame.
  const lastFrame = endsMessage ? finalFrameSize(plaintextSize - framePlainStart(frameCount, F)) : regularFrameSize(F);
  const end = headerLength + (lastSeq - 1) * regularFrameSize(F) + lastFrame - 1;
  return { firstSeq, start, end, endsMessage, plainLength: plainEnd - plainStart };
}

/**
 * The run of frames covering plaintext [start, end) (clamped to the message), or null when the
 * range is empty. A read of part of a frame still fetches and authenticates all of it.
 */
export function coveringRun(layout: MessageLayout, start: number, end: number): FrameRun | null {
  const { plaintextSize, frameLength: F, frameCount } = layout;
  const from = Math.max(0, Math.min(start, plaintextSize));
  const to = Math.max(from, Math.min(end, plaintextSize));
  if (from === to) return null;
  return frameRun(layout, Math.floor(from / F) + 1, Math.min(frameCount, Math.floor((to - 1) / F) + 1));
}

/** A ranged GET of whole frames, the `index`th of the download. */
export interface RangePlan extends FrameRun {
  index: number;
}

/** Large enough that per-request costs vanish, small enough that a few in flight fit in memory. */
export const DEFAULT_RANGE_SIZE = 16 * MiB;

/** The body in consecutive runs of about `rangeSize` ciphertext bytes (at least one frame each). */
export function planRanges(plainSize: number, frameLength: number, headerLength: number, rangeSize = DEFAULT_RANGE_SIZE): RangePlan[] {
  const layout = messageLayout(plainSize, frameLength, headerLength);
  const framesPerRange = Math.max(1, Math.floor(rangeSize / regularFrameSize(frameLength)));
  const ranges: RangePlan[] = [];
  for (let first = 1; first <= layout.frameCount; first += framesPerRange) {
    ranges.push({ index: ranges.length, ...frameRun(layout, first, Math.min(layout.frameCount, first + framesPerRange - 1)) });
  }
  if (ranges.at(-1)?.end !== ciphertextSize(plainSize, frameLength, headerLength) - 1) throw new Error('range plan does not cover the message');
  return ranges;
}

/** One read, one PUT: large enough that per-request costs vanish, small enough to hold a few in memory. */
export const DEFAULT_PART_PLAINTEXT = 16 * MiB;

/** The fixed shape of one S3 part (what Uppy calls a Chunk); its changing state lives elsewhere. */
export interface PartPlan {
  partNumber: number;
  plainStart: number;
  plainEnd: number;
  firstSeq: number;
  endsMessage: boolean;
  includesHeader: boolean;
  cipherSize: number;
}

/** Whole frames, ≥ 5 MiB, and few enough parts for S3's 10 000 limit — growing for huge files. */
export function partPlaintextSize(plainSize: number, frameLength: number, preferred = DEFAULT_PART_PLAINTEXT): number {
  const roundUp = (n: number) => Math.ceil(n / frameLength) * frameLength;
  return roundUp(Math.max(preferred, MIN_PART_SIZE, Math.ceil(plainSize / MAX_PARTS)));
}

/**
 * How a file of known size becomes S3 parts, before a byte is read: part 1 carries the header,
 * every part whole frames, the last part the final frame. All parts but the last are the same
 * size, which is the shape the server signs (`partLayout`, contract/layout.ts).
 */
export function planParts(plainSize: number, frameLength: number, headerLength: number, preferred?: number): PartPlan[] {
  const partPlain = partPlaintextSize(plainSize, frameLength, preferred);
  const count = Math.max(1, Math.ceil(plainSize / partPlain));
  const framesPerPart = partPlain / frameLength;
  const parts: PartPlan[] = [];
  for (let i = 0; i < count; i++) {
    const plainStart = i * partPlain;
    const plainEnd = Math.min(plainSize, plainStart + partPlain);
    const endsMessage = i === count - 1;
    const includesHeader = i === 0;
    const cipherSize = (includesHeader ? headerLength : 0) + sealedRunSize(plainEnd - plainStart, frameLength, endsMessage);
    parts.push({ partNumber: i + 1, plainStart, plainEnd, firstSeq: i * framesPerPart + 1, endsMessage, includesHeader, cipherSize });
  }
  return parts;
}

/** The server-visible layout of planned parts (what an upload declares); throws if they do not fit it. */
export const partLayout = (parts: readonly PartPlan[], headerLength: number): PartLayout =>
  layoutOf(
    parts.map((p) => p.cipherSize),
    parts[0]?.includesHeader ? headerLength : 0,
  );
