/** The one MD5 (hash-wasm) for S3's transmission checks, against Node's own. */
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { toBase64 } from '../../../src/crypto/bytes.ts';
import { md5 } from '../../../src/crypto/md5.ts';
import { customerKey, customerKeyHeaders } from '../../../src/crypto/sse-c.ts';
import { partDigest } from '../../../src/transfer/checksum.ts';

const nodeMd5 = (b: Uint8Array) => createHash('md5').update(b).digest('base64');

it('agrees with Node for empty, short and long inputs, and in both of its uses', async () => {
  for (const size of [0, 1, 55, 56, 64, 1 << 20]) {
    const bytes = new Uint8Array(size).map((_, i) => (i * 31) & 255);
    expect(toBase64(await md5(bytes))).toBe(nodeMd5(bytes));
    expect(await partDigest('md5', bytes)).toBe(nodeMd5(bytes));
  }
  const secret = new Uint8Array(32).fill(7);
  const headers = await customerKeyHeaders(secret);
  expect(headers['x-amz-server-side-encryption-customer-key-md5']).toBe(nodeMd5(await customerKey(secret)));
});
