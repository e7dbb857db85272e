/**
 * Media seek in every engine: a video streams from the encrypted store through the service worker
 * (206 answers to the element's Range requests), and a seek to the middle fetches from the middle.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../playwright.config.ts';
import { makeVideo } from '../support/video.ts';
import { DownloadPage, expect, test } from './fixtures.ts';

const file = path.join(mkdtempSync(path.join(tmpdir(), 'cipherdrop-browsers-media-')), 'noise.webm');
const SECONDS = 20;

test.beforeAll(async ({ stack }) => {
  // Made once by Chromium's WebCodecs (the others lack a VP8 encoder here); played by every engine.
  const maker = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    await makeVideo(maker, stack.appUrl, file, { seconds: SECONDS, fps: 10, width: 320, height: 240, bitrate: 4_000_000 });
  } finally {
    await maker.close();
  }
});

/** [start, end] of the ranged GETs of the data object of `id`, as the store-side proxy saw them. */
const dataRanges = (records: { method: string; url: string; headers: Record<string, unknown> }[], id: string): [number, number][] =>
  records
    .filter((r) => r.method === 'GET' && r.url.includes(`/${id}/data`))
    .map((r) => (/bytes=(\d+)-(\d+)/.exec(String(r.headers.range)) ?? [0, 0, 0]).slice(1).map(Number) as [number, number]);

test('a video plays from the encrypted store, and a seek to the middle fetches from the middle', async ({ uploadPage, newTab, stack }) => {
  const size = statSync(file).size;
  const { link, id } = await uploadPage.share(file);
  await uploadPage.tab.close();

  const viewer = new DownloadPage(await newTab());
  await viewer.open(link);
  await viewer.fileName();
  await viewer.click('button', 'Preview');
  const label = 'Preview of noise.webm';
  const duration = await viewer.until<number>(
    'the video to load its metadata',
    `(q, label) => { const v = q.get('video', label); return v && v.readyState >= 1 ? v.duration : null; }`,
    [label],
  );
  expect(duration).toBeCloseTo(SECONDS, 0);
  expect(await viewer.dom<string>(`(q, label) => q.get('video', label).src`, label)).toMatch(/\/_media\//);

  const before = stack.s3Proxy.records.length;
  const seeked = await viewer.dom<number | string>(
    `(q, label, to) => new Promise((resolve) => {
      const v = q.get('video', label);
      v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
      v.addEventListener('error', () => resolve('media error ' + (v.error && v.error.code)), { once: true });
      v.currentTime = to;
    })`,
    label,
    duration / 2,
  );
  expect(seeked).toBeCloseTo(duration / 2, 0);
  const afterSeek = dataRanges(stack.s3Proxy.records.slice(before), id);
  // Noise makes bytes proportional to time: the seek read from near the middle of the object.
  expect(
    afterSeek.some(([start]) => start > 0.35 * size && start < 0.65 * size),
    JSON.stringify(afterSeek),
  ).toBe(true);
  expect(await viewer.alert()).toBeNull();
});
