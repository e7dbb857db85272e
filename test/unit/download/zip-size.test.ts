/**
 * zipSize (src/download/zip-size.ts) against the archives zipStream (zip.js) really writes: any
 * mix of names (hostile, duplicate, non-ASCII), folders, empty and non-empty files and times, the
 * 65 535-entry ZIP64 switch, and a member past 4 GiB with members behind it (ZIP64 sizes and offsets).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ZipMember, zipStream } from '../../../src/download/zip.ts';
import { type SizedMember, zipSize } from '../../../src/download/zip-size.ts';

const MiB = 1024 * 1024;
const ZEROS = new Uint8Array(8 * MiB);

/** A member of `size` zero bytes, handed out as views of one shared buffer (nothing allocated per byte). */
function member(m: SizedMember): ZipMember {
  return {
    ...m,
    open: async () => {
      let left = m.size;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (left === 0) return controller.close();
          const n = Math.min(left, ZEROS.byteLength);
          left -= n;
          controller.enqueue(ZEROS.subarray(0, n));
        },
      });
    },
  };
}

/** How many bytes zipStream writes for `members`. */
async function written(members: SizedMember[]): Promise<number> {
  const reader = zipStream(members.map(member)).getReader();
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return total;
    total += value.byteLength;
  }
}

const segment = fc.constantFrom('a', 'photos', 'é', '日本語', '..', '', 'CON', 'a\\b', 'x\u202ey', 'nul\u0000', 'long'.repeat(80), 'Same', 'same');
const entry: fc.Arbitrary<SizedMember> = fc.record({
  path: fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/')),
  size: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 70_000 })),
  modified: fc.oneof(
    fc.integer({ min: 0, max: 4_102_444_800_000 }),
    fc.constantFrom(Number.NaN, -1, 2_147_483_647_999, 2_147_483_648_000, -2_147_483_648_000, -2_147_483_649_000),
  ),
  dir: fc.boolean(),
});

describe('zipSize', () => {
  it('is the length zip.js writes, for any names, folders, sizes and times', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 12 }), async (members) => {
        expect(zipSize(members)).toBe(await written(members));
      }),
      { numRuns: 150 },
    );
  });

  it('counts the ZIP64 end records once the entry count needs them (65 535 entries)', async () => {
    // Empty files: the switch depends on the count alone (sizes are the property test's).
    const members = Array.from({ length: 65_535 }, (_, i) => ({ path: `f/${i}`, size: 0, modified: 0 }));
    expect(zipSize(members)).toBe(await written(members));
    expect(zipSize(members.slice(1))).toBe(zipSize(members) - (46 + 30 + 2 * (9 + 3)) - 76);
  }, 120_000);

  it('counts ZIP64 sizes, descriptors and offsets for a member past 4 GiB and the members behind it', async () => {
    const members: SizedMember[] = [
      { path: 'small-first.txt', size: 5, modified: 1_700_000_000_000 },
      { path: 'big/film.mkv', size: 2 ** 32 + 3, modified: 1_700_000_000_000 },
      { path: 'after/one.txt', size: 7, modified: 1_700_000_000_000 },
      { path: 'after/empty', size: 0, modified: 1_700_000_000_000, dir: true },
    ];
    expect(zipSize(members)).toBe(await written(members));
  }, 300_000);
});
