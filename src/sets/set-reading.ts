/**
 * Reading many members of an opened set, in the page and the CLI alike: each blob opened once (its
 * header checked against the manifest), the last few kept open; members as ZIP entries, in
 * manifest order, each a stream cut from its blob's verified frames (members.ts).
 */
import type { SetManifest } from '../crypto/set-manifest.ts';
import { openDataObject } from '../download/data-object.ts';
import type { ZipMember } from '../download/zip.ts';
import type { Api } from '../transfer/api.ts';
import type { FrameRunner } from '../transfer/ranges.ts';
import { BlobReader, LARGE_MEMBER, memberStream } from './members.ts';
import { blobLink, type OpenedSet } from './open-set.ts';

/** Blobs open at once: members in manifest order may go back and forth between a pack and big files. */
const OPEN_BLOBS = 2;

export type BlobReaders = (blob: number) => Promise<BlobReader>;

/** Opens each blob when first needed; the last few stay open for the members that follow. */
export function blobReaders(api: Api, runner: FrameRunner, set: OpenedSet, signal?: AbortSignal): BlobReaders {
  const open = new Map<number, Promise<BlobReader>>();
  return (blob) => {
    let reader = open.get(blob);
    if (reader) open.delete(blob);
    else {
      reader = openDataObject(blobLink(api, set, blob), { api, runner, signal }).then((data) => new BlobReader(data));
      reader.catch(() => undefined); // rethrown to whoever awaits it
    }
    open.set(blob, reader);
    while (open.size > OPEN_BLOBS) open.delete(open.keys().next().value as number);
    return reader;
  };
}

/** The entries `indexes` (all by default) as ZIP members, in manifest order (`largeMember`: memberStream's). */
export function zipMembers(manifest: SetManifest, readers: BlobReaders, indexes?: readonly number[], largeMember = LARGE_MEMBER): ZipMember[] {
  const chosen = indexes ? new Set(indexes) : null;
  return manifest.entries
    .filter((_, i) => !chosen || chosen.has(i))
    .map((entry) =>
      entry.dir
        ? { path: entry.path, size: 0, modified: entry.modified ?? 0, dir: true, open: async () => new ReadableStream<Uint8Array>({ start: (c) => c.close() }) }
        : {
            path: entry.path,
            size: entry.size,
            modified: entry.modified,
            open: async () => memberStream(await readers(entry.blob), entry.offset, entry.offset + entry.size, largeMember),
          },
    );
}
