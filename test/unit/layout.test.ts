import { describe, expect, it } from 'vitest';
import { layoutPartSize, layoutProblem } from '../../src/contract/layout.ts';
import { MAX_PARTS, MIN_PART_SIZE } from '../../src/contract/limits.ts';
import { importWrappingKey } from '../../src/crypto/cipher.ts';
import { ciphertextSize, finalFrameSize, KiB, MiB, regularFrameSize, sealedHeaderLength } from '../../src/crypto/format.ts';
import { aesKeyring } from '../../src/crypto/keyring.ts';
import { createMessage } from '../../src/crypto/message.ts';
import { objectContext } from '../../src/crypto/objects.ts';
import { coveringRun, frameRun, messageLayout, objectLayout, partLayout, partPlaintextSize, planParts, planRanges, sealedRunSize } from '../../src/layout.ts';
import { randomData } from './helpers.ts';

const F = 512 * KiB;

describe('sealedHeaderLength', () => {
  it('predicts the real header length', async () => {
    const key = aesKeyring(await importWrappingKey(randomData(32)));
    for (const context of [objectContext('A'.repeat(22), 'data'), objectContext('B'.repeat(22), 'meta'), {}]) {
      const message = await createMessage(key, context, F);
      expect(sealedHeaderLength(context, key)).toBe(message.header.byteLength);
    }
  });
});

describe('planParts', () => {
  const H = 300;
  const sizes = [0, 1, F - 1, F, F + 1, 16 * MiB - 1, 16 * MiB, 16 * MiB + 1, 64 * MiB, 100 * MiB + 12345];
  for (const size of sizes) {
    it(`covers ${size} bytes with whole-frame parts that sum to the message size`, () => {
      const parts = planParts(size, F, H);
      expect(parts[0].plainStart).toBe(0);
      expect(parts.at(-1)?.plainEnd).toBe(size);
      expect(parts.filter((p) => p.endsMessage)).toHaveLength(1);
      expect(parts.at(-1)?.endsMessage).toBe(true);
      let seq = 1;
      parts.forEach((p, i) => {
        expect(p.partNumber).toBe(i + 1);
        expect(p.firstSeq).toBe(seq);
        if (i > 0) expect(p.plainStart).toBe(parts[i - 1].plainEnd);
        if (!p.endsMessage) {
          expect((p.plainEnd - p.plainStart) % F).toBe(0);
          expect(p.cipherSize).toBeGreaterThanOrEqual(MIN_PART_SIZE);
        }
        seq += (p.plainEnd - p.plainStart) / F;
      });
      expect(parts.reduce((n, p) => n + p.cipherSize, 0)).toBe(ciphertextSize(size, F, H));
    });
  }

  it('grows the part size so a 5 TiB file needs at most 10 000 parts', () => {
    const size = 5 * 1024 ** 4 - 1;
    const parts = planParts(size, F, H);
    expect(parts.length).toBeLessThanOrEqual(MAX_PARTS);
    expect(parts.reduce((n, p) => n + p.cipherSize, 0)).toBe(ciphertextSize(size, F, H));
  });
});

describe('planRanges', () => {
  for (const size of [0, 1, F, 3 * F + 5, 40 * MiB + 3]) {
    it(`ranges for ${size} bytes tile the body and end with the final frame`, () => {
      const H = 280;
      const ranges = planRanges(size, F, H, 4 * MiB);
      expect(ranges[0].start).toBe(H);
      expect(ranges.at(-1)?.end).toBe(ciphertextSize(size, F, H) - 1);
      expect(ranges.reduce((n, r) => n + r.plainLength, 0)).toBe(size);
      ranges.forEach((r, i) => {
        if (i > 0) expect(r.start).toBe(ranges[i - 1].end + 1);
        expect(r.endsMessage).toBe(i === ranges.length - 1);
      });
    });
  }
});

/** Every frame of a message, walked one by one: the independent account the arithmetic is checked against. */
interface Frame {
  seq: number;
  plainStart: number;
  plainEnd: number;
  cipherStart: number;
  cipherEnd: number;
}
function walk(size: number, F: number, H: number, fullFinal = false): Frame[] {
  const frames: Frame[] = [];
  let plain = 0;
  let cipher = H;
  // A full final frame (another writer's) takes the last F bytes of a size that is a multiple of F.
  const regular = fullFinal ? size / F - 1 : Math.floor(size / F);
  for (let seq = 1; seq <= regular; seq++, plain += F, cipher += regularFrameSize(F)) {
    frames.push({ seq, plainStart: plain, plainEnd: plain + F, cipherStart: cipher, cipherEnd: cipher + regularFrameSize(F) });
  }
  frames.push({ seq: regular + 1, plainStart: plain, plainEnd: size, cipherStart: cipher, cipherEnd: cipher + finalFrameSize(size - plain) });
  return frames;
}

/** The run of frames a..b as the walk sees it. */
const walkedRun = (frames: Frame[], a: number, b: number) => ({
  firstSeq: a,
  start: frames[a - 1].cipherStart,
  end: frames[b - 1].cipherEnd - 1,
  endsMessage: b === frames.length,
  plainLength: frames[b - 1].plainEnd - frames[a - 1].plainStart,
});

/** Tiny frames, so short inputs span many; sizes at every frame edge (size-1, size, size+1), and empty. */
const TINY = [1, 3, 16];
const sizesFor = (F: number) => [0, 1, F - 1, F, F + 1, 2 * F - 1, 2 * F, 2 * F + 1, 5 * F, 5 * F + 2].filter((n, i, all) => n >= 0 && all.indexOf(n) === i);
const H = 17;

