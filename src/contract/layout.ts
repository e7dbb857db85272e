/**
 * The part layout both sides agree on when an upload is created, so the server can sign every
 * part URL with its exact Content-Length without learning anything but sizes:
 *
 *   part 1            = headerSize + partSize   (the message header, then whole frames)
 *   parts 2 … n-1     = partSize
 *   part n (the last) = size − headerSize − (n−1)·partSize  (the rest, ending with the final frame)
 *
 * A one-part upload is simply `size` bytes. `partSize` is the sealed size of one part's frames,
 * which the page's part plan (upload/plan.ts) makes equal for every part but the last.
 */
import { MAX_HEADER_SIZE, MAX_OBJECT_SIZE, MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE } from './limits.ts';

export interface PartLayout {
  /** the data object's total size in bytes (ciphertext) */
  size: number;
  partCount: number;
  /** bytes of every part but the first (which adds the header) and the last (the rest) */
  partSize: number;
  /** bytes the first part carries before its frames */
  headerSize: number;
}

/** The exact byte count of part `partNumber` (1-based). */
export function layoutPartSize(layout: PartLayout, partNumber: number): number {
  const { size, partCount, partSize, headerSize } = layout;
  if (partCount === 1) return size;
  if (partNumber === 1) return headerSize + partSize;
  if (partNumber < partCount) return partSize;
  return size - headerSize - (partCount - 1) * partSize;
}

/** Why a declared layout is impossible for S3 (or for us), or null when it is sound. */
export function layoutProblem(layout: PartLayout): string | null {
  const { size, partCount, partSize, headerSize } = layout;
  const integers = [size, partCount, partSize, headerSize].every((n) => Number.isSafeInteger(n) && n >= 0);
  if (!integers) return 'sizes must be non-negative integers';
  if (size > MAX_OBJECT_SIZE) return `the object is larger than ${MAX_OBJECT_SIZE} bytes`;
  if (partCount < 1 || partCount > MAX_PARTS) return `there must be 1 to ${MAX_PARTS} parts`;
  if (headerSize > MAX_HEADER_SIZE) return `the header is larger than ${MAX_HEADER_SIZE} bytes`;
  if (partCount === 1) return size <= MAX_PART_SIZE ? null : `a single part is at most ${MAX_PART_SIZE} bytes`;
  if (partSize < MIN_PART_SIZE) return `every part but the last must be at least ${MIN_PART_SIZE} bytes`;
  if (headerSize + partSize > MAX_PART_SIZE) return `a part is at most ${MAX_PART_SIZE} bytes`;
  const last = layoutPartSize(layout, partCount);
  if (last < 1) return 'the parts add up to more than the declared size';
  if (last > MAX_PART_SIZE) return 'the last part is larger than S3 allows (declare more parts)';
  return null;
}

/** The layout of a planned upload, from its parts' sizes; throws if the plan is not of this shape. */
export function layoutOf(partSizes: readonly number[], headerSize: number): PartLayout {
  const size = partSizes.reduce((a, b) => a + b, 0);
  const partCount = partSizes.length;
  const partSize = partCount > 1 ? partSizes[0] - headerSize : 0;
  const layout = { size, partCount, partSize, headerSize };
  partSizes.forEach((n, i) => {
    if (layoutPartSize(layout, i + 1) !== n) throw new Error(`part ${i + 1} does not fit the layout (${n} bytes)`);
  });
  return layout;
}
