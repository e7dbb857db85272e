/** The set manifest (src/crypto/set-manifest.ts) and the packing plan (set-plan.ts): every rule of the format, each broken once. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBase64Url, utf8 } from '../../../src/crypto/bytes.ts';
import { CorruptedError } from '../../../src/crypto/errors.ts';
import {
  decodeManifest,
  encodeManifest,
  MAX_ENTRY_PATH_BYTES,
  MAX_MANIFEST_SIZE,
  MAX_SET_ENTRIES,
  memberRange,
  type SetManifest,
} from '../../../src/crypto/set-manifest.ts';
import { PACK_LIMIT, PACK_TARGET, planBlobs } from '../../../src/crypto/set-plan.ts';

const messageId = (n: number) => toBase64Url(new Uint8Array(32).fill(n));
const blobId = (n: number) => `Blob${String(n).padStart(18, '0')}`;

/** Two blobs: a pack of a.txt (3) and b/c.txt (5), and big.bin (10) alone; one empty folder. */
const sample = (): SetManifest => ({
  blobs: [
    { id: blobId(0), messageId: messageId(1), size: 8 },
    { id: blobId(1), messageId: messageId(2), size: 10 },
  ],
  entries: [
    { path: 'a.txt', size: 3, type: 'text/plain', modified: 1764633600000, blob: 0, offset: 0 },
    { path: 'big.bin', size: 10, type: '', modified: 0, blob: 1, offset: 0 },
    { path: 'b/c.txt', size: 5, type: 'text/plain', modified: -1, blob: 0, offset: 3 },
    { path: 'b/empty/', dir: true },
  ],
});

/** The JSON of `sample()` changed by `edit`, decoded: the error's field. */
function fieldOf(edit: (json: { v: unknown; blobs: Record<string, unknown>[]; entries: Record<string, unknown>[] }) => void): string {
  const json = JSON.parse(new TextDecoder().decode(encodeManifest(sample())));
  edit(json);
  try {
    decodeManifest(utf8(JSON.stringify(json)));
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptedError);
    const site = (error as CorruptedError).site;
    return site.field;
  }
  throw new Error('decoded');
}

