/**
 * A set's objects against @aws-crypto/client-node (both ways), and the storage attacking a set:
 * a member swapped (a blob of another set, another upload of the same blob, another blob of this
 * set), dropped, added, reordered, cut or extended, and a manifest of another set — each refused
 * with a typed error that names what failed.
 */
import { describe, expect, it } from 'vitest';
import { buf, toBase64Url, utf8 } from '../../../src/crypto/bytes.ts';
import { importWrappingKey } from '../../../src/crypto/cipher.ts';
import { ContextMismatchError, CorruptedError, TrailingDataError, TruncatedError, WrongKeyError } from '../../../src/crypto/errors.ts';
import { parseCompleteHeader } from '../../../src/crypto/format.ts';
import { aesKeyring } from '../../../src/crypto/keyring.ts';
import { encryptBytes, openMessage } from '../../../src/crypto/message.ts';
import { blobSource, openRandomAccess } from '../../../src/crypto/random-access.ts';
import {
  blobContext,
  checkBlob,
  decodeManifest,
  encodeManifest,
  manifestContext,
  matchListing,
  memberRange,
  openManifest,
  type SetManifest,
  sealManifest,
} from '../../../src/crypto/set-manifest.ts';
import { planBlobs } from '../../../src/crypto/set-plan.ts';
import { aws, awsKeyring, COMMIT_SUITE, randomData } from '../helpers.ts';

const SET = 'SetSetSetSetSetSetSetS';
const OTHER_SET = 'OtherOtherOtherOtherOt';
const BLOB_IDS = ['BlobAAAAAAAAAAAAAAAAAA', 'BlobBBBBBBBBBBBBBBBBBB'];
const F = 64;
const secret = randomData(32);
const key = aesKeyring(await importWrappingKey(secret));

/** Three files: two packed in blob 0, one alone in blob 1 (tiny pack limits), sealed with frames of 64 bytes. */
const files = [randomData(100), randomData(0), randomData(300)];
const plan = planBlobs(
  files.map((f) => ({ size: f.byteLength })),
  { packLimit: 200, packTarget: 1000 },
);
const blobPlain = plan.blobs.map((b) => Buffer.concat(b.files.map((i) => files[i])));
const sealBlob = (setId: string, index: number, plain = blobPlain[index]) =>
  encryptBytes(key, plain, { context: blobContext(setId, BLOB_IDS[index]), frameLength: F });
const blobs = await Promise.all([sealBlob(SET, 0), sealBlob(SET, 1)]);
const manifest: SetManifest = {
  blobs: blobs.map((b, i) => ({ id: BLOB_IDS[i], messageId: toBase64Url(parseCompleteHeader(b).messageId), size: blobPlain[i].byteLength })),
  entries: [
    ...files.map((f, i) => ({
      path: `dir/file ${i}.bin`,
      size: f.byteLength,
      type: 'application/octet-stream',
      modified: 1764633600000 + i,
      ...plan.placements[i],
    })),
    { path: 'dir/empty/', dir: true as const },
  ],
};
const sealedManifest = await sealManifest(key, SET, manifest);

/** Reads blob `index` of the set as the recipient does, from `object` (what the store served). */
async function readBlob(index: number, object: Uint8Array, setId = SET) {
  const opened = await openRandomAccess(blobSource(new Blob([buf(object)])), key, blobContext(setId, manifest.blobs[index].id));
  checkBlob(manifest, index, opened.message.header, object.byteLength);
  return opened;
}

function expectError<T extends Error>(error: unknown, type: new (...args: never[]) => T, mentions: string | RegExp): void {
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toMatch(mentions);
}

describe('interoperability with client-node', () => {
  it('client-node opens our manifest and blobs, under the set contexts', async () => {
    const { plaintext, messageHeader } = await aws.decrypt(awsKeyring(secret), Buffer.from(sealedManifest));
    expect(messageHeader.encryptionContext).toEqual(manifestContext(SET));
    expect(decodeManifest(plaintext)).toEqual(manifest);
    for (const [i, blob] of blobs.entries()) {
      const opened = await aws.decrypt(awsKeyring(secret), Buffer.from(blob));
      expect(opened.messageHeader.encryptionContext).toEqual(blobContext(SET, BLOB_IDS[i]));
      expect(Buffer.from(opened.plaintext)).toEqual(blobPlain[i]);
    }
  });

  it('we open a manifest and a blob client-node wrote', async () => {
    const encryptionContext = { ...blobContext(SET, BLOB_IDS[1]) };
    const blob = (await aws.encrypt(awsKeyring(secret), blobPlain[1], { encryptionContext, frameLength: 128, suiteId: COMMIT_SUITE })).result;
    const theirs: SetManifest = {
      ...manifest,
      blobs: [manifest.blobs[0], { ...manifest.blobs[1], messageId: toBase64Url(parseCompleteHeader(blob).messageId) }],
    };
    const sealed = await aws.encrypt(awsKeyring(secret), encodeManifest(theirs), { encryptionContext: { ...manifestContext(SET) }, suiteId: COMMIT_SUITE });
    const opened = await openManifest(key, SET, sealed.result);
    expect(opened).toEqual(theirs);
    const reader = await openRandomAccess(blobSource(new Blob([buf(blob)])), key, blobContext(SET, BLOB_IDS[1]));
    checkBlob(opened, 1, reader.message.header, blob.byteLength);
    const { start, end } = memberRange(opened, 2);
    expect(await reader.read(start, end)).toEqual(files[2]);
  });
});

