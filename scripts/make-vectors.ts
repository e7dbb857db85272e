/**
 * Writes test/vectors/vectors.json: small messages made once with @aws-crypto/client-node
 * (not with our encoder), with their keys, so every test run checks our decoder against an
 * independent writer. Run once: npx tsx scripts/make-vectors.ts  (the output is committed).
 */
import { writeFileSync } from 'node:fs';
import { AlgorithmSuiteIdentifier, buildClient, CommitmentPolicy, RawAesKeyringNode, RawAesWrappingSuiteIdentifier } from '@aws-crypto/client-node';
import { keyNameFor, passwordWrappingKeyBytes } from '../src/crypto/password.ts';
import type { Vector } from '../test/support/vectors.ts';

const { encrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) % 251);
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');

async function make(
  description: string,
  wrappingKey: Uint8Array,
  keyName: string,
  size: number,
  frameLength: number,
  extra: Partial<Vector> = {},
): Promise<Vector> {
  const context = { 'cipherdrop:id': 'VectorVectorVectorVect', 'cipherdrop:object': 'data' };
  const keyring = new RawAesKeyringNode({
    keyName,
    keyNamespace: 'cipherdrop',
    unencryptedMasterKey: Uint8Array.from(wrappingKey),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const plaintext = bytes(size, size);
  const { result } = await encrypt(keyring, plaintext, {
    encryptionContext: context,
    frameLength,
    suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
  });
  return { description, keyName, wrappingKey: b64(wrappingKey), context, frameLength, plaintext: b64(plaintext), ciphertext: b64(result), ...extra };
}

const key = bytes(32, 7);
const secret = bytes(32, 99);
const password = 'correct horse battery staple';
const params = { iterations: 600_000, salt: bytes(16, 3) };
const vectors = [
  await make('empty plaintext, 4 KiB frames', key, 'link-v1', 0, 4096),
  await make('one byte', key, 'link-v1', 1, 4096),
  await make('exactly two frames (empty final frame)', key, 'link-v1', 8192, 4096),
  await make('two frames and one byte', key, 'link-v1', 8193, 4096),
  await make('Cipherdrop frame length (512 KiB), short plaintext', key, 'link-v1', 100, 512 * 1024),
  await make('password link', await passwordWrappingKeyBytes(secret, password, params), keyNameFor(params), 1000, 4096, { secret: b64(secret), password }),
];
writeFileSync('test/vectors/vectors.json', `${JSON.stringify(vectors, null, 1)}\n`);
console.log(`wrote ${vectors.length} vectors`);