describe('encode and decode', () => {
  it('round-trips, with keys in a fixed order and nothing else', () => {
    const m = sample();
    const extra = { ...m, entries: m.entries.map((e) => ({ ...e, secretFile: 'x' })) } as SetManifest;
    const bytes = encodeManifest(extra);
    expect(decodeManifest(bytes)).toEqual(m);
    expect(new TextDecoder().decode(bytes)).toMatch(/^\{"v":1,"blobs":\[\{"id":"Blob0+","messageId":"AQEB[^"]+","size":8\}/);
    expect(new TextDecoder().decode(bytes)).not.toContain('secretFile');
  });

  it('places members', () => {
    expect(memberRange(sample(), 2)).toEqual({ blob: 0, start: 3, end: 8 });
    expect(memberRange(sample(), 1)).toEqual({ blob: 1, start: 0, end: 10 });
    expect(() => memberRange(sample(), 3)).toThrow(RangeError);
    expect(() => memberRange(sample(), 4)).toThrow(RangeError);
  });

  it('refuses a manifest that breaks a rule, naming the field', () => {
    expect(fieldOf((j) => (j.v = 2))).toBe('manifest.v');
    expect(fieldOf((j) => ((j as Record<string, unknown>).extra = 1))).toBe('manifest');
    expect(fieldOf((j) => (j.entries = []))).toBe('manifest.entries');
    expect(fieldOf((j) => (j.blobs[0].id = 'short'))).toBe('manifest.blobs[0].id');
    expect(fieldOf((j) => (j.blobs[1].id = blobId(0)))).toBe('manifest.blobs[1].id');
    expect(fieldOf((j) => (j.blobs[1].messageId = messageId(1)))).toBe('manifest.blobs[1].messageId');
    expect(fieldOf((j) => (j.blobs[0].messageId = 'AAAA'))).toBe('manifest.blobs[0].messageId');
    expect(fieldOf((j) => (j.blobs[0].size = -1))).toBe('manifest.blobs[0].size');
    expect(fieldOf((j) => (j.blobs[0].size = 1.5))).toBe('manifest.blobs[0].size');
    expect(fieldOf((j) => (j.entries[0].path = ''))).toBe('manifest.entries[0].path');
    expect(fieldOf((j) => (j.entries[0].path = 'a/'))).toBe('manifest.entries[0].path');
    expect(fieldOf((j) => (j.entries[0].path = 'x'.repeat(MAX_ENTRY_PATH_BYTES + 1)))).toBe('manifest.entries[0].path');
    expect(fieldOf((j) => (j.entries[0].path = 'a\uD800'))).toBe('manifest.entries[0].path');
    expect(fieldOf((j) => (j.entries[0].type = 7))).toBe('manifest.entries[0].type');
    expect(fieldOf((j) => (j.entries[0].modified = 1.5))).toBe('manifest.entries[0].modified');
    expect(fieldOf((j) => (j.entries[0].blob = 2))).toBe('manifest.entries[0].blob');
    expect(fieldOf((j) => (j.entries[0].size = '3'))).toBe('manifest.entries[0].size');
    expect(fieldOf((j) => delete j.entries[0].type)).toBe('manifest.entries[0]');
    expect(fieldOf((j) => (j.entries[3].dir = false))).toBe('manifest.entries[3].dir');
    expect(fieldOf((j) => (j.entries[3].path = 'b/empty'))).toBe('manifest.entries[3].path');
    expect(fieldOf((j) => (j.entries[3].size = 0))).toBe('manifest.entries[3]');
    expect(fieldOf((j) => (j.entries[2].path = 'a.txt'))).toBe('manifest.entries[2].path');
  });

  it('refuses entries that do not tile their blob: dropped, added, reordered, shifted, resized', () => {
    const file = (j: { entries: Record<string, unknown>[] }, i: number) => j.entries[i];
    // dropped: b/c.txt gone, blob 0 not covered
    expect(fieldOf((j) => j.entries.splice(2, 1))).toBe('manifest.blobs[0].size');
    // the only file of blob 1 gone
    expect(fieldOf((j) => j.entries.splice(1, 1))).toBe('manifest.blobs[1]');
    // added: a second copy of a.txt's bytes under another name
    expect(fieldOf((j) => j.entries.push({ ...file(j, 0), path: 'again.txt' }))).toBe('manifest.entries[4].offset');
    // added past the end of the blob
    expect(fieldOf((j) => j.entries.push({ ...file(j, 0), path: 'more.txt', offset: 8 }))).toBe('manifest.entries[4].size');
    // reordered: b/c.txt before a.txt, offsets kept
    expect(fieldOf((j) => j.entries.reverse())).toBe('manifest.entries[1].offset');
    // offset shifted
    expect(fieldOf((j) => (file(j, 2).offset = 4))).toBe('manifest.entries[2].offset');
    // size changed
    expect(fieldOf((j) => (file(j, 2).size = 4))).toBe('manifest.blobs[0].size');
    expect(fieldOf((j) => (file(j, 0).size = 4))).toBe('manifest.entries[2].offset');
    // a blob that grew
    expect(fieldOf((j) => (j.blobs[1].size = 11))).toBe('manifest.blobs[1].size');
  });

  it('keeps the limits: entries, size, JSON, UTF-8', () => {
    const many: SetManifest = { blobs: [], entries: Array.from({ length: MAX_SET_ENTRIES + 1 }, (_, i) => ({ path: `${i}/`, dir: true as const })) };
    expect(() => encodeManifest(many)).toThrow(TypeError);
    expect(() => encodeManifest({ ...many, entries: many.entries.slice(1) })).not.toThrow();
    expect(() => decodeManifest(new Uint8Array(MAX_MANIFEST_SIZE + 1))).toThrow(CorruptedError);
    expect(() => decodeManifest(utf8('{"v":1'))).toThrow(CorruptedError);
    expect(() => decodeManifest(new Uint8Array([0x7b, 0xff, 0x7d]))).toThrow(CorruptedError);
    expect(() => decodeManifest(utf8('[]'))).toThrow(CorruptedError);
    expect(() => decodeManifest(utf8('null'))).toThrow(CorruptedError);
  });
});

describe('planBlobs', () => {
  it('packs small files in order and gives large ones a blob each', () => {
    const KB = 1024;
    const plan = planBlobs([{ size: 1 }, { size: PACK_LIMIT }, { size: 0 }, { size: PACK_LIMIT - 1 }, { size: 5 * KB }]);
    expect(plan.blobs).toEqual([
      { size: 1 + 0 + PACK_LIMIT - 1 + 5 * KB, files: [0, 2, 3, 4] },
      { size: PACK_LIMIT, files: [1] },
    ]);
    expect(plan.placements).toEqual([
      { blob: 0, offset: 0 },
      { blob: 1, offset: 0 },
      { blob: 0, offset: 1 },
      { blob: 0, offset: 1 },
      { blob: 0, offset: PACK_LIMIT },
    ]);
  });

  it('closes a pack at PACK_TARGET exactly', () => {
    const small = PACK_LIMIT - 1;
    const perPack = Math.floor(PACK_TARGET / small);
    const plan = planBlobs(Array.from({ length: perPack + 1 }, () => ({ size: small })));
    expect(plan.blobs.map((b) => b.files.length)).toEqual([perPack, 1]);
    expect(planBlobs([{ size: 6 }, { size: 4 }, { size: 1 }], { packLimit: 8, packTarget: 10 }).blobs.map((b) => b.size)).toEqual([10, 1]);
  });

  it('10 000 files of 1 KiB are one blob', () => {
    expect(planBlobs(Array.from({ length: 10_000 }, () => ({ size: 1024 }))).blobs).toHaveLength(1);
    expect(planBlobs([]).blobs).toEqual([]);
    expect(() => planBlobs([{ size: -1 }])).toThrow(RangeError);
  });

  it('plans manifests that tile, and a longer list only grows the last pack', () => {
    const limits = { packLimit: 16, packTarget: 40 };
    fc.assert(
      fc.property(fc.array(fc.nat(50), { maxLength: 40 }), fc.nat(40), (sizes, cut) => {
        const { blobs, placements } = planBlobs(
          sizes.map((size) => ({ size })),
          limits,
        );
        for (const b of blobs) expect(b.size <= limits.packTarget || b.files.length === 1).toBe(true);
        if (sizes.length > 0) {
          const manifest: SetManifest = {
            blobs: blobs.map((b, i) => ({ id: blobId(i), messageId: messageId(i), size: b.size })),
            entries: sizes.map((size, i) => ({ path: `f${i}`, size, type: '', modified: 0, ...placements[i] })),
          };
          expect(decodeManifest(encodeManifest(manifest))).toEqual(manifest);
        }
        const shorter = planBlobs(
          sizes.slice(0, cut).map((size) => ({ size })),
          limits,
        );
        expect(placements.slice(0, shorter.placements.length)).toEqual(shorter.placements);
      }),
    );
  });
});
