import { describe, expect, it } from 'vitest';
import { importWrappingKey } from '../../../src/crypto/cipher.ts';
import {
  ContextMismatchError,
  CorruptedError,
  FormatError,
  TrailingDataError,
  TruncatedError,
  UnsupportedSuiteError,
  UnsupportedVersionError,
  WrongKeyError,
} from '../../../src/crypto/errors.ts';
import { ciphertextSize, DEFAULT_FRAME_LENGTH, KiB, parseCompleteHeader, SUITE_ID } from '../../../src/crypto/format.ts';
import { openRun, sealRun } from '../../../src/crypto/frames.ts';
import { aesKeyring } from '../../../src/crypto/keyring.ts';
import { createMessage, decryptBytes, decryptStream, encryptBytes, encryptStream } from '../../../src/crypto/message.ts';
import { sealedRunSize } from '../../../src/layout.ts';
import { aws, awsKeyring, COMMIT_SUITE, chunked, randomData, readAll, SIGNED_SUITE } from '../helpers.ts';

const F = DEFAULT_FRAME_LENGTH;
const context = { 'cipherdrop:id': 'AAAAAAAAAAAAAAAAAAAAAA', 'cipherdrop:object': 'data' };
const secret = randomData(32);
const key = aesKeyring(await importWrappingKey(secret));

async function ours(plain: Uint8Array, frameLength: number, chunk = 64 * KiB): Promise<Uint8Array> {
  return readAll(chunked(plain, chunk).pipeThrough(encryptStream(key, { context, frameLength })));
}

async function decryptOurs(message: Uint8Array, chunk = 64 * KiB, expected = context, k = key): Promise<Uint8Array> {
  return readAll(chunked(message, chunk).pipeThrough(decryptStream(k, { context: expected })));
}

describe('conformance with @aws-crypto/client-node', () => {
  // 2F+F/2 plus a 16 MiB part boundary are covered by the multi-part case below.
  const sizes = [0, 1, F - 1, F, F + 1, 2 * F, 3 * F + 7];
  for (const size of sizes) {
    it(`client-node decrypts our message of ${size} bytes byte-exact`, async () => {
      const plain = randomData(size);
      const message = await ours(plain, F);
      const { plaintext, messageHeader } = await aws.decrypt(awsKeyring(secret), message);
      expect(Buffer.compare(plaintext, plain)).toBe(0);
      expect(messageHeader.suiteId).toBe(SUITE_ID);
      expect(messageHeader.encryptionContext).toEqual(context);
      expect(message.byteLength).toBe(ciphertextSize(size, F, parseCompleteHeader(message).length));
    });
  }

  it('client-node decrypts a multi-part message sealed run by run, as the workers do', async () => {
    const partPlain = 4 * F;
    const size = 2 * partPlain + 12345;
    const plain = randomData(size);
    const message = await createMessage(key, context, F);
    const parts: Uint8Array[] = [];
    for (let start = 0, seq = 1; start < size; start += partPlain) {
      const run = plain.subarray(start, Math.min(size, start + partPlain));
      const last = start + partPlain >= size;
      parts.push(await sealRun(message, run, seq, last, start === 0 ? message.header : undefined));
      seq += partPlain / F;
    }
    const whole = Buffer.concat(parts);
    expect(whole.byteLength).toBe(ciphertextSize(size, F, message.header.byteLength));
    const { plaintext } = await aws.decrypt(awsKeyring(secret), whole);
    expect(Buffer.compare(plaintext, plain)).toBe(0);
  });

  for (const frameLength of [4096, F]) {
    for (const size of [0, 1, frameLength - 1, frameLength, frameLength + 1, 3 * frameLength + 7]) {
      it(`we decrypt client-node's message: frame ${frameLength}, ${size} bytes`, async () => {
        const plain = randomData(size);
        const { result } = await aws.encrypt(awsKeyring(secret), plain, { encryptionContext: context, suiteId: COMMIT_SUITE, frameLength });
        expect(Buffer.compare(await decryptOurs(result, 1000), plain)).toBe(0);
      });
    }
  }

  it('refuses a signed suite with UnsupportedSuite', async () => {
    const { result } = await aws.encrypt(awsKeyring(secret), randomData(10), { encryptionContext: context, suiteId: SIGNED_SUITE });
    await expect(decryptOurs(result)).rejects.toBeInstanceOf(UnsupportedSuiteError);
  });

  it('refuses a message format v1 with UnsupportedVersion', async () => {
    const legacy = buildLegacy();
    const { result } = await legacy.encrypt(awsKeyring(secret), randomData(10), { encryptionContext: context });
    await expect(decryptOurs(result)).rejects.toBeInstanceOf(UnsupportedVersionError);
  });
});

import { AlgorithmSuiteIdentifier, buildClient, CommitmentPolicy } from '@aws-crypto/client-node';

