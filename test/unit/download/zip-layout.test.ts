/**
 * The ZIP writer (src/download/zip.ts, zip-records.ts) against zip.js 2.24, which wrote the app's
 * archives before it (zipjs-writer.ts): the same members give the same bytes — any mix of names
 * (hostile, duplicate, non-ASCII), folders, empty and non-empty files and times, the 65 535-entry
 * ZIP64 switch, and a member past 4 GiB with members behind it (ZIP64 sizes, descriptors, offsets).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ZipMember, zipStream } from '../../../src/download/zip.ts';
import type { SizedMember } from '../../../src/download/zip-size.ts';
import { zipJsStream } from './zipjs-writer.ts';

const MiB = 1024 * 1024;
const PATTERN = new Uint8Array(8 * MiB).map((_, i) => (i * 31 + (i >> 9)) & 0xff);

/** A member of `size` patterned bytes, handed out in uneven views of one shared buffer. */
function member(m: SizedMember): ZipMember {
  return {
    ...m,
    open: async () => {
      let left = m.size;
      let turn = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (left === 0) return controller.close();
          const n = Math.min(left, turn++ % 2 ? PATTERN.byteLength : 7_777);
          left -= n;
          controller.enqueue(PATTERN.subarray(0, n));
        },
      });
    },
  };
}

/**
 * The archive's length and SHA-256. `take`: each chunk's buffer is then taken from the writer, as
 * the service-worker sink does where a chunk is its whole buffer (it transfers it to the worker).
 */
async function digest(stream: ReadableStream<Uint8Array>, take = false): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.byteLength;
    if (take && chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength)
      structuredClone(chunk.buffer, { transfer: [chunk.buffer as ArrayBuffer] });
  }
  return { bytes, sha256: hash.digest('hex') };
}

async function same(members: SizedMember[]): Promise<void> {
  expect(await digest(zipStream(members.map(member)))).toEqual(await digest(zipJsStream(members.map(member))));
}

const segment = fc.constantFrom('a', 'photos', 'é', '日本語', '..', '', 'CON', 'a\\b', 'x\u202ey', 'nul\u0000', 'tab\there', 'long'.repeat(80), 'Same', 'same');
const entry: fc.Arbitrary<SizedMember> = fc.record({
  path: fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/')),
  size: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 70_000 })),
  modified: fc.oneof(
    fc.integer({ min: -400_000_000_000, max: 4_500_000_000_000 }),
    fc.constantFrom(Number.NaN, -1, 0, 1, 315_532_800_000, 315_532_799_000, 2_147_483_647_999, 2_147_483_648_000, -2_147_483_648_000, -2_147_483_649_000),
  ),
  dir: fc.boolean(),
});

describe('the ZIP writer', () => {
  it('writes the bytes zip.js writes, for any names, folders, sizes and times', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 12 }), (members) => same(members)),
      { numRuns: 200 },
    );
  });

  it('writes the same bytes when its consumer takes every chunk that is a whole buffer (the service-worker sink)', async () => {
    const members: SizedMember[] = [
      { path: 'a/one.txt', size: 1234, modified: 1_700_000_000_000 },
      { path: 'a/empty', size: 0, modified: 1_700_000_000_000 },
      { path: 'a/folder', size: 0, modified: 1_700_000_000_000, dir: true },
      { path: 'b/two.bin', size: 3 * MiB + 7, modified: 1_700_000_000_000 },
    ];
    expect(await digest(zipStream(members.map(member)), true)).toEqual(await digest(zipJsStream(members.map(member))));
  });

  it('writes the bytes zip.js writes with the ZIP64 end records of 65 535 entries, and without them one fewer', async () => {
    const members = Array.from({ length: 65_535 }, (_, i) => ({ path: `f/${i}`, size: i % 4096 === 0 ? 3 : 0, modified: 1_700_000_000_000 + i }));
    await same(members);
    await same(members.slice(1));
  }, 300_000);

  it('writes the bytes zip.js writes for a member past 4 GiB and the members behind it', async () => {
    await same([
      { path: 'small-first.txt', size: 5, modified: 1_700_000_000_000 },
      { path: 'big/film.mkv', size: 2 ** 32 + 3, modified: 1_700_000_000_000 },
      { path: 'after/one.txt', size: 7, modified: 1_700_000_000_000 },
      { path: 'after/empty', size: 0, modified: 1_700_000_000_000, dir: true },
      { path: 'after/none', size: 0, modified: 1_700_000_000_000 },
    ]);
  }, 300_000);
});
