/**
 * "Download all as one ZIP": a set's members streamed into one archive, stored (no compression:
 * most of what people share is already compressed, and the bytes are verified plaintext either
 * way), ZIP64 as soon as a size, an offset or the entry count needs it, UTF-8 names, modified times
 * in DOS form and as a UTC extended timestamp. The records are zip-records.ts's (the layout
 * zip.js 2.24 writes, byte for byte: zip.test.ts compares the two); every name goes through
 * entryNamer (zip-size.ts: treeNamer, folders once).
 *
 * Memory stays constant and nothing is copied: one member is read at a time, and its chunks are
 * handed on as they come (the CRC-32 is computed over them on the way), at the pace the consumer
 * reads; only the small records are written here. A member that fails (its stream errors, or gives
 * more or fewer bytes than its size) errors the archive with a ZipMemberError (src/errors.ts)
 * naming it: the sink sees an error, never a complete-looking ZIP with a hole.
 */
import { ZipMemberError } from '../errors.ts';
import { crc32 } from './crc32.ts';
import { CentralDirectory, dataDescriptor, type Entry, entry, localHeader } from './zip-records.ts';
import { entryNamer } from './zip-size.ts';

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

/** The archive's chunks, in order: each record, and each member's own chunks between them. */
async function* archive(
  members: AsyncIterable<ZipMember> | Iterable<ZipMember>,
  reading: { current?: ReadableStreamDefaultReader<Uint8Array> },
): AsyncGenerator<Uint8Array> {
  const nameOf = entryNamer();
  const central = new CentralDirectory();
  let offset = 0;
  for await (const member of members) {
    const name = nameOf(member);
    if (name === null) continue; // a folder already written
    const e: Entry = entry(name, member, offset);
    const header = localHeader(e);
    // Counted before it is handed on: a consumer may take a chunk's buffer (the service-worker sink transfers it).
    offset += header.byteLength;
    yield header;
    if (e.size > 0) {
      try {
        const reader = (await member.open()).getReader();
        reading.current = reader;
        let seen = 0;
        let crc = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          seen += value.byteLength;
          if (seen > e.size) {
            void reader.cancel().catch(() => {});
            throw new RangeError(`gave more than its ${e.size} bytes`);
          }
          crc = crc32(value, crc);
          yield value;
        }
        if (seen !== e.size) throw new RangeError(`ended after ${seen} of its ${e.size} bytes`);
        e.crc = crc;
      } catch (error) {
        void reading.current?.cancel(error).catch(() => {});
        throw new ZipMemberError(name, error);
      } finally {
        reading.current = undefined;
      }
      const descriptor = dataDescriptor(e);
      offset += e.size + descriptor.byteLength;
      yield descriptor;
    }
    central.add(e);
  }
  yield* central.records(offset);
}

/** The archive of `members`, in order, as a stream; it errors (ZipMemberError) if any member fails. */
export function zipStream(members: AsyncIterable<ZipMember> | Iterable<ZipMember>): ReadableStream<Uint8Array> {
  const reading: { current?: ReadableStreamDefaultReader<Uint8Array> } = {};
  const chunks = archive(members, reading);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel(reason) {
        // Stops the member being read (its reads and decryption), then the generator.
        await reading.current?.cancel(reason).catch(() => {});
        await chunks.return(undefined).catch(() => {});
      },
    },
    // Nothing read ahead: a chunk is pulled from the member only when the consumer asks for one.
    { highWaterMark: 0 },
  );
}
