/**
 * Saving an opened set (docs/SETS.md): into a folder, recreating its tree, or as one ZIP. Every
 * path goes through treeNamer (src/names.ts) — nothing climbs out of the folder, hostile names are
 * neutralised, duplicates numbered — and every file is written as `<name>.cipherdrop-partial`
 * (FileSink) and renamed only once each of its frames verified. A member that fails stops the
 * download with a MemberError naming it; in a ZIP it fails the archive, so no complete-looking
 * ZIP is left.
 */
import { existsSync } from 'node:fs';
import { lstat, mkdir, utimes } from 'node:fs/promises';
import path from 'node:path';
import type { FileEntry } from '../crypto/set-manifest.ts';
import { pumpToSink, streamChunks } from '../download/pump.ts';
import { type ZipMember, zipStream } from '../download/zip.ts';
import { ZipMemberError } from '../errors.ts';
import { safeFileName, treeNamer } from '../names.ts';
import { FileSink } from '../node/files.ts';
import { downloadMember, memberStream } from '../sets/members.ts';
import type { OpenedSet } from '../sets/open-set.ts';
import { blobReaders } from '../sets/set-reading.ts';
import type { Api } from '../transfer/api.ts';
import { directFrameRunner } from '../transfer/ranges.ts';
import { SAVE_NAME_BYTES } from './args.ts';
import { MemberError, UsageError } from './exit-codes.ts';

const PARTIAL_SUFFIX = '.cipherdrop-partial';

export interface SaveOptions {
  api: Api;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

const totalOf = (set: OpenedSet): number => set.manifest.entries.reduce((n, e) => n + (e.dir ? 0 : e.size), 0);

/** Counts a member's bytes as they pass. */
function counted(stream: ReadableStream<Uint8Array>, onBytes: (n: number) => void): ReadableStream<Uint8Array> {
  return stream.pipeThrough(
    new TransformStream({
      transform(chunk, controller) {
        onBytes(chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * A member whose (sanitised) name ends in ".cipherdrop-partial" could be overwritten by another
 * member's partial file, or sit where one must go: such segments get a "_", before the namer makes
 * every path unique.
 */
const clearOfPartials = (raw: string): string =>
  raw.replace(/[^/\\]+/g, (segment) => (safeFileName(segment).toLowerCase().endsWith(PARTIAL_SUFFIX) ? `${segment}_` : segment));

interface Placed {
  entry: FileEntry;
  /** relative to the folder, as segments */
  segments: string[];
}

/** Where each entry goes under the folder; files in blob order (each blob read front to back), empty folders apart. */
export function placeEntries(set: OpenedSet): { files: Placed[]; dirs: string[][] } {
  const namer = treeNamer({ maxBytes: SAVE_NAME_BYTES });
  const files: Placed[] = [];
  const dirs: string[][] = [];
  for (const entry of set.manifest.entries) {
    const segments = namer.name(clearOfPartials(entry.path), entry.dir === true);
    if (entry.dir) dirs.push(segments);
    else files.push({ entry, segments });
  }
  files.sort((a, b) => a.entry.blob - b.entry.blob || a.entry.offset - b.entry.offset);
  return { files, dirs };
}

/**
 * Makes the folders of `segments` under `root` one at a time, refusing any that is already a
 * symbolic link (or a file): a link in the target folder must not lead a write elsewhere, and
 * `mkdir -p` would follow it. `made` remembers folders already checked.
 */
async function folderInside(root: string, segments: readonly string[], made: Set<string>): Promise<void> {
  let at = root;
  for (const segment of segments) {
    at = path.join(at, segment);
    if (made.has(at)) continue;
    const info = await lstat(at).catch(() => null);
    if (!info) await mkdir(at).catch((error: NodeJS.ErrnoException) => (error.code === 'EEXIST' ? undefined : Promise.reject(error)));
    else if (info.isSymbolicLink()) throw new UsageError(`${at} is a symbolic link; nothing is written through it`);
    else if (!info.isDirectory()) throw new UsageError(`${at} is a file where the set has a folder`);
    made.add(at);
  }
}

/** Recreates the set's tree under `root`; an existing file is refused unless `force`, before anything is downloaded. */
export async function saveToFolder(set: OpenedSet, root: string, force: boolean, options: SaveOptions): Promise<{ files: number; bytes: number }> {
  const { files, dirs } = placeEntries(set);
  const target = (segments: string[]) => path.join(root, ...segments);
  if (!force) {
    const existing = files.map((f) => target(f.segments)).filter((t) => existsSync(t));
    if (existing.length) {
      const more = existing.length > 1 ? ` and ${existing.length - 1} more` : '';
      throw new UsageError(`${existing[0]}${more} already exist; pass --force to overwrite`);
    }
  }
  await mkdir(root, { recursive: true });
  const made = new Set<string>();
  for (const segments of dirs) await folderInside(root, segments, made);
  const readerOf = blobReaders(options.api, directFrameRunner, set, options.signal);
  const total = totalOf(set);
  let before = 0;
  let saved = 0;
  for (const { entry, segments } of files) {
    const file = target(segments);
    try {
      await folderInside(root, segments.slice(0, -1), made);
      if ((await lstat(file).catch(() => null))?.isDirectory()) throw new UsageError(`${file} is a folder`);
      const done = before;
      await downloadMember(await readerOf(entry.blob), entry.offset, entry.offset + entry.size, FileSink.open(file), (n) =>
        options.onProgress?.(done + n, total),
      );
      const modified = new Date(entry.modified);
      await utimes(file, modified, modified).catch(() => undefined);
    } catch (error) {
      const note = saved ? `The ${saved} ${saved === 1 ? 'file' : 'files'} saved before it in ${root} are complete and verified.` : '';
      throw new MemberError(segments.join('/'), error, note);
    }
    before += entry.size;
    saved++;
  }
  options.onProgress?.(total, total);
  return { files: files.length, bytes: total };
}

/** The whole set as one ZIP in `target` (written as a partial file, renamed only when the archive is whole). */
export async function saveAsZip(set: OpenedSet, target: string, options: SaveOptions): Promise<{ files: number; bytes: number }> {
  const readerOf = blobReaders(options.api, directFrameRunner, set, options.signal);
  const total = totalOf(set);
  let done = 0;
  const progress = (n: number) => {
    done += n;
    options.onProgress?.(done, total);
  };
  const members: ZipMember[] = set.manifest.entries.map((entry) =>
    entry.dir
      ? { path: entry.path, size: 0, modified: entry.modified ?? Date.now(), dir: true, open: () => Promise.reject(new Error('a folder has no bytes')) }
      : {
          path: entry.path,
          size: entry.size,
          modified: entry.modified,
          open: async () => counted(memberStream(await readerOf(entry.blob), entry.offset, entry.offset + entry.size), progress),
        },
  );
  try {
    await pumpToSink(
      streamChunks(() => zipStream(members)),
      FileSink.open(target),
    );
  } catch (error) {
    throw error instanceof ZipMemberError
      ? new MemberError(error.member, error.cause, target === '-' ? 'The archive on stdout is incomplete.' : `No archive was kept at ${target}.`)
      : error;
  }
  return { files: members.filter((m) => !m.dir).length, bytes: total };
}
