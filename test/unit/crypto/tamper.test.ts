/**
 * The tamper matrix: one bit flipped in every region of a message (tiny frames, so a short
 * plaintext spans many), every truncation, dropped/duplicated/reordered frames, appended bytes,
 * swapped objects and wrong keys — each must end in the matching typed error, and nothing that
 * was not authenticated may ever be output.
 */
import { describe, expect, it } from 'vitest';
import { importWrappingKey } from '../../../src/crypto/cipher.ts';
import {
  ContextMismatchError,
  CorruptedError,
  type FormatError,
  TrailingDataError,
  TruncatedError,
  UnsupportedSuiteError,
  UnsupportedVersionError,
  WrongKeyError,
} from '../../../src/crypto/errors.ts';
import { FINAL_FRAME_OVERHEAD, parseCompleteHeader, REGULAR_FRAME_OVERHEAD } from '../../../src/crypto/format.ts';
import { aesKeyring, type Keyring } from '../../../src/crypto/keyring.ts';
import { decryptStream, encryptStream } from '../../../src/crypto/message.ts';
import { objectContext } from '../../../src/crypto/objects.ts';
import { linkKey, MIN_PBKDF2_ITERATIONS } from '../../../src/crypto/password.ts';
import { chunked, randomData, readAll } from '../helpers.ts';

const F = 64;
const SIZE = 4 * F + 44; // four regular frames and a final frame of 44 bytes
const ID = 'TamperTamperTamperTamp';
const context = objectContext(ID, 'data');
const secret = randomData(32);
const key = aesKeyring(await importWrappingKey(secret));
const plain = randomData(SIZE);
const message = await readAll(chunked(plain, 1000).pipeThrough(encryptStream(key, { context, frameLength: F })));
const header = parseCompleteHeader(message);

interface Outcome {
  output: Buffer;
  error: unknown;
}

async function decode(bytes: Uint8Array, expected = context, k = key): Promise<Outcome> {
  const chunks: Uint8Array[] = [];
  const reader = chunked(bytes, 4096)
    .pipeThrough(decryptStream(k, { context: expected }))
    .getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { output: Buffer.concat(chunks), error: null };
      chunks.push(value);
    }
  } catch (error) {
    return { output: Buffer.concat(chunks), error };
  }
}

/** Output before an error must be whole frames of the original, strictly before the damaged frame. */
function expectOnlyAuthenticatedOutput({ output }: Outcome, damagedFrame: number): void {
  expect(output.byteLength % F).toBe(0);
  expect(output.byteLength).toBeLessThanOrEqual(Math.max(0, damagedFrame - 1) * F);
  expect(Buffer.compare(output, Buffer.from(plain.subarray(0, output.byteLength)))).toBe(0);
}

type Expectation = (error: unknown, bit?: number) => void;
const is =
  (type: abstract new (...args: never[]) => FormatError): Expectation =>
  (error) =>
    expect(error).toBeInstanceOf(type);
const corruptAt =
  (site: object): Expectation =>
  (error) => {
    expect(error).toBeInstanceOf(CorruptedError);
    expect((error as CorruptedError).site).toEqual(site);
  };
/** A flip of bit 7 in ASCII text makes invalid UTF-8: the parser reports the field; other flips change the text. */
const text =
  (field: string, otherwise: Expectation): Expectation =>
  (error, bit) =>
    bit === 7 ? corruptAt({ field })(error, bit) : otherwise(error, bit);
const oneOf =
  (...types: (abstract new (...args: never[]) => FormatError)[]): Expectation =>
  (error) =>
    expect(
      types.some((t) => error instanceof t),
      `${(error as Error)?.name}: ${(error as Error)?.message}`,
    ).toBe(true);

interface Region {
  name: string;
  start: number;
  length: number;
  frame: number;
  expect: Expectation;
}

