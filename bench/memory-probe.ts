/**
 * Issue 15, item 3: what holds the renderer's memory? `npx tsx bench/memory-probe.ts [--rounds 2]
 * [--purge] [--cases a,b]`. Runs the benchmark's 1 GiB cases in its order (bench/run.ts) and
 * samples every renderer process every 100 ms: VmRSS and /proc/<pid>/smaps_rollup (anonymous vs
 * file-backed / shared). Which renderer is which target is found by making each target busy for
 * 400 ms and seeing whose CPU moves. After each case: V8 heap and ArrayBuffer backing stores
 * (Runtime.getHeapUsage) of the page, the service worker and the live pool workers (attached with
 * Target.setAutoAttach; never the Network domain). With --purge, after each case: a GC in every
 * target, then a critical memory-pressure notification (PartitionAlloc purges its free memory),
 * each followed by a sample, to split the memory into garbage, allocator-retained and live.
 */
import { randomFillSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Browser, heapUsage, Page } from './cdp.ts';
import { rendererPids } from './procs.ts';
import { Sink, serveBenchApp } from './sink.ts';

const MiB = 1024 * 1024;
const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    purge: { type: 'boolean', default: false },
    cases: { type: 'string' },
    out: { type: 'string' },
    size: { type: 'string', default: '1024' },
    'no-build': { type: 'boolean', default: false },
  },
});
const SIZE = Number(opts.size) * MiB;
const settings = { frameLength: 512 * 1024, partSize: 16 * MiB, workers: 2, inFlight: 4 };
const s = JSON.stringify(settings);
const lines: string[] = [];
const log = (line: string) => {
  console.error(line);
  lines.push(line);
};

let browserPid = 0;
/** The renderer processes of this probe's browser. */
const renderers = () => rendererPids(browserPid);
function rollup(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const m of readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').matchAll(/^(\w+):\s+(\d+) kB/gm)) out[m[1]] = Math.round(Number(m[2]) / 1024);
  } catch {}
  return out;
}
function ticks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}
/** The anonymous mappings of `pid` holding the most memory: size, resident, name (PartitionAlloc's pools are large reservations; V8's are 256 KiB pages). */
function topMappings(pid: number, n = 8): string {
  let text = '';
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return '';
  }
  const maps: { head: string; size: number; rss: number; anon: number }[] = [];
  let cur: { head: string; size: number; rss: number; anon: number } | undefined;
  for (const line of text.split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      cur = { head: line.split(/\s+/).slice(5).join(' ') || '[anon]', size: 0, rss: 0, anon: 0 };
      maps.push(cur);
    } else if (cur) {
      const m = /^(Size|Rss|Anonymous):\s+(\d+) kB/.exec(line);
      if (m) cur[m[1] === 'Size' ? 'size' : m[1] === 'Rss' ? 'rss' : 'anon'] = Number(m[2]);
    }
  }
  const bySize = new Map<string, { count: number; rss: number }>();
  for (const m of maps) {
    if (m.anon === 0) continue;
    const key = `${m.head} ${m.size >= 1 << 20 ? `${Math.round(m.size / (1 << 20))}G` : `${Math.round(m.size / 1024)}M`}`;
    const g = bySize.get(key) ?? { count: 0, rss: 0 };
    g.count++;
    g.rss += m.anon;
    bySize.set(key, g);
  }
  return [...bySize].sort((a, b) => b[1].rss - a[1].rss).slice(0, n).map(([k, g]) => `${k} ×${g.count}: ${Math.round(g.rss / 1024)}`).join(', ');
}
const brief = (r: Record<string, number>) => `rss ${r.Rss} anon ${r.Anonymous} file ${(r.Rss ?? 0) - (r.Anonymous ?? 0) - (r.Shmem ?? 0)} shmem ${r.Shmem ?? 0}`;