function buildLegacy() {
  const client = buildClient(CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT);
  return {
    encrypt: (k: ReturnType<typeof awsKeyring>, p: Uint8Array, o: { encryptionContext: Record<string, string> }) =>
      client.encrypt(k, p, { ...o, suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384 }),
  };
}

describe('round trips at frame edges with a tiny frame', () => {
  const tiny = 64;
  for (const size of [0, 1, tiny - 1, tiny, tiny + 1, 2 * tiny, 5 * tiny + 3, 1000]) {
    for (const chunk of [1, 7, tiny, 4096]) {
      it(`size ${size}, chunks of ${chunk}`, async () => {
        const plain = randomData(size);
        const message = await ours(plain, tiny, chunk);
        expect(message.byteLength).toBe(ciphertextSize(size, tiny, parseCompleteHeader(message).length));
        expect(Buffer.compare(await decryptOurs(message, chunk), plain)).toBe(0);
      });
    }
  }

  it('sealRun and openRun agree on runs, with and without the final frame', async () => {
    const message = await createMessage(key, context, tiny);
    const run = randomData(3 * tiny);
    const sealed = await sealRun(message, run, 4, false);
    expect(sealed.byteLength).toBe(sealedRunSize(run.byteLength, tiny, false));
    expect(Buffer.compare(await openRun(message, sealed, 4, false, run.byteLength), run)).toBe(0);
    await expect(openRun(message, sealed, 5, false, run.byteLength)).rejects.toBeInstanceOf(CorruptedError);
    await expect(openRun(message, sealed, 4, true, run.byteLength)).rejects.toThrow(/final/);
    await expect(sealRun(message, run.subarray(1), 1, false)).rejects.toThrow(RangeError);
  });

  it('openRun opens into a reused buffer large enough for the run, and into a new one otherwise', async () => {
    const message = await createMessage(key, context, tiny);
    const run = randomData(3 * tiny);
    const sealed = await sealRun(message, run, 1, false);
    const reused = new Uint8Array(4 * tiny).fill(0xee);
    const plain = await openRun(message, sealed, 1, false, run.byteLength, reused.buffer);
    expect([plain.buffer, plain.byteOffset, plain.byteLength]).toEqual([reused.buffer, 0, run.byteLength]);
    expect(Buffer.compare(plain, run)).toBe(0);
    expect(reused.subarray(run.byteLength).every((b) => b === 0xee)).toBe(true);
    const small = new ArrayBuffer(run.byteLength - 1);
    const fresh = await openRun(message, sealed, 1, false, run.byteLength, small);
    expect(fresh.buffer).not.toBe(small);
    expect(Buffer.compare(fresh, run)).toBe(0);
  });
});

describe('refusals', () => {
  const plain = randomData(300);
  const tiny = 64;
  const messagePromise = ours(plain, tiny);

  it('a wrong key is WrongKey', async () => {
    const other = aesKeyring(await importWrappingKey(randomData(32)));
    await expect(decryptOurs(await messagePromise, 64, context, other)).rejects.toBeInstanceOf(WrongKeyError);
  });

  it('another id in the context is ContextMismatch', async () => {
    await expect(decryptOurs(await messagePromise, 64, { ...context, 'cipherdrop:id': 'B'.repeat(22) })).rejects.toBeInstanceOf(ContextMismatchError);
  });

  it('truncation anywhere is Truncated or Corrupted, never output', async () => {
    const message = await messagePromise;
    for (let cut = 0; cut < message.byteLength; cut += 5) {
      const error = await decryptOurs(message.subarray(0, cut)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FormatError);
      expect(error).toBeInstanceOf(TruncatedError);
    }
  });

  it('appended bytes are TrailingData', async () => {
    const message = await messagePromise;
    await expect(decryptOurs(Buffer.concat([message, new Uint8Array([0])]))).rejects.toBeInstanceOf(TrailingDataError);
  });

  it('every single-bit flip is refused with a typed error', async () => {
    const message = await messagePromise;
    for (let at = 0; at < message.byteLength; at++) {
      const bad = Uint8Array.from(message);
      bad[at] ^= 0x01;
      const error = await decryptOurs(bad, 4096).catch((e: unknown) => e);
      expect(error, `flip at byte ${at}`).toBeInstanceOf(FormatError);
    }
  });

  it('the streaming decoder emits nothing from a frame that fails', async () => {
    const message = Uint8Array.from(await messagePromise);
    message[message.byteLength - 1] ^= 0x80; // last tag byte: the final frame fails
    const got: Uint8Array[] = [];
    const stream = chunked(message, 4096).pipeThrough(decryptStream(key, { context }));
    const reader = stream.getReader();
    const error = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return null;
        got.push(value);
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptedError);
    // Regular frames before the damaged final frame were authenticated and may be released.
    expect(Buffer.concat(got).byteLength).toBe(Math.floor(300 / tiny) * tiny);
  });

  it('small-object helpers round trip', async () => {
    const bytes = await encryptBytes(key, plain, { context });
    expect(Buffer.compare(await decryptBytes(key, bytes, { context }), plain)).toBe(0);
  });
});
