/**
 * Writes test/vectors/vectors.json: small messages made once with @aws-crypto/client-node
 * (not with our encoder), with their keys, so every test run checks our decoder against an
 * independent writer — and, for the raw RSA keyring of file requests, one message of ours that
 * client-node must open. Run once: npx tsx scripts/make-vectors.ts  (the output is committed).
 * `npx tsx scripts/make-vectors.ts rsa` remakes only the raw RSA vectors (a new key pair), keeping the others;
 * `npx tsx scripts/make-vectors.ts sets` only a set's manifest and blob (the manifest names the blob's message ID).
 */
import { constants, generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
  RawRsaKeyringNode,
} from '@aws-crypto/client-node';
import { toBase64Url } from '../src/crypto/bytes.ts';
import { parseCompleteHeader, REQUEST_KEY_NAME } from '../src/crypto/format.ts';
import { rsaKeyring } from '../src/crypto/keyring.ts';
import { encryptBytes } from '../src/crypto/message.ts';
import { keyNameFor, passwordWrappingKeyBytes } from '../src/crypto/password.ts';
import { requestObjectContext } from '../src/crypto/request-keys.ts';
import { blobContext, encodeManifest, manifestContext } from '../src/crypto/set-manifest.ts';
import { type AesVector, isRsaVector, type RsaVector, type Vector } from '../test/support/vectors.ts';

const { encrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) % 251);
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');

async function make(
  description: string,
  wrappingKey: Uint8Array,
  keyName: string,
  size: number | Uint8Array,
  frameLength: number,
  extra: Partial<AesVector> = {},
): Promise<AesVector> {
  const context = extra.context ?? { 'cipherdrop:id': 'VectorVectorVectorVect', 'cipherdrop:object': 'data' };
  const keyring = new RawAesKeyringNode({
    keyName,
    keyNamespace: 'cipherdrop',
    unencryptedMasterKey: Uint8Array.from(wrappingKey),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const plaintext = typeof size === 'number' ? bytes(size, size) : size;
  const { result } = await encrypt(keyring, plaintext, {
    encryptionContext: context,
    frameLength,
    suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
  });
  return { description, keyName, wrappingKey: b64(wrappingKey), context, frameLength, plaintext: b64(plaintext), ciphertext: b64(result), ...extra };
}

/**
 * A set of two files and an empty folder: one blob (both files packed), and the manifest naming
 * the blob's message ID, both written by client-node.
 */
async function makeSet(wrappingKey: Uint8Array): Promise<AesVector[]> {
  const setId = 'VectorSetVectorSetVect';
  const blobId = 'VectorBlobVectorBlobVe';
  const hello = new TextEncoder().encode('Hello, set!\n');
  const photo = bytes(5000, 5);
  const blobPlain = new Uint8Array([...hello, ...photo]);
  const blob = await make('set: one blob (two files packed), 4 KiB frames', wrappingKey, 'link-v1', blobPlain, 4096, {
    context: blobContext(setId, blobId),
    set: 'blob',
  });
  const messageId = toBase64Url(parseCompleteHeader(Buffer.from(blob.ciphertext, 'base64url')).messageId);
  const manifest = encodeManifest({
    blobs: [{ id: blobId, messageId, size: blobPlain.byteLength }],
    entries: [
      { path: 'notes/hello.txt', size: hello.byteLength, type: 'text/plain', modified: 1764633600000, blob: 0, offset: 0 },
      { path: 'photos/2026/ünïcode 😀.jpg', size: photo.byteLength, type: 'image/jpeg', modified: 1764633601000, blob: 0, offset: hello.byteLength },
      { path: 'empty folder/', dir: true },
    ],
  });
  const sealed = await make('set: its manifest', wrappingKey, 'link-v1', manifest, 4096, { context: manifestContext(setId), set: 'manifest' });
  return [sealed, blob];
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 4096, publicExponent: 65537 });
const spki = rsa.publicKey.export({ type: 'spki', format: 'der' });
const pkcs8 = rsa.privateKey.export({ type: 'pkcs8', format: 'der' });

async function makeRsa(description: string, writer: RsaVector['writer'], size: number, frameLength: number): Promise<RsaVector> {
  const context = requestObjectContext('VectorVectorVectorVect', 'data', 'RequestRequestRequestR');
  const plaintext = bytes(size, size);
  let ciphertext: Uint8Array;
  if (writer === 'client-node') {
    const keyring = new RawRsaKeyringNode({
      keyNamespace: 'cipherdrop',
      keyName: REQUEST_KEY_NAME,
      rsaKey: { publicKey: rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string },
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
    });
    const suiteId = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;
    ciphertext = (await encrypt(keyring, plaintext, { encryptionContext: context, frameLength, suiteId })).result;
  } else {
    const publicKey = await crypto.subtle.importKey('spki', spki, { name: 'RSA-OAEP', hash: 'SHA-256' }, true, ['encrypt']);
    ciphertext = await encryptBytes(rsaKeyring({ publicKey }), plaintext, { context, frameLength });
  }
  return {
    description,
    keyring: 'rsa',
    writer,
    keyName: REQUEST_KEY_NAME,
    publicKey: b64(spki),
    privateKey: b64(pkcs8),
    context,
    frameLength,
    plaintext: b64(plaintext),
    ciphertext: b64(ciphertext),
  };
}

const rsaVectors = [
  await makeRsa('raw RSA keyring (file request), written by client-node, two frames and one byte', 'client-node', 8193, 4096),
  await makeRsa('raw RSA keyring (file request), written by Cipherdrop, one short frame', 'cipherdrop', 1000, 4096),
];

const key = bytes(32, 7);
const secret = bytes(32, 99);
const password = 'correct horse battery staple';
const params = { iterations: 600_000, salt: bytes(16, 3) };
const only = process.argv[2];
const remade = (v: Vector) => (only === 'rsa' ? isRsaVector(v) : !isRsaVector(v) && v.set !== undefined);
const kept = only ? (JSON.parse(readFileSync('test/vectors/vectors.json', 'utf8')) as Vector[]).filter((v) => !remade(v)) : null;
const vectors: Vector[] = kept ?? [
  await make('empty plaintext, 4 KiB frames', key, 'link-v1', 0, 4096),
  await make('one byte', key, 'link-v1', 1, 4096),
  await make('exactly two frames (empty final frame)', key, 'link-v1', 8192, 4096),
  await make('two frames and one byte', key, 'link-v1', 8193, 4096),
  await make('Cipherdrop frame length (512 KiB), short plaintext', key, 'link-v1', 100, 512 * 1024),
  await make('password link', await passwordWrappingKeyBytes(secret, password, params), keyNameFor(params), 1000, 4096, { secret: b64(secret), password }),
];
if (only !== 'sets') vectors.push(...rsaVectors);
if (only !== 'rsa') vectors.push(...(await makeSet(key)));
writeFileSync('test/vectors/vectors.json', `${JSON.stringify(vectors, null, 1)}\n`);
console.log(`wrote ${vectors.length} vectors`);