async function randomFile(file: string, size: number): Promise<void> {
  const out = createWriteStream(file);
  for (let at = 0; at < size; at += MiB) if (!out.write(randomFillSync(Buffer.alloc(MiB)))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

async function main() {
  if (!opts['no-build']) spawnSync('npx', ['vite', 'build', '--config', 'bench/vite.config.ts', '--logLevel', 'error'], { stdio: 'inherit' });
  const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-memprobe-'));
  const downloads = path.join(dir, 'downloads');
  mkdirSync(downloads);
  const file = path.join(dir, 'input.bin');
  await randomFile(file, SIZE);
  const sink = await Sink.start(path.join(dir, 'sink'));
  sink.addFileObject('plain/data', file);
  const app = await serveBenchApp(sink.storage());
  const md5App = await serveBenchApp(sink.storage('md5'));
  const browser = Browser.launch();
  browserPid = browser.pid;
  await browser.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads, eventsEnabled: true });

  // Every target's session, by kind: pages, the service worker, pool workers (auto-attached).
  const sessions = new Map<string, { type: string; url: string; title: string }>();
  browser.on((method, params) => {
    if (method === 'Target.attachedToTarget') {
      const info = params.targetInfo as { type: string; url: string; title: string };
      sessions.set(params.sessionId as string, info);
      void browser.send('Runtime.runIfWaitingForDebugger', {}, params.sessionId as string).catch(() => undefined);
    }
    if (method === 'Target.detachedFromTarget') sessions.delete(params.sessionId as string);
  });

  const page = await Page.open(browser, app.url);
  await page.evaluate('bench.ready');
  await page.setInputFile('#file', file);
  const md5Page = await Page.open(browser, md5App.url);
  await md5Page.evaluate('bench.ready');
  await md5Page.setInputFile('#file', file);
  for (const p of [page, md5Page]) await p.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
  const { targetInfos } = (await browser.send('Target.getTargets')) as { targetInfos: { targetId: string; type: string; url: string }[] };
  for (const t of targetInfos.filter((t) => t.type === 'service_worker')) await browser.send('Target.attachToTarget', { targetId: t.targetId, flatten: true });

  // Which renderer process is which target: busy each for 400 ms, see whose CPU moves.
  const busy = '(() => { const t = performance.now(); while (performance.now() - t < 400); return 1; })()';
  const who = new Map<number, string[]>();
  const targets: [string, (e: string) => Promise<unknown>][] = [
    ['page', (e) => page.evaluate(e)],
    ['md5 page', (e) => md5Page.evaluate(e)],
    ...[...sessions].filter(([, i]) => i.type === 'service_worker').map(([sid, i]) => [`sw ${i.url}`, (e: string) => browser.send('Runtime.evaluate', { expression: e, returnByValue: true }, sid)] as [string, (e: string) => Promise<unknown>]),
  ];
  for (const [name, run] of targets) {
    const pids = renderers();
    const before = new Map(pids.map((p) => [p, ticks(p)]));
    await run(busy);
    const moved = pids.map((p) => [p, ticks(p) - (before.get(p) ?? 0)] as const).sort((a, b) => b[1] - a[1])[0];
    who.set(moved[0], [...(who.get(moved[0]) ?? []), name]);
  }
  const label = (pid: number) => (who.get(pid) ?? ['?']).join(' + ');
  log(`renderers: ${renderers().map((p) => `${p} (${label(p)})`).join(', ')}`);

  const sample = () => new Map(renderers().map((p) => [p, rollup(p)]));
  /** The largest sum of ArrayBuffer backing stores over the page, its service worker and the live pool workers, sampled during a case. */
  const backingNow = async () => {
    const sids = [page.sessionId, md5Page.sessionId, ...[...new Set([...sessions].filter(([, i]) => i.type === 'service_worker' || i.type === 'worker').map(([sid]) => sid))]];
    const parts: Record<string, number> = {};
    await Promise.all(
      sids.map(async (sid) => {
        const kind = sid === page.sessionId ? 'page' : sid === md5Page.sessionId ? 'md5page' : (sessions.get(sid)?.type ?? '?');
        const h = await heapUsage(browser, sid);
        parts[kind] = (parts[kind] ?? 0) + Math.round((h.backing + h.heap) / MiB);
      }),
    );
    return parts;
  };
  const heaps = async () => {
    const out: string[] = [];
    const all: [string, string | undefined][] = [
      ['page', page.sessionId],
      ['md5 page', md5Page.sessionId],
      ...[...sessions].filter(([, i]) => i.type === 'service_worker' || i.type === 'worker').map(([sid, i]) => [`${i.type} ${i.title || i.url}`.slice(0, 60), sid] as [string, string]),
    ];
    for (const [name, sid] of all) {
      try {
        const h = (await Promise.race([browser.send('Runtime.getHeapUsage', {}, sid), new Promise((_, j) => setTimeout(() => j(new Error('no answer')), 1000))])) as { usedSize: number; totalSize: number; embedderHeapUsedSize?: number; backingStorageSize?: number };
        out.push(`${name}: heap ${Math.round(h.usedSize / MiB)}/${Math.round(h.totalSize / MiB)} embedder ${Math.round((h.embedderHeapUsedSize ?? 0) / MiB)} backing ${Math.round((h.backingStorageSize ?? 0) / MiB)}`);
      } catch (e) {
        out.push(`${name}: ${(e as Error).message}`);
      }
    }
    return out.join('; ');
  };
  const gcAll = async () => {
    const sids = [page.sessionId, md5Page.sessionId, ...[...sessions].filter(([, i]) => i.type === 'service_worker' || i.type === 'worker').map(([sid]) => sid)];
    for (const sid of sids) await Promise.race([browser.send('HeapProfiler.collectGarbage', {}, sid).catch(() => undefined), new Promise((r) => setTimeout(r, 3000))]);
  };
  const show = (what: string, m: Map<number, Record<string, number>>) => log(`  ${what}: ${[...m].map(([p, r]) => `${label(p)} ${brief(r)}`).join(' | ')}`);

  const waitForDownload = () => browser.downloadDone();

  sink.keep = true;
  const kept = await page.evaluate<{ linkPath: string }>(`bench.upload(false, ${s})`);
  sink.keep = false;
  show('after the kept upload', sample());
  for (const p of renderers()) if ((rollup(p).Rss ?? 0) > 250) log(`  anonymous mappings after the kept upload, ${label(p)}: ${topMappings(p)}`);
  log(`  heaps: ${await heaps()}`);
  const link = JSON.stringify(kept.linkPath);
  const cases: [string, () => Promise<unknown>][] = [
    ['plain upload', () => page.evaluate(`bench.upload(true, ${s})`)],
    ['encrypted upload', () => page.evaluate(`bench.upload(false, ${s})`)],
    [
      'sha256 upload',
      async () => {
        sink.partChecksum = 'sha256';
        await page.evaluate(`bench.upload(false, ${s})`);
        sink.partChecksum = null;
      },
    ],
    ['md5 upload', () => md5Page.evaluate(`bench.upload(false, ${s})`)],
    ['plain download', () => page.evaluate(`bench.downloadPlain(${JSON.stringify(`${sink.url}/object/plain/data`)}, ${SIZE}, ${s})`)],
    ['decrypt count', () => page.evaluate(`bench.downloadDecrypt(${link}, false, ${s})`)],
    [
      'decrypt save',
      async () => {
        const done = waitForDownload();
        await page.evaluate(`bench.downloadDecrypt(${link}, true, ${s})`);
        await done;
        for (const f of readdirSync(downloads)) rmSync(path.join(downloads, f), { force: true });
      },
    ],
  ];
  const wanted = opts.cases?.split(',');
  for (let round = 1; round <= Number(opts.rounds); round++) {
    for (const [name, work] of cases) {
      if (wanted && !wanted.includes(name)) continue;
      const peak = new Map<number, Record<string, number>>();
      const peakMaps = new Map<number, string>();
      const timer = setInterval(() => {
        for (const [p, r] of sample()) {
          const old = peak.get(p)?.Rss ?? 0;
          if ((r.Rss ?? 0) > old) peak.set(p, r);
          if ((r.Rss ?? 0) > old + 30 && (r.Rss ?? 0) > 250) peakMaps.set(p, topMappings(p));
        }
      }, 100);
      let peakJs: Record<string, number> = {};
      let peakJsSum = 0;
      let polling = true;
      const poll = (async () => {
        while (polling) {
          const b = await backingNow();
          const sum = Object.values(b).reduce((x, y) => x + y, 0);
          if (sum > peakJsSum) [peakJsSum, peakJs] = [sum, b];
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      log(`${name} #${round} starts`);
      const t = performance.now();
      await work();
      clearInterval(timer);
      polling = false;
      await poll;
      log(`${name} #${round} (${new Date().toISOString().slice(11, 19)}): ${((performance.now() - t) / 1000).toFixed(1)} s`);
      show('peak', peak);
      for (const [p, m] of peakMaps) log(`  anonymous mappings at the peak of ${label(p)} (size class: MiB resident): ${m}`);
      log(`  peak JS (V8 heap + ArrayBuffer backing stores, MiB, summed by kind): ${peakJsSum} ${JSON.stringify(peakJs)}`);
      show('end', sample());
      for (const p of renderers()) if ((rollup(p).Rss ?? 0) > 250) log(`  anonymous mappings at the end, ${label(p)}: ${topMappings(p)}`);
      log(`  heaps: ${await heaps()}`);
      if (opts.purge) {
        await gcAll();
        await new Promise((r) => setTimeout(r, 500));
        show('after GC in every target', sample());
        await browser.send('Memory.simulatePressureNotification', { level: 'critical' }, page.sessionId).catch((e) => log(`  pressure: ${e.message}`));
        await new Promise((r) => setTimeout(r, 1000));
        show('after memory pressure', sample());
      }
    }
  }
  await browser.close();
  await app.close();
  await md5App.close();
  await sink.close();
  rmSync(dir, { recursive: true, force: true });
  if (opts.out) writeFileSync(opts.out, `${lines.join('\n')}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
