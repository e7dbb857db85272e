/**
 * What a renderer keeps after many small uploads, and whether a GC gives it back (README "Seen and
 * left (memory)" (c)): `npx tsx bench/small-files-memory.ts [count] [plain]` prints every renderer's
 * RSS before, at the peak, 5 s after, after a forced GC in the page and its workers, and after a
 * critical memory-pressure notification. Needs a built bench page (`npm run bench` builds it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Browser, heapUsage, Page } from './cdp.ts';
import { rendererPids, statusMiB } from './procs.ts';
import { Sink, serveBenchApp } from './sink.ts';
import { writeSmallFiles } from './small-files.ts';

const N = Number(process.argv[2] ?? 1000);
const plain = process.argv[3] === 'plain';
const dir = mkdtempSync(path.join(tmpdir(), 'small-probe-'));
const sink = await Sink.start(path.join(dir, 'sink'));
const app = await serveBenchApp(sink.storage());
const url = app.url;
const browser = Browser.launch();
const sessions = new Set<string>();
browser.on((method, params) => {
  if (method === 'Target.attachedToTarget') sessions.add(params.sessionId as string);
  if (method === 'Target.detachedFromTarget') sessions.delete(params.sessionId as string);
});
const page = await Page.open(browser, url);
await page.evaluate('bench.ready');
await page.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
await page.setInputFiles('#files', writeSmallFiles(path.join(dir, 'small'), N));
const rss = () =>
  rendererPids(browser.pid)
    .map((pid) => {
      const status = statusMiB(pid);
      return status ? `${pid}: rss ${status.VmRSS} anon ${status.RssAnon} hwm ${status.VmHWM}` : `${pid}: gone`;
    })
    .join(' | ');
const heaps = async () => {
  const out: string[] = [];
  for (const sid of [page.sessionId, ...sessions]) {
    const h = await heapUsage(browser, sid);
    out.push(`${sid === page.sessionId ? 'page' : 'worker'} heap ${Math.round(h.heap / 2 ** 20)} backing ${Math.round(h.backing / 2 ** 20)}`);
  }
  return out.join(', ');
};
console.log('before', rss());
const s = JSON.stringify({ frameLength: 512 * 1024, partSize: 16 * 2 ** 20, workers: 2, inFlight: 4 });
const peak = { v: 0 };
const timer = setInterval(() => {
  const m = /rss (\d+)/g;
  for (const x of rss().matchAll(m)) peak.v = Math.max(peak.v, Number(x[1]));
}, 100);
const r = await page.evaluate<{ ms: number }>(`bench.uploadMany(${plain}, ${s})`);
clearInterval(timer);
console.log(`uploaded ${N} in ${r.ms.toFixed(0)} ms, peak ${peak.v}`);
console.log('after', rss());
console.log('heaps', await heaps(), 'workers attached', sessions.size);
await new Promise((r) => setTimeout(r, 5000));
console.log('+5 s', rss());
for (const sid of [page.sessionId, ...sessions])
  await Promise.race([browser.send('HeapProfiler.collectGarbage', {}, sid).catch(() => undefined), new Promise((r) => setTimeout(r, 3000))]);
console.log('after GC', rss());
console.log('heaps', await heaps());
await browser.send('Memory.simulatePressureNotification', { level: 'critical' }, page.sessionId).catch((e) => console.log('pressure', e.message));
await new Promise((r) => setTimeout(r, 1000));
console.log('after pressure', rss());
await browser.close();
await app.close();
await sink.close();
// The input files and what the sink kept (store-speed-memory runs had left 54 GB in the temp dir).
rmSync(dir, { recursive: true, force: true });
process.exit(0);
