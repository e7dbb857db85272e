/**
 * Which files of a set share a blob (docs/SETS.md, "Objects"): a pure function of the sizes, so the
 * uploader, the CLI and the tests place files identically. A file of PACK_LIMIT or more is a blob of
 * its own; smaller ones are packed, in order, into the open pack until the next would take it past
 * PACK_TARGET. Large files do not close the open pack, so small files around them still share one.
 *
 * Planning a longer list gives the same blobs as a shorter one, except the last pack, which may grow:
 * an uploader that lets files join a set while it uploads seals that pack last.
 */
import { DEFAULT_PART_PLAINTEXT } from '../layout.ts';
import { MiB } from './format.ts';

/**
 * Below this a file is packed. An object of its own costs 3 API calls and ~10 store requests, about
 * 80 CPU-ms on this 2-vCPU machine (README, "Many small files"): what 4.8 MB of encrypted upload
 * costs at its 62 MB/s; over a real link, ~6 round trips (0.3 s at 50 ms) is what 1.9 MB takes at
 * 50 Mbit/s. So a file at the limit spends at most about half its time on setting up its object,
 * and one below it shares a single PUT with its neighbours (docs/FORMAT.md, "Sets").
 */
export const PACK_LIMIT = 4 * MiB;
/** A pack's plaintext: one default S3 part (DEFAULT_PART_PLAINTEXT), so a pack is a single PUT. */
export const PACK_TARGET = DEFAULT_PART_PLAINTEXT;

export interface PlannedBlob {
  /** plaintext bytes */
  size: number;
  /** indices into the planned files, in order */
  files: number[];
}

export interface Placement {
  blob: number;
  offset: number;
}

export interface BlobPlan {
  blobs: PlannedBlob[];
  /** `placements[i]`: where file i lies */
  placements: Placement[];
}

export interface PackLimits {
  packLimit: number;
  packTarget: number;
}

export function planBlobs(files: readonly { size: number }[], limits: PackLimits = { packLimit: PACK_LIMIT, packTarget: PACK_TARGET }): BlobPlan {
  const { packLimit, packTarget } = limits;
  if (!(packLimit > 0 && packTarget >= packLimit)) throw new RangeError('a pack holds at least one packed file');
  const blobs: PlannedBlob[] = [];
  const placements: Placement[] = [];
  let pack = -1;
  files.forEach(({ size }, i) => {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`file ${i} has no valid size`);
    if (size >= packLimit) {
      placements.push({ blob: blobs.length, offset: 0 });
      blobs.push({ size, files: [i] });
      return;
    }
    if (pack < 0 || blobs[pack].size + size > packTarget) {
      pack = blobs.length;
      blobs.push({ size: 0, files: [] });
    }
    placements.push({ blob: pack, offset: blobs[pack].size });
    blobs[pack].size += size;
    blobs[pack].files.push(i);
  });
  return { blobs, placements };
}
