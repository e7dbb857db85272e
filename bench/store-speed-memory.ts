/**
 * Does a slower store raise the page's memory? `npx tsx bench/store-speed-memory.ts [MB/s | off]
 * [MiB] [uploads] [--controlled]` uploads one encrypted file (1 GiB by default) from a fresh page to the benchmark's sink,
 * each part's body read no faster than the given MB/s (Sink `partMBps`; 4 parts in flight), then
 * downloads and decrypts it (counted, not saved), and prints for each the highest renderer RSS and, when it was reached, the V8 heap + ArrayBuffer backing
 * stores of each of the page's workers (MiB). `--controlled`: the page is first put under the
 * service worker's control, as a download page is (registered at `/` and claimed), so its workers'
 * requests pass the worker's fetch event (README "Where the CPU goes", Memory (6)). Needs a built
 * bench page (`npm run bench` builds it).
 */
import { randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Browser, heapUsage, Page } from './cdp.ts';
import { rendererPids, statusMiB } from './procs.ts';
import { Sink, serveBenchApp } from './sink.ts';

const MiB = 2 ** 20;
const mbps = process.argv[2] === 'off' ? null : Number(process.argv[2] ?? 40);
const size = Number(process.argv[3] ?? 1024) * MiB;
/** Uploads one after another in the same page, each peak apart: a page's first upload against its later ones. */
const uploads = Number(process.argv[4] ?? 1);
const controlled = process.argv.includes('--controlled');
const dir = mkdtempSync(path.join(tmpdir(), 'slow-'));
const file = path.join(dir, 'in.bin');
const out = createWriteStream(file);
for (let at = 0; at < size; at += MiB) if (!out.write(randomFillSync(Buffer.alloc(MiB)))) await once(out, 'drain');
out.end();
await once(out, 'finish');
const sink = await Sink.start(path.join(dir, 'sink'));
sink.partMBps = mbps;
// Kept on disk: each upload is downloaded after it.
sink.keep = true;
const app = await serveBenchApp(sink.storage());
const browser = Browser.launch();
const sessions = new Set<string>();
browser.on((m, p) => {
  if (m === 'Target.attachedToTarget') sessions.add(p.sessionId as string);
  if (m === 'Target.detachedFromTarget') sessions.delete(p.sessionId as string);
});
const page = await Page.open(browser, app.url);
await page.evaluate('bench.ready');
await page.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
if (controlled) {
  await page.evaluate(`navigator.serviceWorker.register('/sw.js', { scope: '/' }).then(() => navigator.serviceWorker.controller ||
    new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true })))`);
}
console.log(`page controlled by the service worker: ${await page.evaluate('Boolean(navigator.serviceWorker.controller)')}`);
await page.setInputFile('#file', file);
const status = (pid: number) => {
  const mib = statusMiB(pid);
  return { rss: mib?.VmRSS ?? 0, anon: mib?.RssAnon ?? 0 };
};
const settings = JSON.stringify({ frameLength: 512 * 1024, partSize: 16 * MiB, workers: 2, inFlight: 4 });
/** Runs one page expression, sampling the renderers every 100 ms: its result and the peak seen. */
async function measured<T>(expression: string): Promise<{ result: T; peak: string }> {
  let peak = { rss: 0, anon: 0, pid: 0 };
  let js = '';
  let sampling = false;
  const timer = setInterval(async () => {
    for (const pid of rendererPids(browser.pid)) {
      const s = status(pid);
      if (s.rss > peak.rss) {
        peak = { ...s, pid };
        if (!sampling) {
          sampling = true;
          const parts: string[] = [];
          for (const sid of sessions) {
            const h = await heapUsage(browser, sid, 500);
            parts.push(`${Math.round(h.heap / MiB)}+${Math.round(h.backing / MiB)}`);
          }
          js = `at rss ${s.rss}: heap+backing per worker ${parts.join(', ')}`;
          sampling = false;
        }
      }
    }
  }, 100);
  const result = await page.evaluate<T>(expression);
  clearInterval(timer);
  return { result, peak: `renderer peak ${peak.rss} MiB (anon ${peak.anon}); ${js}` };
}
for (let upload = 1; upload <= uploads; upload++) {
  const up = await measured<{ ms: number; bytes: number; linkPath: string }>(`bench.upload(false, ${settings})`);
  console.log(`upload ${upload}, store ${mbps ?? 'unthrottled'} MB/s per part: ${(up.result.bytes / up.result.ms / 1000).toFixed(0)} MB/s, ${up.peak}`);
  const down = await measured<{ ms: number; bytes: number }>(`bench.downloadDecrypt(${JSON.stringify(up.result.linkPath)}, false, ${settings})`);
  console.log(`download ${upload} (counted): ${(down.result.bytes / down.result.ms / 1000).toFixed(0)} MB/s, ${down.peak}`);
}
await browser.close();
await app.close();
await sink.close();
// The input files and what the sink kept (store-speed-memory runs had left 54 GB in the temp dir).
rmSync(dir, { recursive: true, force: true });
process.exit(0);
