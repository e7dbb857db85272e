import { createReadStream, createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { aesKeyring, decryptRange, importWrappingKey, objectContext, WrongKeyError } from '../../../src/index.ts';
import { decryptFile, encryptFile, fileRandomAccess } from '../../../src/node/files.ts';
import { nodeDecryptStream, nodeEncryptStream } from '../../../src/node/streams.ts';
import { randomData } from '../helpers.ts';

const context = objectContext('NodeNodeNodeNodeNodeNo', 'data');

describe('Node adapters', () => {
  it('pipeline() through the Node duplexes round-trips a file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cd-node-'));
    const plain = randomData(3 * 512 * 1024 + 11);
    writeFileSync(path.join(dir, 'in'), plain);
    const key = aesKeyring(await importWrappingKey(randomData(32)));
    await pipeline(createReadStream(path.join(dir, 'in')), nodeEncryptStream(key, { context }), createWriteStream(path.join(dir, 'enc')));
    await pipeline(createReadStream(path.join(dir, 'enc')), nodeDecryptStream(key, { context }), createWriteStream(path.join(dir, 'out')));
    expect(Buffer.compare(readFileSync(path.join(dir, 'out')), plain)).toBe(0);
  });

  it('encryptFile/decryptFile stream through partial files, and random access reads a file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cd-node-'));
    const plain = randomData(2 * 1024 * 1024 + 5);
    writeFileSync(path.join(dir, 'in'), plain);
    const key = aesKeyring(await importWrappingKey(randomData(32)));
    await encryptFile(path.join(dir, 'in'), path.join(dir, 'enc'), key, { context });
    await decryptFile(path.join(dir, 'enc'), path.join(dir, 'out'), key, { context });
    expect(Buffer.compare(readFileSync(path.join(dir, 'out')), plain)).toBe(0);
    const source = await fileRandomAccess(path.join(dir, 'enc'));
    expect(Buffer.compare(await decryptRange(source, key, context, 1_000_000, 1_500_000), plain.subarray(1_000_000, 1_500_000))).toBe(0);
    await source.close();
    const other = aesKeyring(await importWrappingKey(randomData(32)));
    await expect(decryptFile(path.join(dir, 'enc'), path.join(dir, 'bad'), other, { context })).rejects.toBeInstanceOf(WrongKeyError);
    expect(() => readFileSync(path.join(dir, 'bad'))).toThrow();
    expect(() => readFileSync(path.join(dir, 'bad.cipherdrop-partial'))).toThrow();
  });
});
