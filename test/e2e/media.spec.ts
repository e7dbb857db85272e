/**
 * A video streams into the page through the service worker: it plays, and seeking to the middle
 * fetches only the frames around the middle (asserted from the requests the store received).
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeVideo } from '../support/video.ts';
import { DownloadPage, expect, test } from './fixtures.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-media-'));

/** [start, end] byte ranges of GETs of the data object of `id`, from the recording proxy in front of S3. */
function dataRanges(records: { method: string; url: string; headers: Record<string, unknown> }[], id: string): [number, number][] {
  return records
    .filter((r) => r.method === 'GET' && r.url.includes(`/${id}/data`))
    .map((r) => {
      const match = /bytes=(\d+)-(\d+)/.exec(String(r.headers.range));
      if (!match) throw new Error(`a data GET without a bounded range: ${r.headers.range}`);
      return [Number(match[1]), Number(match[2])];
    });
}

const file = path.join(dir, 'noise.webm');

/**
 * Resolves once the store has seen no new request for `quietMs` (a paused element's read-ahead has
 * stopped), or after `limitMs` at most: the test's margin then still covers a read in flight.
 */
async function quiet(records: unknown[], quietMs = 1500, limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs;
  for (let seen = -1; seen !== records.length && Date.now() < until; ) {
    seen = records.length;
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
}

test.beforeAll(async ({ browser, stack }) => {
  await makeVideo(browser, stack.appUrl, file, { seconds: 40, fps: 10, width: 320, height: 240, bitrate: 5_000_000 });
});

/** Seeks the element and resolves with the time it reached; rejects on a media error. */
function seek(v: HTMLVideoElement, to: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
    v.addEventListener('error', () => reject(new Error(`media error ${v.error?.code}`)), { once: true });
    v.currentTime = to;
  });
}

test('a video plays from the encrypted store, and a seek fetches only the frames it needs', async ({ browser, uploadPage, stack }) => {
  test.setTimeout(180_000);
  const size = statSync(file).size;
  expect(size).toBeGreaterThan(12 * 1024 * 1024); // big enough that "only the middle" means something
  const { link, id } = await uploadPage.share(file);

  const context = await browser.newContext();
  const viewer = new DownloadPage(await context.newPage());
  await viewer.open(link);
  await viewer.page.getByRole('button', { name: 'Preview' }).click();
  const video = viewer.page.getByLabel('Preview of noise.webm');
  await expect(video).toBeVisible();
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  const duration = await video.evaluate((v: HTMLVideoElement) => v.duration);
  expect(duration).toBeCloseTo(40, 0);
  expect(await video.evaluate((v: HTMLVideoElement) => v.src)).toMatch(/\/_media\//);

  // How far the opening read ahead from the start (Chromium buffers several MiB; on a fast store,
  // more), once it has stopped: on a slow machine it was still reading when the seek came (a 1 MiB
  // piece past the margin below). It also reads the tail, where WebM keeps its cues: those reads do
  // not count here.
  await quiet(stack.s3Proxy.records);
  const before = stack.s3Proxy.records.length;
  const opening = dataRanges(stack.s3Proxy.records.slice(0, before), id).filter(([start]) => start < size / 2);
  const openedTo = Math.max(...opening.map(([, end]) => end));
  const seekedAt = await video.evaluate(seek, duration / 2);
  expect(seekedAt).toBeCloseTo(duration / 2, 0);
  const afterSeek = dataRanges(stack.s3Proxy.records.slice(before), id);
  expect(afterSeek.length).toBeGreaterThan(0);
  // The noise makes bytes proportional to time: the middle of the film is near the middle of the object.
  const ciphertext = size; // within headers and tags, which are < 1 % here
  // (The opening's stream may still read a little ahead; the seek itself reads from the middle.)
  const middle = afterSeek.filter(([start]) => start > 0.4 * ciphertext && start < 0.6 * ciphertext).map(([start]) => start);
  expect(middle.length).toBeGreaterThan(0);
  const seekFrom = Math.min(...middle);

  // It plays on from there.
  await video.evaluate((v: HTMLVideoElement) => {
    v.muted = true;
    return v.play();
  });
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 30_000 }).toBeGreaterThan(seekedAt + 1);

  // Across the whole visit, the stretch between what the opening read and where the seek began was
  // never fetched. The margin covers an opening read still in flight when the seek came: two 1 MiB
  // pieces of plaintext, in ciphertext offsets (each piece's frames add their headers and tags: the
  // CI run of 2026-12-02 fetched 128 bytes past a plain 2 MiB margin); the stretch must be a real gap
  // for the test to mean anything.
  const fetched = dataRanges(stack.s3Proxy.records, id);
  const skipped: [number, number] = [openedTo + 2 * 1024 * 1024 + 64 * 1024, seekFrom - 1];
  expect(skipped[1] - skipped[0], `opening read to ${openedTo}, seek began at ${seekFrom}`).toBeGreaterThan(1024 * 1024);
  for (const [start, end] of fetched) expect(end < skipped[0] || start > skipped[1], `range ${start}-${end} overlaps ${skipped}`).toBe(true);
  await expect(viewer.alert()).toHaveCount(0);
  await context.close();
});

test('a tampered frame in the middle of a video stops playback with the corruption named', async ({ browser, uploadPage, stack }) => {
  test.setTimeout(180_000);
  const { link, id } = await uploadPage.share(file);
  const stored = await stack.getObject(id, 'data');
  const middle = Math.floor(stored.length / 2);
  stored[middle] ^= 0x01;
  await stack.putObject(id, 'data', stored);

  const context = await browser.newContext();
  const viewer = new DownloadPage(await context.newPage());
  await viewer.open(link);
  await viewer.page.getByRole('button', { name: 'Preview' }).click();
  const video = viewer.page.getByLabel('Preview of noise.webm');
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  await video.evaluate((v: HTMLVideoElement) => {
    v.currentTime = 20;
  });
  await expect(viewer.alert()).toHaveText(/^The file is damaged or was tampered with: corrupted at frame \d+\. Nothing was saved\.$/);
  // The damaged frame never reached the element: the page replaced the preview with the error.
  await expect(viewer.page.locator('video')).toHaveCount(0);
  await context.close();
});
