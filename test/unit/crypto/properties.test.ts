/** Property tests: round trips for random sizes and frame lengths; garbage never escapes the typed errors. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importWrappingKey } from '../../../src/crypto/cipher.ts';
import { FormatError } from '../../../src/crypto/errors.ts';
import { aesKeyring } from '../../../src/crypto/keyring.ts';
import { decryptStream, encryptStream } from '../../../src/crypto/message.ts';
import { objectContext } from '../../../src/crypto/objects.ts';
import { chunked, randomData, readAll } from '../helpers.ts';

const context = objectContext('PropertyPropertyProper', 'data');
const key = aesKeyring(await importWrappingKey(randomData(32)));
const frameLengths = fc.constantFrom(16, 32, 48, 64, 128, 4096);

async function encrypt(plain: Uint8Array, frameLength: number, chunk: number) {
  return readAll(chunked(plain, chunk).pipeThrough(encryptStream(key, { context, frameLength })));
}

/** Decrypts, failing the property if it takes longer than `ms` (a hang) or throws anything untyped. */
async function decryptTyped(bytes: Uint8Array, chunk: number, ms = 5000): Promise<Uint8Array | FormatError> {
  const work = readAll(chunked(bytes, chunk).pipeThrough(decryptStream(key, { context }))).catch((error: unknown) => {
    if (error instanceof FormatError) return error;
    throw error;
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`decoder did not settle in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('properties', () => {
  it('round-trips any plaintext at any frame length and any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        frameLengths,
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 1, max: 700 }),
        async (plain, F, inChunk, outChunk) => {
          const message = await encrypt(plain, F, inChunk);
          const back = await decryptTyped(message, outChunk);
          expect(back).toBeInstanceOf(Uint8Array);
          expect(Buffer.compare(back as Uint8Array, plain)).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('arbitrary bytes only ever produce typed errors, and never hang', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 1, max: 500 }), async (bytes, chunk) => {
        const result = await decryptTyped(bytes, chunk);
        expect(result).toBeInstanceOf(FormatError);
      }),
      { numRuns: 300 },
    );
  });

  it('a valid message with random edits is either refused with a typed error or unchanged', async () => {
    const plain = randomData(1000);
    const message = await encrypt(plain, 64, 1000);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(message.byteLength - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), async (edits) => {
        const bad = Uint8Array.from(message);
        for (const [at, xor] of edits) bad[at] ^= xor;
        const result = await decryptTyped(bad, 97);
        if (result instanceof Uint8Array) expect(Buffer.compare(bad, message)).toBe(0);
        else expect(result).toBeInstanceOf(FormatError);
      }),
      { numRuns: 300 },
    );
  });

  it('a message cut short or extended anywhere is refused', async () => {
    const message = await encrypt(randomData(500), 32, 500);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: message.byteLength - 1 }), fc.uint8Array({ minLength: 1, maxLength: 100 }), async (cut, extra) => {
        expect(await decryptTyped(message.subarray(0, cut), 64)).toBeInstanceOf(FormatError);
        expect(await decryptTyped(Buffer.concat([message, extra]), 64)).toBeInstanceOf(FormatError);
      }),
      { numRuns: 200 },
    );
  });
});
