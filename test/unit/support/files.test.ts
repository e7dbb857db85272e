/** The test helper that proves "no plaintext leaves the browser" must itself be able to fail. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlaintextIndex } from '../../support/files.ts';
import { randomData } from '../helpers.ts';

describe('PlaintextIndex', () => {
  it('finds any 64-byte window of the plaintext at any offset, and nothing in unrelated bytes', async () => {
    const plain = Buffer.from(randomData(1 << 20));
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'idx-')), 'p.bin');
    writeFileSync(file, plain);
    const index = await PlaintextIndex.fromFile(file);
    expect(index.findIn(Buffer.from(randomData(1 << 20)))).toBe(-1);
    for (const start of [0, 1, 31, 33, 12345, plain.byteLength - 64]) {
      const haystack = Buffer.concat([Buffer.from(randomData(777)), plain.subarray(start, start + 64), Buffer.from(randomData(99))]);
      expect(index.findIn(haystack), `window at ${start}`).toBeGreaterThanOrEqual(777);
    }
  });
});
