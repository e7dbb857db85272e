import { describe, expect, it } from 'vitest';
import { MAX_PARTS, MIN_PART_SIZE } from '../../src/contract/limits.ts';
import { importWrappingKey } from '../../src/crypto/cipher.ts';
import { ciphertextSize, KiB, MiB, sealedHeaderLength } from '../../src/crypto/format.ts';
import { createMessage } from '../../src/crypto/message.ts';
import { objectContext } from '../../src/crypto/objects.ts';
import { planParts, planRanges } from '../../src/layout.ts';
import { randomData } from './helpers.ts';

const F = 512 * KiB;

describe('sealedHeaderLength', () => {
  it('predicts the real header length', async () => {
    const key = await importWrappingKey(randomData(32));
    for (const context of [objectContext('A'.repeat(22), 'data'), objectContext('B'.repeat(22), 'meta'), {}]) {
      const message = await createMessage(key, context, F);
      expect(sealedHeaderLength(context)).toBe(message.header.byteLength);
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
