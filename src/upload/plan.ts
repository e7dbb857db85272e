/**
 * The part plan: how a file of known size becomes S3 parts, before a byte is read. Every part
 * carries whole frames (so parts encrypt independently and in parallel); part 1 also carries
 * the header; the last part ends with the final frame.
 */

import { MAX_PARTS, MIN_PART_SIZE } from '../contract/limits.ts';
import { ciphertextSize, frameSplit, MiB, regularFrameSize } from '../crypto/format.ts';
import { sealedRunSize } from '../crypto/frames.ts';

/** One read, one PUT: large enough that per-request costs vanish, small enough to hold a few in memory. */
export const DEFAULT_PART_PLAINTEXT = 16 * MiB;

/** The fixed shape of one part (what Uppy calls a Chunk); its changing state lives elsewhere. */
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

/** A ranged GET of whole frames: byte range in the object, frames it holds, plaintext it yields. */
export interface RangePlan {
  index: number;
  start: number;
  /** inclusive, as in an HTTP Range header */
  end: number;
  firstSeq: number;
  endsMessage: boolean;
  plainLength: number;
}

export const DEFAULT_RANGE_SIZE = 16 * MiB;

export function planRanges(plainSize: number, frameLength: number, headerLength: number, rangeSize = DEFAULT_RANGE_SIZE): RangePlan[] {
  const framesPerRange = Math.max(1, Math.floor(rangeSize / regularFrameSize(frameLength)));
  const { regular } = frameSplit(plainSize, frameLength);
  const totalFrames = regular + 1;
  const ranges: RangePlan[] = [];
  let offset = headerLength;
  for (let first = 1, index = 0; first <= totalFrames; first += framesPerRange, index++) {
    const last = Math.min(totalFrames, first + framesPerRange - 1);
    const endsMessage = last === totalFrames;
    const plainStart = (first - 1) * frameLength;
    const plainLength = endsMessage ? plainSize - plainStart : (last - first + 1) * frameLength;
    const size = sealedRunSize(plainLength, frameLength, endsMessage);
    ranges.push({ index, start: offset, end: offset + size - 1, firstSeq: first, endsMessage, plainLength });
    offset += size;
  }
  if (offset !== ciphertextSize(plainSize, frameLength, headerLength)) throw new Error('range plan does not cover the message');
  return ranges;
}