describe('the set as we write it', () => {
  it('reads every member back from its blob range', async () => {
    const opened = await openManifest(key, SET, sealedManifest);
    for (const [i, f] of files.entries()) {
      const { blob, start, end } = memberRange(opened, i);
      const reader = await readBlob(blob, blobs[blob]);
      expect(await reader.read(start, end)).toEqual(f);
    }
  });
});

describe('tampering by the store', () => {
  it('a blob of another set under this blob id: ContextMismatch', async () => {
    const foreign = await sealBlob(OTHER_SET, 0);
    await readBlob(0, foreign).then(
      () => expect.unreachable(),
      (e) => expectError(e, ContextMismatchError, /another file|context/),
    );
  });

  it('another blob of this set in its place (members swapped): ContextMismatch', async () => {
    await readBlob(0, blobs[1]).then(
      () => expect.unreachable(),
      (e) => expect(e).toBeInstanceOf(ContextMismatchError),
    );
  });

  it('another upload of the same blob (same set, id and bytes, another message): ContextMismatch naming the blob', async () => {
    const again = await sealBlob(SET, 0);
    await readBlob(0, again).then(
      () => expect.unreachable(),
      (e) => expectError(e, ContextMismatchError, `Blob 0 (${BLOB_IDS[0]})`),
    );
  });

  it('a blob cut or extended by whole frames: Truncated / TrailingData naming the blob', async () => {
    const header = parseCompleteHeader(blobs[1]);
    expect(() => checkBlob(manifest, 1, header, blobs[1].byteLength - (F + 32))).toThrow(TruncatedError);
    expect(() => checkBlob(manifest, 1, header, blobs[1].byteLength + 1)).toThrow(TrailingDataError);
    expect(() => checkBlob(manifest, 1, header, blobs[1].byteLength - 1)).toThrow(/Blob 1 \(BlobB+\) is 1 bytes shorter/);
  });

  it('a blob dropped from, or added to, the set: Corrupted naming it; the order the store lists them in does not matter', () => {
    const listed = manifest.blobs.map((b) => ({ id: b.id }));
    expect(matchListing(manifest, listed)).toEqual([0, 1]);
    expect(matchListing(manifest, [...listed].reverse())).toEqual([1, 0]);
    const dropped = () => matchListing(manifest, listed.slice(1));
    expect(dropped).toThrow(CorruptedError);
    expect(dropped).toThrow(`blob 0 (${BLOB_IDS[0]})`);
    const added = () => matchListing(manifest, [...listed, { id: 'ExtraExtraExtraExtraEx' }]);
    expect(added).toThrow(CorruptedError);
    expect(added).toThrow('ExtraExtraExtraExtraEx');
    expect(() => matchListing(manifest, [...listed, listed[0]])).toThrow(/twice/);
  });

  it('the manifest of another set, or a blob served as the manifest: ContextMismatch', async () => {
    const foreign = await sealManifest(key, OTHER_SET, manifest);
    await expect(openManifest(key, SET, foreign)).rejects.toBeInstanceOf(ContextMismatchError);
    await expect(openManifest(key, SET, blobs[0])).rejects.toBeInstanceOf(ContextMismatchError);
    await expect(openMessage(parseCompleteHeader(sealedManifest), key, blobContext(SET, BLOB_IDS[0]))).rejects.toBeInstanceOf(ContextMismatchError);
  });

  it('a manifest under another key: WrongKey; a flipped bit: Corrupted', async () => {
    const other = aesKeyring(await importWrappingKey(randomData(32)));
    await expect(openManifest(other, SET, sealedManifest)).rejects.toBeInstanceOf(WrongKeyError);
    const flipped = sealedManifest.slice();
    flipped[flipped.byteLength - 20] ^= 1;
    await expect(openManifest(key, SET, flipped)).rejects.toBeInstanceOf(CorruptedError);
  });

  it('a sealed manifest the uploader got wrong (members dropped, added, reordered, shifted, resized) names the field', async () => {
    const json = JSON.parse(new TextDecoder().decode(encodeManifest(manifest)));
    const tampered = async (edit: (j: typeof json) => void) => {
      const copy = structuredClone(json);
      edit(copy);
      const sealed = await encryptBytes(key, utf8(JSON.stringify(copy)), { context: manifestContext(SET) });
      return openManifest(key, SET, sealed).then(
        () => expect.unreachable(),
        (e: CorruptedError) => {
          expect(e).toBeInstanceOf(CorruptedError);
          return e.site.field;
        },
      );
    };
    expect(await tampered((j) => j.entries.splice(0, 1))).toBe('manifest.entries[0].offset');
    expect(await tampered((j) => j.entries.push({ ...j.entries[2], path: 'copy' }))).toBe('manifest.entries[4].offset');
    expect(await tampered((j) => j.entries.splice(0, 2, j.entries[1], j.entries[0]))).toBe('manifest.entries[0].offset');
    expect(await tampered((j) => (j.entries[0].offset = 1))).toBe('manifest.entries[0].offset');
    expect(await tampered((j) => (j.entries[2].size = 299))).toBe('manifest.blobs[1].size');
    expect(await tampered((j) => (j.blobs[0].size += 1))).toBe('manifest.blobs[0].size');
  });
});
