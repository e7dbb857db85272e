/**
 * Soak and load through the real page. Edge sizes (0 B, 1 B, frame ± 1, part ± 1, exactly 5 MiB)
 * and 50 seeded random sizes up to 200 MiB (log-uniform, ~1 GiB in all), uploaded several at a
 * time: every download's hash matches, and afterwards the bucket holds exactly two objects per
 * file and no unfinished multipart upload. Then 20 uploads at once from four browser contexts
 * while a load generator hammers the presign API: no 5xx and no connection errors, and the
 * server's memory is reported before and after.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import autocannon from 'autocannon';
import { openAccess, openLimits } from '../../server/config.ts';
import { DEFAULT_FRAME_LENGTH } from '../../src/crypto/format.ts';
import { openDataObject } from '../../src/download/data-object.ts';
import { downloadTo, openLink, parseLink } from '../../src/download/downloader.ts';
import { MemorySink } from '../../src/download/preview.ts';
import { DEFAULT_PART_PLAINTEXT } from '../../src/layout.ts';
import { createApi } from '../../src/transfer/api.ts';
import { directFrameRunner } from '../../src/transfer/ranges.ts';
import { sha256File, writeRandomFile } from '../support/files.ts';
import { PREFIX, type Stack, startStack } from '../support/stack.ts';
import { DownloadPage, expect, test } from './fixtures.ts';
import { UploadPage } from './pages.ts';

const MiB = 1024 * 1024;
const F = DEFAULT_FRAME_LENGTH;
const P = DEFAULT_PART_PLAINTEXT;

/** Deterministic sizes: the same "random" 50 on every run (mulberry32). */
function seededSizes(count: number, max: number, seed: number): number[] {
  let a = seed;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => Math.floor(Math.exp(Math.log(1024) + random() * (Math.log(max) - Math.log(1024)))));
}

async function objectsUnderPrefix(stack: Stack): Promise<string[]> {
  const keys: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: PREFIX, ContinuationToken }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key as string));
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return keys;
}

test('edge sizes and 50 random sizes up to 200 MiB round-trip, and the bucket holds exactly what it should', async ({ browser }) => {
  // About a minute here (≈1 GiB up and down); the limit only stops a hang from eating CI's time.
  test.setTimeout(10 * 60_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-soak-'));
  const stack = await startStack();
  try {
    const edges = [0, 1, F - 1, F, F + 1, P - 1, P, P + 1, 5 * MiB];
    const sizes = [...edges, ...seededSizes(50, 200 * MiB, 20261123)];
    const files: { file: string; name: string; hash: string }[] = [];
    for (const [i, size] of sizes.entries()) {
      const name = `soak-${String(i).padStart(2, '0')}-${size}.bin`;
      const file = path.join(dir, name);
      files.push({ file, name, hash: await writeRandomFile(file, size).then(() => sha256File(file)) });
    }
    test.info().annotations.push({ type: 'sizes', description: `${sizes.length} files, ${(sizes.reduce((a, b) => a + b, 0) / MiB).toFixed(0)} MiB in all` });

    const context = await browser.newContext({ acceptDownloads: true });
    const uploader = new UploadPage(await context.newPage(), stack.appUrl);
    const links: string[] = [];
    for (let i = 0; i < files.length; i += 6) {
      const batch = files.slice(i, i + 6);
      await uploader.goto();
      await uploader.choose(...batch.map((f) => f.file));
      for (const f of batch) links.push(await uploader.shareLink(f.name));
    }
    const viewer = new DownloadPage(await context.newPage());
    for (const [i, f] of files.entries()) {
      await viewer.open(links[i]);
      const download = await viewer.download();
      expect(await sha256File(await download.path()), f.name).toBe(f.hash);
      await download.delete();
    }
    await context.close();

    expect((await objectsUnderPrefix(stack)).length).toBe(2 * files.length);
    if (stack.backend === 'external') {
      const uploads = await stack.s3.send(new ListMultipartUploadsCommand({ Bucket: stack.bucket }));
      expect(uploads.Uploads ?? []).toEqual([]);
    }
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('20 uploads at once from four browsers while a load generator hammers the API: no errors, flat server memory', async ({ browser }) => {
  test.setTimeout(8 * 60_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-load-'));
  // Everything here comes from 127.0.0.1, so one per-client limit covers browsers and load alike:
  // the load stays under it (the limit's own 429s are tested in test/unit/api-contract.test.ts).
  const stack = await startStack({ access: openAccess(), limits: openLimits({ rateLimitPerMinute: 6000 }) });
  try {
    const files: { file: string; name: string; hash: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const name = `load-${i}.bin`;
      const file = path.join(dir, name);
      await writeRandomFile(file, 3 * MiB + i * 65_537);
      files.push({ file, name, hash: await sha256File(file) });
    }
    const rssBefore = process.memoryUsage().rss;
    const hammer = autocannon({
      url: `${stack.appUrl}/api/files/AAAAAAAAAAAAAAAAAAAAAA`,
      connections: 8,
      amount: 3000,
      timeout: 20,
    });
    const contexts = await Promise.all([0, 1, 2, 3].map(() => browser.newContext()));
    const links = await Promise.all(
      contexts.map(async (context, c) => {
        const uploader = new UploadPage(await context.newPage(), stack.appUrl);
        const mine = files.slice(c * 5, c * 5 + 5);
        await uploader.goto();
        await uploader.choose(...mine.map((f) => f.file));
        return Promise.all(mine.map((f) => uploader.shareLink(f.name)));
      }),
    );
    const load = await hammer;
    const rssAfter = process.memoryUsage().rss;
    test.info().annotations.push({
      type: 'load',
      description: `${load.requests.total} API requests: ${load['2xx']} 2xx, ${load['4xx']} 4xx (404 for the unknown id, 429 over the limit), ${load['5xx']} 5xx, ${load.errors} errors; test-process RSS ${(rssBefore / MiB).toFixed(0)} → ${(rssAfter / MiB).toFixed(0)} MiB`,
    });
    expect(load.errors).toBe(0);
    expect(load['5xx']).toBe(0);
    expect(load.non2xx).toBe(load['4xx']); // 404s for the unknown id, 429s only if over the limit
    expect(links.flat()).toHaveLength(20);
    // The app runs in this test process: its growth bounds the server's.
    expect(rssAfter - rssBefore).toBeLessThan(256 * MiB);

    await Promise.all(contexts.map((c) => c.close()));
    // Each link opens and decrypts to the original (the page's own download code, run in Node).
    const api = createApi({ base: stack.appUrl });
    for (const [i, link] of links.flat().entries()) {
      const url = new URL(link);
      const { id, secret } = parseLink(url.pathname, url.hash);
      const opened = await openLink(api, id, secret);
      const sink = new MemorySink('application/octet-stream');
      await downloadTo(await openDataObject(opened, { api, runner: directFrameRunner }), sink);
      const bytes = Buffer.from(await (sink.blob as Blob).arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(files[i].hash);
    }
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
