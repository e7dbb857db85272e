/**
 * Sets end to end in Node on the real server and store: many files (small ones packed, a big one
 * alone, an empty one, an empty folder) behind one link, listed and read back byte-exact; and a
 * blob swapped in the store is refused, naming it.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalS3 } from '../../../server/local-s3.ts';
import { s3Client } from '../../../server/s3-client.ts';
import { openDataObject } from '../../../src/download/data-object.ts';
import type { Sink } from '../../../src/download/downloader.ts';
import { BlobReader, downloadMember } from '../../../src/sets/members.ts';
import { blobLink, fetchSet, parseSetLink, unlockSet } from '../../../src/sets/open-set.ts';
import { type SetMember, uploadSet } from '../../../src/sets/upload-set.ts';
import { type Api, createApi } from '../../../src/transfer/api.ts';
import { directRunner } from '../../../src/transfer/parts.ts';
import { directFrameRunner } from '../../../src/transfer/ranges.ts';
import { startTestServer, type TestServer } from '../../support/test-server.ts';
import { randomData, sha256 } from '../helpers.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
let stack: TestServer;
let s3: LocalS3;
let api: Api;

beforeAll(async () => {
  stack = await startTestServer({ name: 'cipherdrop-sets-', listen: true });
  ({ s3 } = stack);
  api = createApi({ base: stack.base });
}, 60_000);

afterAll(() => stack?.stop());

class MemorySink implements Sink {
  chunks: Uint8Array[] = [];
  closed = false;
  async write(chunk: Uint8Array<ArrayBuffer>) {
    this.chunks.push(chunk.slice());
  }
  async close() {
    this.closed = true;
  }
  async abort() {}
}

const member = (p: string, bytes: Uint8Array<ArrayBuffer>): SetMember => ({
  blob: new Blob([bytes]),
  path: p,
  type: 'application/octet-stream',
  modified: 1_700_000_000_000,
});

async function open(linkPath: string) {
  const [pathname, hash] = [linkPath.slice(0, linkPath.indexOf('#')), linkPath.slice(linkPath.indexOf('#'))];
  const { id, secret } = parseSetLink(pathname, hash);
  return unlockSet(await fetchSet(api, id, secret), secret);
}

describe('sets, in Node on the real server', () => {
  it('many files, one link: small files packed, a big one alone, an empty one, an empty folder; each read back byte-exact', async () => {
    const files = [
      ...Array.from({ length: 40 }, (_, i) => member(`photos/2026/img-${i}.jpg`, randomData(3 * KiB + i))),
      member('video/big.mp4', randomData(5 * MiB + 5)),
      member('notes/empty.txt', randomData(0)),
      member('ünïcode name.txt', randomData(777)),
    ];
    const uploaded = await uploadSet(files, ['photos/empty-folder'], { api, runner: directRunner, expiresInSeconds: 3600 });
    expect(uploaded.linkPath).toMatch(/^\/s\/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{43}$/);

    const set = await open(uploaded.linkPath);
    // The 40 small files and the two tiny ones share one pack; the big one has its own blob.
    expect(set.manifest.blobs).toHaveLength(2);
    expect(set.manifest.entries.map((e) => e.path)).toEqual([...files.map((f) => f.path), 'photos/empty-folder/']);
    const readers = new Map<number, BlobReader>();
    for (const [i, entry] of set.manifest.entries.entries()) {
      if (entry.dir) continue;
      let reader = readers.get(entry.blob);
      if (!reader) {
        reader = new BlobReader(await openDataObject(blobLink(api, set, entry.blob), { api, runner: directFrameRunner }));
        readers.set(entry.blob, reader);
      }
      const sink = new MemorySink();
      await downloadMember(reader, entry.offset, entry.offset + entry.size, sink);
      expect(sink.closed).toBe(true);
      expect(sha256(Buffer.concat(sink.chunks)), entry.path).toBe(sha256(new Uint8Array(await files[i].blob.arrayBuffer())));
    }
  }, 120_000);

  it('a blob swapped for another set’s in the store is refused before any of its plaintext, naming the blob', async () => {
    const a = await uploadSet([member('a.txt', randomData(100))], [], { api, runner: directRunner });
    const b = await uploadSet([member('b.txt', randomData(100))], [], { api, runner: directRunner });
    const client = s3Client(s3.settings, s3.settings.endpoint);
    const keyOf = async (setId: string) => {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.settings.bucket, Prefix: 'cipherdrop/' }));
      return (listed.Contents ?? []).map((o) => o.Key as string).find((k) => k.includes(setId) && k.endsWith('/data')) as string;
    };
    const setA = await open(a.linkPath);
    const [keyA, keyB] = [await keyOf(a.id), await keyOf(b.id)];
    const bytesB = await (await client.send(new GetObjectCommand({ Bucket: s3.settings.bucket, Key: keyB }))).Body?.transformToByteArray();
    await client.send(new PutObjectCommand({ Bucket: s3.settings.bucket, Key: keyA, Body: bytesB }));
    await expect(openDataObject(blobLink(api, setA, 0), { api, runner: directFrameRunner })).rejects.toMatchObject({ code: 'ContextMismatch' });
  }, 60_000);
});

describe('a tampered frame in a pack', () => {
  it('fails the member it belongs to, not its neighbours in the same run', async () => {
    const KiB600 = 600 * KiB;
    const files = ['first.bin', 'second.bin', 'third.bin'].map((n) => member(n, randomData(KiB600)));
    const uploaded = await uploadSet(files, [], { api, runner: directRunner });
    const set = await open(uploaded.linkPath);
    expect(set.manifest.blobs).toHaveLength(1);
    // Flip a byte in the last frame (seq 4 of 512 KiB frames over 1 800 KiB): only third.bin's bytes are there.
    const client = s3Client(s3.settings, s3.settings.endpoint);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.settings.bucket, Prefix: 'cipherdrop/' }));
    const key = (listed.Contents ?? []).map((o) => o.Key as string).find((k) => k.includes(uploaded.id) && k.endsWith('/data')) as string;
    const bytes = Buffer.from(
      (await (await client.send(new GetObjectCommand({ Bucket: s3.settings.bucket, Key: key }))).Body?.transformToByteArray()) as Uint8Array,
    );
    bytes[bytes.length - 100] ^= 1;
    await client.send(new PutObjectCommand({ Bucket: s3.settings.bucket, Key: key, Body: bytes }));

    const reader = new BlobReader(await openDataObject(blobLink(api, set, 0), { api, runner: directFrameRunner }));
    const read = async (i: number) => {
      const entry = set.manifest.entries[i];
      if (entry.dir) throw new Error('a file');
      const sink = new MemorySink();
      await downloadMember(reader, entry.offset, entry.offset + entry.size, sink);
      return sha256(Buffer.concat(sink.chunks));
    };
    expect(await read(0)).toBe(sha256(new Uint8Array(await files[0].blob.arrayBuffer())));
    expect(await read(1)).toBe(sha256(new Uint8Array(await files[1].blob.arrayBuffer())));
    await expect(read(2)).rejects.toMatchObject({ code: 'Corrupted' });
  }, 60_000);
});
