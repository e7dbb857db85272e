/**
 * Service-worker downloads that last: Firefox stops a service worker ~30 s after its last event
 * unless a client keeps messaging it (StreamSaver.js issue 366), and the download then ends early.
 * The store-side proxy trickles every ranged GET (128 KiB/s), so the page's worker waits minutes for
 * each 16 MiB range and the service worker's stream carries nothing meanwhile.
 */
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sha256File, writeRandomFile } from '../support/files.ts';
import { finishedFiles } from './downloads.ts';
import { waitFor } from './engine.ts';
import { DownloadPage, expect, test } from './fixtures.ts';

const MiB = 1024 * 1024;
const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-browsers-long-'));
const isRangeGet = (method: string, url: string) => method === 'GET' && url.includes('/data') && url.includes('X-Amz-Signature');

test('a service-worker download that takes over 90 s arrives byte-exact', async ({ engine, uploadPage, newTab, stack }) => {
  test.skip(engine !== 'firefox', 'the trap is Firefox’s service-worker lifetime; two minutes per engine is kept for the one that has it');
  test.setTimeout(6 * 60_000);
  const size = 16 * MiB + 4 * MiB + 5;
  const name = `long-${Date.now()}.bin`;
  const file = path.join(dir, name);
  const sha = await writeRandomFile(file, size);
  const { link } = await uploadPage.share(file);
  await uploadPage.tab.close();

  stack.s3Proxy.setFaults(({ method, url }) => (isRangeGet(method, url) ? 'trickle' : null));
  try {
    const viewer = new DownloadPage(await newTab());
    await viewer.open(link);
    await viewer.fileName();
    const started = Date.now();
    const saved = await viewer.download(size, 5 * 60_000);
    const seconds = (Date.now() - started) / 1000;
    expect(seconds).toBeGreaterThan(90);
    expect(statSync(saved.path).size).toBe(size);
    expect(await sha256File(saved.path)).toBe(sha);
    await viewer.expectText('status', undefined, 'Downloaded and verified.');
    test.info().annotations.push({ type: 'duration', description: `${seconds.toFixed(0)} s` });
  } finally {
    stack.s3Proxy.setFaults(null);
  }
});

test('a download cut mid-way (the page left) never leaves a complete-looking file', async ({ engine, browserEngine, uploadPage, newTab, stack }) => {
  test.skip(!browserEngine.downloads, 'Chromium (Playwright) reports a failed download itself: test/e2e/save.spec.ts');
  // WebKitGTK writes into the final name and keeps what it had whatever the page does: with the
  // page's pagehide abort removed this test passed there all the same (2026-12-02), so it could
  // not fail. What WebKitGTK leaves is stated in the README instead.
  test.skip(engine === 'webkit', 'WebKitGTK leaves a short file under the final name whatever the page does: nothing here can fail');
  const downloads = browserEngine.downloads as string;
  const size = 16 * MiB + 4 * MiB + 5;
  const name = `cut-${Date.now()}.bin`;
  const file = path.join(dir, name);
  await writeRandomFile(file, size);
  const { link } = await uploadPage.share(file);
  await uploadPage.tab.close();

  // The header read and the first 16 MiB range come at full speed, the second range trickles:
  // the cut is mid-way.
  const startOf = (range: unknown) => Number(/bytes=(\d+)-/.exec(String(range))?.[1] ?? 0);
  stack.s3Proxy.setFaults(({ method, url, headers }) => (isRangeGet(method, url) && startOf(headers.range) > 8 * MiB ? 'trickle' : null));
  try {
    const viewer = new DownloadPage(await newTab());
    await viewer.open(link);
    await viewer.fileName();
    const before = new Set(readdirSync(downloads));
    await viewer.click('button', 'Download');
    const written = () => readdirSync(downloads).reduce((sum, n) => sum + (before.has(n) ? 0 : statSync(path.join(downloads, n)).size), 0);
    await waitFor(async () => (written() >= 8 * MiB ? true : undefined), 120_000, 'the first range to be written').catch(async (error: Error) => {
      throw new Error(`${error.message}: ${written()} bytes; the page says ${await viewer.alert()}`);
    });
    // Leaving the page mid-way; then longer than Firefox keeps an idle service worker (~30 s),
    // whose stop would otherwise end the download as if it were complete.
    await viewer.tab.goto('about:blank');
    await new Promise((resolve) => setTimeout(resolve, 40_000));
    const left = readdirSync(downloads)
      .filter((n) => !before.has(n))
      .map((n) => ({ n, bytes: statSync(path.join(downloads, n)).size }));
    test.info().annotations.push({ type: 'left behind', description: JSON.stringify(left) });
    expect(left.every(({ bytes }) => bytes < size)).toBe(true);
    // Firefox keeps its temporary file beside a cut download: nothing looks finished. Without the
    // page's pagehide abort Firefox stopped the idle service worker and finished the short file
    // under its final name (checked 2026-12-02: this line failed).
    expect(finishedFiles(downloads, before)).toEqual([]);
  } finally {
    stack.s3Proxy.setFaults(null);
  }
});