/** The byte regions of the message, computed from the layout (see docs/FORMAT.md). */
function regions(): Region[] {
  const out: Region[] = [];
  let at = 0;
  const add = (name: string, length: number, expectation: Expectation, frame = 0) => {
    out.push({ name, start: at, length, frame, expect: expectation });
    at += length;
  };
  const structure = oneOf(CorruptedError, TruncatedError, WrongKeyError, ContextMismatchError);
  add('version', 1, is(UnsupportedVersionError));
  add('suite', 2, is(UnsupportedSuiteError));
  add('message ID', 32, corruptAt({ field: 'commitment' }));
  add('AAD length', 2, structure);
  add('context pair count', 2, structure);
  for (const [k, v] of Object.entries(context).sort()) {
    add(`context key length (${k})`, 2, structure);
    add(`context key ${k}`, k.length, text('encryptionContext', is(ContextMismatchError)));
    add(`context value length (${k})`, 2, structure);
    add(`context value of ${k}`, v.length, text('encryptionContext', is(ContextMismatchError)));
  }
  const edk = header.encryptedDataKeys[0];
  add('EDK count', 2, oneOf(CorruptedError, TruncatedError));
  add('EDK provider ID length', 2, structure);
  add('EDK provider ID', edk.providerId.length, text('encryptedDataKeys', is(WrongKeyError)));
  add('EDK provider info length', 2, structure);
  add('EDK key name', edk.providerInfo.byteLength - 20, is(WrongKeyError));
  add('EDK tag length', 4, is(WrongKeyError));
  add('EDK IV length', 4, is(WrongKeyError));
  add('EDK IV', 12, is(WrongKeyError));
  add('EDK length', 2, structure);
  add('EDK ciphertext', 32, is(WrongKeyError));
  add('EDK tag', 16, is(WrongKeyError));
  add('content type', 1, corruptAt({ field: 'contentType' }));
  add('frame length', 4, oneOf(CorruptedError));
  add('commitment', 32, corruptAt({ field: 'commitment' }));
  add('header auth tag', 16, corruptAt({ field: 'headerAuthTag' }));
  expect(at).toBe(header.length);
  for (let frame = 1; frame <= 4; frame++) {
    add(`frame ${frame} sequence number`, 4, corruptAt({ frame, field: 'sequenceNumber' }), frame);
    add(`frame ${frame} IV`, 12, corruptAt({ frame, field: 'iv' }), frame);
    add(`frame ${frame} ciphertext`, F, corruptAt({ frame, field: 'tag' }), frame);
    add(`frame ${frame} tag`, 16, corruptAt({ frame, field: 'tag' }), frame);
  }
  add('final frame marker', 4, corruptAt({ frame: 5, field: 'sequenceNumber' }), 5);
  add('final frame sequence number', 4, corruptAt({ frame: 5, field: 'sequenceNumber' }), 5);
  add('final frame IV', 12, corruptAt({ frame: 5, field: 'iv' }), 5);
  add('final frame length', 4, oneOf(CorruptedError, TruncatedError), 5);
  add('final frame ciphertext', 44, corruptAt({ frame: 5, field: 'tag' }), 5);
  add('final frame tag', 16, corruptAt({ frame: 5, field: 'tag' }), 5);
  expect(at).toBe(message.byteLength);
  return out;
}

describe('one bit flipped in every region', () => {
  it('covers the whole message, header to final tag', () => {
    const all = regions();
    expect(all.reduce((n, r) => n + r.length, 0)).toBe(message.byteLength);
  });

  for (const region of regions()) {
    it(`${region.name}: every bit of every byte`, async () => {
      for (let byte = region.start; byte < region.start + region.length; byte++) {
        for (let bit = 0; bit < 8; bit++) {
          const bad = Uint8Array.from(message);
          bad[byte] ^= 1 << bit;
          const outcome = await decode(bad);
          region.expect(outcome.error, bit);
          expectOnlyAuthenticatedOutput(outcome, region.frame);
        }
      }
    });
  }
});

