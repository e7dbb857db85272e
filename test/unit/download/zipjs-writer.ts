/**
 * The reference the ZIP writer (src/download/zip.ts) is checked against: the same members written
 * by zip.js 2.24 (a devDependency now), with the options the app used while zip.js wrote its
 * archives — stored, data descriptors, no workers or CompressionStream, entries in order. Names
 * and times go through the app's own entryNamer and entryTime, as they did then.
 */
import { configure } from '@zip.js/zip.js/lib/zip-core.js';
import { ZipWriter } from '@zip.js/zip.js/lib/zip-core-writer.js';
import type { ZipMember } from '../../../src/download/zip.ts';
import { entryNamer, entryTime } from '../../../src/download/zip-size.ts';

const OPTIONS = { level: 0, useWebWorkers: false, useCompressionStream: false, bufferedWrite: false, keepOrder: true };

export function zipJsStream(members: Iterable<ZipMember>): ReadableStream<Uint8Array> {
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  const write = async () => {
    configure({ chunkSize: 4 * 1024 * 1024 });
    const zip = new ZipWriter(pipe.writable, OPTIONS);
    const nameOf = entryNamer();
    for (const member of members) {
      const name = nameOf(member);
      if (name === null) continue;
      const lastModDate = new Date(entryTime(member.modified));
      if (member.dir) await zip.add(name, undefined, { directory: true, lastModDate });
      else if (member.size === 0) await zip.add(name, undefined, { lastModDate });
      else await zip.add(name, await member.open(), { lastModDate, uncompressedSize: member.size });
    }
    await zip.close();
  };
  write().catch((error) => pipe.writable.abort(error).catch(() => undefined));
  return pipe.readable;
}