describe('frame layout against a frame-by-frame walk', () => {
  for (const F of TINY) {
    it(`places every run of frames (F = ${F})`, () => {
      for (const size of sizesFor(F)) {
        const frames = walk(size, F, H);
        const layout = messageLayout(size, F, H);
        expect(layout.frameCount).toBe(frames.length);
        expect(frames.at(-1)?.cipherEnd).toBe(ciphertextSize(size, F, H));
        for (let a = 1; a <= frames.length; a++) {
          for (let b = a; b <= frames.length; b++) expect(frameRun(layout, a, b), `${size}: ${a}..${b}`).toEqual(walkedRun(frames, a, b));
        }
        expect(() => frameRun(layout, 1, frames.length + 1)).toThrow(RangeError);
        expect(() => frameRun(layout, 0, 1)).toThrow(RangeError);
        expect(() => frameRun(layout, 2, 1)).toThrow(RangeError);
      }
    });

    it(`maps every plaintext range to the frames covering it (F = ${F})`, () => {
      for (const size of sizesFor(F)) {
        const frames = walk(size, F, H);
        const layout = messageLayout(size, F, H);
        for (let start = -1; start <= size + 1; start++) {
          for (let end = start; end <= size + 2; end++) {
            const [lo, hi] = [Math.max(start, 0), Math.min(end, size)];
            const touched = frames.filter((f) => lo < hi && f.plainStart < hi && f.plainEnd > lo);
            const expected = touched.length ? walkedRun(frames, touched[0].seq, touched.at(-1)?.seq as number) : null;
            expect(coveringRun(layout, start, end), `${size}: [${start}, ${end})`).toEqual(expected);
          }
        }
      }
    });

    it(`reads a message's layout back from its size alone, and no other size (F = ${F})`, () => {
      const valid = new Map<number, { plaintextSize: number; frameCount: number }>();
      for (let size = 0; size <= 6 * F; size++) {
        valid.set(ciphertextSize(size, F, H), { plaintextSize: size, frameCount: walk(size, F, H).length });
        if (size > 0 && size % F === 0) {
          const frames = walk(size, F, H, true);
          valid.set(frames.at(-1)?.cipherEnd as number, { plaintextSize: size, frameCount: frames.length });
        }
      }
      for (let objectSize = 0; objectSize <= ciphertextSize(5 * F, F, H); objectSize++) {
        const layout = objectLayout(objectSize, F, H);
        const expected = valid.get(objectSize);
        expect(layout && { plaintextSize: layout.plaintextSize, frameCount: layout.frameCount }, `${objectSize}`).toEqual(expected ?? null);
      }
    });
  }

  it("places another writer's full final frame", () => {
    const F = 4;
    const frames = walk(3 * F, F, H, true);
    const layout = objectLayout(frames.at(-1)?.cipherEnd as number, F, H);
    if (!layout) throw new Error('a full final frame is a valid message');
    expect(layout.frameCount).toBe(3);
    for (let a = 1; a <= 3; a++) for (let b = a; b <= 3; b++) expect(frameRun(layout, a, b)).toEqual(walkedRun(frames, a, b));
    expect(coveringRun(layout, 2 * F, 3 * F)).toEqual(walkedRun(frames, 3, 3));
  });

  it('sizes sealed runs as the walk does, and refuses a run of part of a frame that does not end the message', () => {
    for (const F of TINY) {
      for (const length of sizesFor(F)) {
        expect(sealedRunSize(length, F, true)).toBe(ciphertextSize(length, F, 0));
        if (length % F === 0) expect(sealedRunSize(length, F, false)).toBe((length / F) * regularFrameSize(F));
        else expect(() => sealedRunSize(length, F, false)).toThrow(RangeError);
      }
    }
  });

  it('plans ranged GETs of whole frames that tile the walk', () => {
    for (const F of TINY) {
      for (const size of sizesFor(F)) {
        const frames = walk(size, F, H);
        for (const framesPer of [1, 2, 3]) {
          const ranges = planRanges(size, F, H, framesPer * regularFrameSize(F));
          let seq = 1;
          ranges.forEach((r, i) => {
            const last = Math.min(frames.length, seq + framesPer - 1);
            expect(r).toEqual({ index: i, ...walkedRun(frames, seq, last) });
            seq = last + 1;
          });
          expect(seq).toBe(frames.length + 1);
        }
      }
    }
  });
});

describe('the part plan produces the layout the server signs (contract/layout.ts)', () => {
  const F = 512 * KiB;
  const H = 300;
  const part = partPlaintextSize(0, F);
  for (const size of [0, 1, F, part - 1, part, part + 1, 3 * part - 1, 3 * part, 3 * part + 1, 100 * MiB + 12345]) {
    it(`${size} bytes`, () => {
      const parts = planParts(size, F, H);
      const layout = partLayout(parts, H);
      expect(layout).toEqual({
        size: ciphertextSize(size, F, H),
        partCount: parts.length,
        partSize: parts.length > 1 ? parts[0].cipherSize - H : 0,
        headerSize: H,
      });
      expect(layoutProblem(layout)).toBeNull();
      expect(parts.map((p) => layoutPartSize(layout, p.partNumber))).toEqual(parts.map((p) => p.cipherSize));
    });
  }
});
