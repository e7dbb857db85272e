/**
 * "Download all as one ZIP": a set's members streamed into one archive, stored (no compression:
 * most of what people share is already compressed, and the bytes are verified plaintext either
 * way), ZIP64 as soon as a size, an offset or the entry count needs it, UTF-8 names, modified times
 * in DOS form and as a UTC extended timestamp. The archive is written by zip.js (docs/FORMAT.md,
 * "Sets", says why that library); every name goes through entryNamer (zip-size.ts: treeNamer, folders once).
 *
 * Memory stays constant: one member is read at a time, and its bytes only pass through, at the
 * pace the consumer reads. A member that fails (its stream errors, or gives more or fewer bytes than
 * its size) errors the archive with a ZipMemberError (src/errors.ts) naming it: the sink sees an error, never a
 * complete-looking ZIP with a hole.
 */
import { configure } from '@zip.js/zip.js/lib/zip-core.js';
import { ZipWriter } from '@zip.js/zip.js/lib/zip-core-writer.js';
import { ZipMemberError } from '../errors.ts';
import { entryNamer, entryTime } from './zip-size.ts';

export interface ZipMember {
  /** the uploader's path, raw: it is made safe here */
  path: string;
  size: number;
  /** milliseconds since 1970 */
  modified: number;
  /** an empty folder (no bytes) */
  dir?: boolean;
  /** the member's verified bytes; not called for folders and empty files */
  open(): Promise<ReadableStream<Uint8Array>>;
}

const WRITER_OPTIONS = {
  level: 0,
  // Stored entries need no codec worker or CompressionStream; only the CRC is computed, here.
  useWebWorkers: false,
  useCompressionStream: false,
  // Entries are added one after another, so nothing is buffered out of order.
  bufferedWrite: false,
  keepOrder: true,
};

/**
 * zip.js cuts every entry's bytes into chunks of its `chunkSize` (a copy each, twice: before and
 * after the CRC) and hands those on: at its default 256 KiB a 1 GiB member is 4 096 writes to the
 * sink, each a service-worker message and credit round trip. 4 MiB (a member run's size) makes it
 * 256; zip.js buffers at most about two chunks per stage, so memory stays constant.
 */
export const ZIP_CHUNK_SIZE = 4 * 1024 * 1024;

/**
 * Passes `source` on, checking it gives exactly `size` bytes; `stop` cancels it (when the archive
 * fails elsewhere, or its consumer goes away).
 */
function exactly(source: ReadableStream<Uint8Array>, size: number): { stream: ReadableStream<Uint8Array>; stop(reason: unknown): void } {
  const reader = source.getReader();
  let seen = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        if (seen !== size) throw new RangeError(`ended after ${seen} of its ${size} bytes`);
        controller.close();
        return;
      }
      seen += value.byteLength;
      if (seen > size) throw new RangeError(`gave more than its ${size} bytes`);
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { stream, stop: (reason) => void reader.cancel(reason).catch(() => {}) };
}

/** The archive of `members`, in order, as a stream; it errors (ZipMemberError) if any member fails. */
export function zipStream(members: AsyncIterable<ZipMember> | Iterable<ZipMember>, chunkSize = ZIP_CHUNK_SIZE): ReadableStream<Uint8Array> {
  let fail: (error: unknown) => void = () => {};
  const pipe = new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      fail = (error) => {
        try {
          controller.error(error);
        } catch {
          // Already errored (the consumer cancelled): nothing more to tell.
        }
      };
    },
  });

  const write = async () => {
    // zip.js's configuration is global; read when each entry starts.
    configure({ chunkSize });
    const zip = new ZipWriter(pipe.writable, WRITER_OPTIONS);
    const nameOf = entryNamer();
    for await (const member of members) {
      const name = nameOf(member);
      if (name === null) continue; // a folder already written
      const lastModDate = new Date(entryTime(member.modified));
      if (member.dir) {
        await zip.add(name, undefined, { directory: true, lastModDate });
        continue;
      }
      if (member.size === 0) {
        // Nothing to read or check; an entry without content is also far cheaper for zip.js.
        await zip.add(name, undefined, { lastModDate });
        continue;
      }
      let source: ReturnType<typeof exactly> | undefined;
      try {
        source = exactly(await member.open(), member.size);
        await zip.add(name, source.stream, { lastModDate, uncompressedSize: member.size });
      } catch (error) {
        source?.stop(error);
        throw new ZipMemberError(name, error);
      }
    }
    await zip.close();
  };
  write().catch(fail);
  return pipe.readable;
}