describe('truncation, reordering and extra bytes', () => {
  it('is Truncated at every length short of the whole, with only whole authenticated frames output', async () => {
    for (let cut = 0; cut < message.byteLength; cut++) {
      const outcome = await decode(message.subarray(0, cut));
      expect(outcome.error, `cut at ${cut}`).toBeInstanceOf(TruncatedError);
      expectOnlyAuthenticatedOutput(outcome, 5);
    }
  });

  const frameAt = (i: number) => header.length + (i - 1) * (F + REGULAR_FRAME_OVERHEAD);
  const frame = (i: number) => message.subarray(frameAt(i), frameAt(i + 1));
  const head = message.subarray(0, header.length);
  const final = message.subarray(frameAt(5));

  it('a dropped frame is Corrupted at its position', async () => {
    const outcome = await decode(Buffer.concat([head, frame(1), frame(3), frame(4), final]));
    corruptAt({ frame: 2, field: 'sequenceNumber' })(outcome.error);
    expectOnlyAuthenticatedOutput(outcome, 2);
  });

  it('a duplicated frame is Corrupted', async () => {
    const outcome = await decode(Buffer.concat([head, frame(1), frame(2), frame(2), frame(3), frame(4), final]));
    corruptAt({ frame: 3, field: 'sequenceNumber' })(outcome.error);
  });

  it('swapped frames are Corrupted', async () => {
    const outcome = await decode(Buffer.concat([head, frame(2), frame(1), frame(3), frame(4), final]));
    corruptAt({ frame: 1, field: 'sequenceNumber' })(outcome.error);
    expect(outcome.output.byteLength).toBe(0);
  });

  it('a missing final frame is Truncated; a final frame moved early is Corrupted', async () => {
    expect((await decode(Buffer.concat([head, frame(1), frame(2), frame(3), frame(4)]))).error).toBeInstanceOf(TruncatedError);
    const early = await decode(Buffer.concat([head, frame(1), final]));
    corruptAt({ frame: 2, field: 'sequenceNumber' })(early.error);
  });

  it('bytes after the final frame are TrailingData, however many', async () => {
    for (const extra of [1, 15, FINAL_FRAME_OVERHEAD, 5000]) {
      expect((await decode(Buffer.concat([message, randomData(extra)]))).error).toBeInstanceOf(TrailingDataError);
    }
  });
});

describe('wrong keys and swapped objects', () => {
  it('a wrong link secret is WrongKey, before any output', async () => {
    const outcome = await decode(message, context, aesKeyring(await importWrappingKey(randomData(32))));
    expect(outcome.error).toBeInstanceOf(WrongKeyError);
    expect(outcome.output.byteLength).toBe(0);
  });

  it('a wrong password is WrongKey, before any output; the right one opens', async () => {
    const params = { iterations: MIN_PBKDF2_ITERATIONS, salt: randomData(16) };
    const right = await linkKey(secret, 'hunter2', params);
    const protectedMessage = await readAll(chunked(plain, 1000).pipeThrough(encryptStream(right, { context, frameLength: F })));
    const wrong = await linkKey(secret, 'hunter3', params);
    const reader = (k: Keyring) => readAll(chunked(protectedMessage, 4096).pipeThrough(decryptStream(k, { context })));
    await expect(reader(wrong)).rejects.toBeInstanceOf(WrongKeyError);
    await expect(reader(key)).rejects.toBeInstanceOf(WrongKeyError);
    expect(Buffer.compare(await reader(right), plain)).toBe(0);
  });

  it("another upload's object (same key, other id) is ContextMismatch", async () => {
    const other = await readAll(
      chunked(plain, 1000).pipeThrough(encryptStream(key, { context: objectContext('OtherOtherOtherOtherOt', 'data'), frameLength: F })),
    );
    expect((await decode(other)).error).toBeInstanceOf(ContextMismatchError);
  });

  it('the meta object where the data object should be is ContextMismatch', async () => {
    const meta = await readAll(chunked(plain, 1000).pipeThrough(encryptStream(key, { context: objectContext(ID, 'meta'), frameLength: F })));
    expect((await decode(meta)).error).toBeInstanceOf(ContextMismatchError);
  });
});
