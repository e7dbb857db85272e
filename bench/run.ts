/**
 * `npm run bench`: encrypted vs plain throughput, CPU and memory in real Chromium (driven over a
 * CDP pipe, never with the Network domain on), against the benchmark's own fast sink, with one
 * reference round against the embedded S3; the format alone in Node; presign API throughput.
 *
 * Options: --size 1GiB  --big 4GiB (memory case; 0 skips)  --frame 512KiB  --part 16MiB
 *          --workers 2  --inflight 4  --rounds 3  --no-readme
 *          --profile: where the CPU goes instead (profile.ts), by process, thread and stage
 *          --sets-only: only the sets cases (sets.ts), with --set-files 1000 (small files in one
 *          set; 0 skips), --set-size 1GiB (the big set, in --set-split 8 files; 0 skips)
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir, cpus } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { buildApp } from '../server/app.ts';
import { startLocalS3 } from '../server/local-s3.ts';
import { createStorage } from '../server/storage.ts';
import { DEFAULT_FRAME_LENGTH } from '../src/crypto/format.ts';
import { Browser, countWorkerWarnings, Page } from './cdp.ts';
import { nodeFormatBench, saveNodeFormat } from './node-format.ts';
import { type CaseUsage, ProcessMonitor, type RssSplit } from './procs.ts';
import { profileTables, runProfile, stageTable, timerTable } from './profile.ts';
import { runSets, type SetsOptions } from './sets.ts';
import { saveSets } from './sets-report.ts';
import { Sink } from './sink.ts';
import { countApiRequests, FILES as SMALL_FILES, type SmallFilesResult, smallFilesCase, smallFilesRatio, smallFilesTable, writeSmallFiles } from './small-files.ts';
import { ThreadMonitor } from './threads.ts';
import { openAccess, openLimits } from '../server/config.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(B|KiB|MiB|GiB)?$/.exec(text);
  if (!m) throw new Error(`bad size ${text}`);
  return Math.round(Number(m[1]) * { B: 1, KiB, MiB, GiB }[(m[2] ?? 'B') as 'B']);
}

const { values: opts } = parseArgs({
  options: {
    size: { type: 'string', default: '1GiB' },
    big: { type: 'string', default: '4GiB' },
    frame: { type: 'string', default: `${DEFAULT_FRAME_LENGTH / KiB}KiB` },
    part: { type: 'string', default: '16MiB' },
    workers: { type: 'string', default: String(Math.min(4, cpus().length)) },
    inflight: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    'no-readme': { type: 'boolean', default: false },
    /** results go to bench/results/<date>-<label>.* (sweeps keep the main results intact) */
    label: { type: 'string' },
    /** throughput cases only: no save-to-disk, s3rver, memory, Node or API cases */
    quick: { type: 'boolean', default: false },
    /** where the CPU goes, by process, thread and stage (profile.ts), instead of the throughput cases */
    profile: { type: 'boolean', default: false },
    /** how many small files (10 KiB) the many-files case uploads (default 1000, 300 with --quick); 0 skips it */
    small: { type: 'string' },
    'sets-only': { type: 'boolean', default: false },
    'set-files': { type: 'string' },
    'set-size': { type: 'string', default: '1GiB' },
    'set-split': { type: 'string', default: '8' },
  },
});
const settings = { frameLength: parseSize(opts.frame), partSize: parseSize(opts.part), workers: Number(opts.workers), inFlight: Number(opts.inflight) };
const SIZE = parseSize(opts.size);
const BIG = parseSize(opts.big);
const QUICK_SMALL_FILES = 300;
const ROUNDS = Number(opts.rounds);

interface CaseResult {
  name: string;
  round: number;
  bytes: number;
  seconds: number;
  mbps: number;
  cpuSecondsPerGiB: number;
  usage: CaseUsage;
  heapPeakMiB: number;
  /** BYOB reads of the file given up by their stall watchdog during the case (read again by copying: more CPU, fresh memory) */
  byobStalls: number;
}

/** The big transfer's upload and download, and the same of the run's size, each pair in a fresh page. */
interface MemoryCase {
  bigBytes: number;
  cases: [CaseResult, CaseResult];
  baseline: [CaseResult, CaseResult];
}

/** The peak of the renderer that did the case's work (the one with the most CPU), else of any renderer. */
const working = (c: CaseResult) => c.usage.workingRenderer?.peakMiB ?? c.usage.peakRssMiB.renderer;

const log = (line: string) => console.error(`[bench] ${line}`);
const splitText = (split: RssSplit | null) => (split ? `: anon ${split.anon} / file ${split.file} / shmem ${split.shmem}` : '');

async function randomFile(file: string, size: number): Promise<void> {
  const out = createWriteStream(file);
  for (let at = 0; at < size; at += MiB) {
    if (!out.write(randomFillSync(Buffer.alloc(Math.min(MiB, size - at))))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function main(): Promise<void> {
  log('building the benchmark page');
  const built = spawnSync('npx', ['vite', 'build', '--config', 'bench/vite.config.ts', '--logLevel', 'error'], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('bench page build failed');
  const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-bench-'));
  const downloads = path.join(dir, 'downloads');
  mkdirSync(downloads);
  const file = path.join(dir, 'input.bin');
  log(`writing a ${SIZE / MiB} MiB random file`);
  await randomFile(file, SIZE);

  const sink = await Sink.start(path.join(dir, 'sink'));
  sink.addFileObject('plain/data', file);
  const app = await buildApp({ access: openAccess(), limits: openLimits(), storage: sink.storage(), presignExpiresSeconds: 3600, staticDir: path.resolve('bench/dist') });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const apiRequests = countApiRequests(app.server);
  const appUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  // The MD5 case's own app and origin, always in PART_CHECKSUM=md5, whose CSP allows WebAssembly
  // (hash-wasm): served from the main app, a respawned worker could get its script from the HTTP
  // cache with the CSP of another mode, and fail to compile hash-wasm (seen once in a round 3).
  const md5App = await buildApp({ access: openAccess(), limits: openLimits(), storage: sink.storage('md5'), presignExpiresSeconds: 3600, staticDir: path.resolve('bench/dist') });
  await md5App.listen({ host: '127.0.0.1', port: 0 });
  const md5Url = `http://127.0.0.1:${(md5App.server.address() as { port: number }).port}`;
  const local = await startLocalS3(path.join(dir, 's3'));
  const refApp = await buildApp({ access: openAccess(), limits: openLimits(), storage: createStorage(local.settings, 'cipherdrop/', 3600), presignExpiresSeconds: 3600, staticDir: path.resolve('bench/dist') });
  await refApp.listen({ host: '127.0.0.1', port: 0 });
  const refUrl = `http://127.0.0.1:${(refApp.server.address() as { port: number }).port}`;
  await local.setAllowedOrigins([refUrl]);

  const browser = Browser.launch();
  const shutdown = async () => {
    cleanUp = undefined;
    await browser.close();
    await app.close();
    await md5App.close();
    await refApp.close();
    await local.stop();
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  };
  cleanUp = shutdown;
  await browser.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads, eventsEnabled: true });
  const monitor = new ProcessMonitor(browser.pid, () => [local.pid]);
  const results: CaseResult[] = [];

  const page = await Page.open(browser, `${appUrl}/`);
  // A stalled BYOB read costs seconds and a copying re-read: counted per case, from the workers' console.
  const stallsOf = new Map<Page, { readonly count: number }>();
  const watchStalls = async (p: Page) => void stallsOf.set(p, await countWorkerWarnings(p, /made no progress/));
  await watchStalls(page);
  await page.evaluate('bench.ready');
  await page.setInputFile('#file', file);
  const s = JSON.stringify(settings);

  const setsOptions: SetsOptions = {
    smallFiles: Number(opts['set-files'] ?? (opts.quick ? QUICK_SMALL_FILES : SMALL_FILES)),
    bigSize: parseSize(opts['set-size']),
    bigFiles: Number(opts['set-split']),
    rounds: ROUNDS,
  };
  const sets = async () => {
    const result = await runSets({ browser, monitor, sink, dir, downloads, settings, randomFile, single: { file, size: SIZE }, log }, setsOptions);
    return saveSets(result, `Sets of ${new Date().toISOString().slice(0, 10)}: frame ${settings.frameLength / KiB} KiB, parts/ranges ${settings.partSize / MiB} MiB, ${settings.workers} workers, ${settings.inFlight} in flight; Chromium over a CDP pipe, the loopback sink.`, opts.label);
  };
  if (opts['sets-only']) {
    await sets();
    return shutdown();
  }

  async function runCase(p: Page, name: string, round: number, work: () => Promise<{ bytes: number; seconds: number }>): Promise<CaseResult> {
    const stalls = stallsOf.get(p);
    const stallsBefore = stalls?.count ?? 0;
    let heapPeak = 0;
    const heapTimer = setInterval(() => {
      p.heapUsed()
        .then((h) => {
          heapPeak = Math.max(heapPeak, h);
        })
        .catch(() => undefined);
    }, 250);
    monitor.start();
    const { bytes, seconds } = await work();
    const usage = monitor.stop();
    clearInterval(heapTimer);
    const cpu = Object.values(usage.cpuSeconds).reduce((a, b) => a + b, 0);
    const byobStalls = (stalls?.count ?? 0) - stallsBefore;
    const result = { name, round, bytes, seconds, mbps: bytes / seconds / 1e6, cpuSecondsPerGiB: cpu / (bytes / GiB), usage, heapPeakMiB: Math.round(heapPeak / MiB), byobStalls };
    const made = splitText(usage.rendererPeakSplit);
    const w = usage.workingRenderer;
    const working = w ? `; the working renderer ${w.peakMiB}${splitText(w.split)}, the others ${w.othersPeakMiB}` : '';
    log(`${name} #${round}: ${result.mbps.toFixed(0)} MB/s, ${result.cpuSecondsPerGiB.toFixed(2)} CPU-s/GiB, renderer ${usage.peakRssMiB.renderer} MiB${made}${working}${byobStalls ? `, ${byobStalls} BYOB read(s) stalled` : ''}`);
    results.push(result);
    return result;
  }

  const timed = async (p: Page, expression: string) => {
    const r = await p.evaluate<{ ms: number; bytes: number }>(expression);
    return { bytes: r.bytes, seconds: r.ms / 1000 };
  };

  const waitForDownload = () => browser.downloadDone();

  // Untimed: an encrypted upload kept by the sink, the source of the decrypt cases.
  sink.keep = true;
  const kept = await page.evaluate<{ linkPath: string }>(`bench.upload(false, ${s})`);
  sink.keep = false;

  const smallFiles = async (): Promise<SmallFilesResult[]> => {
    // 1 000 files take about a minute a case here, so --quick sends fewer (requests per file do not change).
    const count = Number(opts.small ?? (opts.quick ? QUICK_SMALL_FILES : SMALL_FILES));
    if (count === 0) return [];
    log(`many small files: ${count}`);
    await page.setInputFiles('#files', writeSmallFiles(path.join(dir, 'small'), count));
    const out: SmallFilesResult[] = [];
    for (const plain of [true, false]) {
      out.push(await smallFilesCase(page, monitor, sink, apiRequests, plain ? 'plain, small files' : 'encrypted, small files', `bench.uploadMany(${plain}, ${s})`));
    }
    return out;
  };

  if (opts.profile) {
    const threads = new ThreadMonitor(browser.pid, () => ({ 'harness (Node: sink, presign app, driver)': process.pid, 's3rver (Node, idle here)': local.pid }));
    const link = JSON.stringify(kept.linkPath);
    const cases = [
      { name: 'up-plain', expression: `bench.upload(true, ${s}, 'plain')` },
      { name: 'up-read', expression: `bench.upload(true, ${s}, 'read')` },
      { name: 'up-sealed', expression: `bench.upload(true, ${s}, 'sealed')` },
      { name: 'up-encrypted', expression: `bench.upload(false, ${s}, 'encrypted')` },
      { name: 'down-plain', expression: `bench.downloadPlain(${JSON.stringify(`${sink.url}/object/plain/data`)}, ${SIZE}, ${s}, 'plain')` },
      { name: 'down-decrypt', expression: `bench.downloadDecrypt(${link}, false, ${s}, 'encrypted')` },
    ];
    const runs = await runProfile(page, threads, cases, ROUNDS);
    const small = await smallFiles();
    profileReport(runs, small);
    return shutdown();
  }

  const md5Page = await Page.open(browser, `${md5Url}/`);
  await watchStalls(md5Page);
  await md5Page.evaluate('bench.ready');
  await md5Page.setInputFile('#file', file);

  for (let round = 1; round <= ROUNDS; round++) {
    await runCase(page, 'plain upload', round, () => timed(page, `bench.upload(true, ${s})`));
    // Per-part checksums (PART_CHECKSUM): none (the default), SHA-256 and MD5 (hash-wasm), side by side.
    await runCase(page, 'encrypted upload', round, () => timed(page, `bench.upload(false, ${s})`));
    sink.partChecksum = 'sha256';
    await runCase(page, 'encrypted upload, SHA-256 part checksum', round, () => timed(page, `bench.upload(false, ${s})`));
    sink.partChecksum = null;
    await runCase(md5Page, 'encrypted upload, Content-MD5', round, () => timed(md5Page, `bench.upload(false, ${s})`));
    await runCase(page, 'plain download', round, () => timed(page, `bench.downloadPlain(${JSON.stringify(`${sink.url}/object/plain/data`)}, ${SIZE}, ${s})`));
    await runCase(page, 'download + decrypt (count)', round, () => timed(page, `bench.downloadDecrypt(${JSON.stringify(kept.linkPath)}, false, ${s})`));
    if (opts.quick) continue;
    await runCase(page, 'download + decrypt (save to disk)', round, async () => {
      const done = waitForDownload();
      const t = performance.now();
      const r = await page.evaluate<{ bytes: number }>(`bench.downloadDecrypt(${JSON.stringify(kept.linkPath)}, true, ${s})`);
      await done;
      const seconds = (performance.now() - t) / 1000;
      for (const f of readdirSync(downloads)) rmSync(path.join(downloads, f), { force: true });
      return { bytes: r.bytes, seconds };
    });
  }

  const small = await smallFiles();
  const setsMd = await sets();
  if (opts.quick) {
    report(results, null, null, null, small, setsMd);
    return shutdown();
  }
  log('reference round against the embedded S3 (s3rver)');
  const refPage = await Page.open(browser, `${refUrl}/`);
  await watchStalls(refPage);
  await refPage.evaluate('bench.ready');
  await refPage.setInputFile('#file', file);
  // Measured like every other case (until 2026-12-03 its row showed the previous case's peaks: the monitor was stopped, never started).
  let refLink = '';
  await runCase(refPage, 'encrypted upload (s3rver)', 1, async () => {
    const r = await refPage.evaluate<{ linkPath: string; ms: number; bytes: number }>(`bench.upload(false, ${s})`);
    refLink = r.linkPath;
    return { bytes: r.bytes, seconds: r.ms / 1000 };
  });
  await runCase(refPage, 'download + decrypt (s3rver)', 1, () => timed(refPage, `bench.downloadDecrypt(${JSON.stringify(refLink)}, false, ${s})`));

  let memory: MemoryCase | null = null;
  if (BIG > 0) {
    // Does memory grow with size? The big transfer and one of the run's size, each in a page of its
    // own opened for it, in a browser context (so a renderer process) of its own: a page that ran
    // every other case carries what they left (README, Memory (d)), which says nothing about size.
    log(`memory case: ${BIG / GiB} GiB against ${SIZE / GiB} GiB, each in a fresh page`);
    for (const p of [page, md5Page, refPage]) await p.send('Page.close').catch(() => undefined);
    const freshPair = async (source: string, label: string): Promise<[CaseResult, CaseResult]> => {
      const fresh = await Page.open(browser, `${appUrl}/`, true);
      await watchStalls(fresh);
      await fresh.evaluate('bench.ready');
      await fresh.setInputFile('#file', source);
      sink.keep = true;
      let link = '';
      const up = await runCase(fresh, `encrypted upload ${label}, fresh page`, 1, async () => {
        const r = await fresh.evaluate<{ ms: number; bytes: number; linkPath: string }>(`bench.upload(false, ${s})`);
        link = r.linkPath;
        return { bytes: r.bytes, seconds: r.ms / 1000 };
      });
      sink.keep = false;
      const down = await runCase(fresh, `download + decrypt ${label}, fresh page`, 1, () => timed(fresh, `bench.downloadDecrypt(${JSON.stringify(link)}, false, ${s})`));
      await fresh.send('Page.close').catch(() => undefined);
      return [up, down];
    };
    const baseline = await freshPair(file, `${SIZE / GiB} GiB`);
    const big = path.join(dir, 'big.bin');
    await randomFile(big, BIG);
    memory = { bigBytes: BIG, cases: await freshPair(big, `${BIG / GiB} GiB`), baseline };
    rmSync(big, { force: true });
  }

  log('the format alone in Node');
  const node = await nodeFormat(settings.frameLength);
  log('presign API throughput');
  const apiResult = await presignThroughput(refUrl);

  await shutdown();
  report(results, memory, node, apiResult, small, setsMd);
}

const PROFILE_LABELS = {
  'up-plain': 'plain upload',
  'up-read': 'upload: + read',
  'up-sealed': 'upload: + seal, tag digest',
  'up-encrypted': 'encrypted upload (+ spool)',
  'down-plain': 'plain download',
  'down-decrypt': 'download + decrypt',
};

function profileReport(runs: Awaited<ReturnType<typeof runProfile>>, small: SmallFilesResult[]): void {
  const date = `${new Date().toISOString().slice(0, 10)}-profile${opts.label ? `-${opts.label}` : ''}`;
  const md = [
    `Profile of ${date}: ${SIZE / GiB} GiB, frame ${settings.frameLength / KiB} KiB, parts/ranges ${settings.partSize / MiB} MiB, ${settings.workers} workers, ${settings.inFlight} in flight, ${ROUNDS} alternating rounds (means); the benchmark's loopback sink.`,
    '',
    '**By stage** (CPU-s/GiB each step adds, by process; the upload steps are ablation cases, see bench/profile.ts):',
    '',
    stageTable(runs, [
      ['plain upload (File.slice body: file read by the browser, request body)', 'up-plain', null],
      ['+ read the part into a pooled buffer (File → worker)', 'up-read', 'up-plain'],
      ['+ seal (crypto.subtle) and the digest of its tags, sealed bytes dropped', 'up-sealed', 'up-read'],
      ['+ spool write, and the PUT body read from the spool file (= the real encrypted upload)', 'up-encrypted', 'up-sealed'],
      ['**encrypted upload − plain upload**', 'up-encrypted', 'up-plain'],
      ['plain download (GET, BYOB body into a fresh buffer, transfer to the page)', 'down-plain', null],
      ['**download + decrypt − plain download** (body into a pooled buffer, open into fresh memory)', 'down-decrypt', 'down-plain'],
    ]),
    '',
    profileTables(runs, PROFILE_LABELS),
    '',
    '**Inside the workers, encrypted upload** (stage timers, bench/page/stage-timers.ts):',
    '',
    timerTable(runs, 'up-encrypted'),
    '',
    '**Inside the workers, download + decrypt**:',
    '',
    timerTable(runs, 'down-decrypt'),
    '',
    small.length ? smallFilesTable(small) : '',
  ].join('\n');
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${date}.json`, `${JSON.stringify({ date, settings, size: SIZE, rounds: ROUNDS, runs, small }, null, 1)}\n`);
  writeFileSync(`bench/results/${date}.md`, `${md}\n`);
  console.log(md);
}

/**
 * bench/node-format.ts (also `npm run bench:node`): both frame engines, alternating; the target row
 * takes Node's own engine (node:crypto) on the library's stream path.
 */
async function nodeFormat(frameLength: number): Promise<{ encryptMBps: number; decryptMBps: number }> {
  const result = await nodeFormatBench({ size: GiB, frameLength, rounds: ROUNDS, log });
  saveNodeFormat(result, { readme: !opts['no-readme'], label: opts.label });
  const nodeMBps = (c: string) => result.rows.find((r) => r.case === c)?.node.mbps ?? Number.NaN;
  return { encryptMBps: nodeMBps('stream encrypt'), decryptMBps: nodeMBps('stream decrypt') };
}

async function presignThroughput(appUrl: string): Promise<{ urlsPerSecond: number; p50ms: number; p99ms: number; requests: number; batch: number }> {
  const BATCH = 10;
  // An upload of BATCH parts of 16 MiB, as the page would declare it; every later call shows its ticket.
  const layout = { size: BATCH * 16 * MiB, partCount: BATCH, partSize: 16 * MiB, headerSize: 0, metaSize: 1024 };
  const answer = await fetch(`${appUrl}/api/uploads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(layout) });
  if (answer.status !== 201) throw new Error(`presign API: create answered ${answer.status} ${await answer.text()}`);
  const created = (await answer.json()) as { id: string; uploadId: string; ticket: string };
  const result = await autocannon({
    url: `${appUrl}/api/uploads/${created.id}/parts`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ticket: created.ticket, uploadId: created.uploadId, partNumbers: Array.from({ length: BATCH }, (_, i) => i + 1) }),
    connections: 10,
    duration: 5,
  });
  if (result.non2xx > 0) throw new Error(`presign API answered ${result.non2xx} non-2xx responses`);
  return { urlsPerSecond: result.requests.average * BATCH, p50ms: result.latency.p50, p99ms: result.latency.p99, requests: result.requests.total, batch: BATCH };
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

function report(
  results: CaseResult[],
  memory: MemoryCase | null,
  node: { encryptMBps: number; decryptMBps: number } | null,
  api: { urlsPerSecond: number; p50ms: number; p99ms: number } | null,
  small: SmallFilesResult[] = [],
  setsMd = '',
): void {
  const names = [...new Set(results.map((r) => r.name))];
  const rows = names.map((name) => {
    const rs = results.filter((r) => r.name === name);
    const peak = (k: keyof CaseUsage['peakRssMiB']) => Math.max(...rs.map((r) => r.usage.peakRssMiB[k]));
    return {
      name,
      runs: rs.length,
      mbps: median(rs.map((r) => r.mbps)),
      seconds: median(rs.map((r) => r.seconds)),
      cpuSecondsPerGiB: median(rs.map((r) => r.cpuSecondsPerGiB)),
      renderer: peak('renderer'),
      browser: peak('browser'),
      network: peak('network'),
      heap: Math.max(...rs.map((r) => r.heapPeakMiB)),
    };
  });
  const row = (name: string) => rows.find((r) => r.name === name);
  type Row = (typeof rows)[number];
  const [UP, PLAIN_UP, DOWN, PLAIN_DOWN] = ['encrypted upload', 'plain upload', 'download + decrypt (count)', 'plain download'];
  const both = (a: string, b: string, f: (a: Row, b: Row) => number) => {
    const [ra, rb] = [row(a), row(b)];
    return ra && rb ? f(ra, rb) : undefined;
  };
  const signed = (v: number, digits = 0) => `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;
  const times = (v: number) => `${v.toFixed(2)} ×`;
  const cpu = (v: number) => `${signed(v, 2)} CPU-s/GiB`;
  const targets: { target: string; value: string; met: boolean }[] = [];
  /** One target of issue 15, left out when what it measures did not run (--quick: no 4 GiB or Node cases). */
  const add = (target: string, value: number | undefined, shown: (v: number) => string, met: (v: number) => boolean) => {
    if (value !== undefined && Number.isFinite(value)) targets.push({ target, value: shown(value), met: met(value) });
  };
  const extraCpu = (what: string, a: string, b: string, limit: number) => {
    const extra = both(a, b, (x, y) => x.cpuSecondsPerGiB - y.cpuSecondsPerGiB);
    add(`encryption's extra CPU, ${what}: ${a} − ${b} ≤ ${limit} CPU-s/GiB`, extra, cpu, (v) => v <= limit);
  };
  const timeRatio = (a: string, b: string, limit: number) => {
    const ratio = both(a, b, (x, y) => x.seconds / y.seconds);
    add(`${a} time ≤ ${limit} × ${b}`, ratio, times, (v) => v <= limit);
  };
  extraCpu('upload', UP, PLAIN_UP, 6);
  timeRatio(UP, PLAIN_UP, 1.6);
  extraCpu('download', DOWN, PLAIN_DOWN, 4);
  timeRatio(DOWN, PLAIN_DOWN, 1.2);
  // Peaks over every case of the run's size, plain and part-checksum ones too (a row is already the max over rounds); not the memory or s3rver cases
  // (the memory case's pairs run in a browser context of their own, which the browser process also holds: their peaks are in its own line).
  const bigNames = new Set([...(memory?.cases ?? []), ...(memory?.baseline ?? [])].map((c) => c.name));
  const sizeRows = rows.filter((r) => !bigNames.has(r.name) && !r.name.includes('s3rver'));
  const peak = (k: 'renderer' | 'browser', what: string, limit: number) => {
    const top = sizeRows.reduce<Row | undefined>((a, r) => (a && a[k] >= r[k] ? a : r), undefined);
    const target = `${what} peak RSS ≤ ${limit} MiB in every ${SIZE / GiB} GiB case and round`;
    const shown = (v: number) => `${v} MiB (${top?.name})`;
    add(target, top?.[k], shown, (v) => v <= limit);
  };
  peak('renderer', 'renderer', 512);
  peak('browser', 'browser-process', 300);
  let memoryLine = '';
  if (memory) {
    const [up, down] = memory.cases;
    const grow = (big: CaseResult, small: CaseResult) => working(big) - working(small);
    const upGrowth = grow(up, memory.baseline[0]);
    const downGrowth = grow(down, memory.baseline[1]);
    const shown = () => `upload ${signed(upGrowth)} MiB, download ${signed(downGrowth)} MiB`;
    add(`${memory.bigBytes / GiB} GiB vs ${SIZE / GiB} GiB, each in a fresh page: renderer peak grows < 64 MiB`, Math.max(upGrowth, downGrowth), shown, (v) => v < 64);
    const [up1, down1] = memory.baseline;
    memoryLine = `Memory case, each pair in a fresh page (the pages of the rounds closed), the working renderer's peak: ${memory.bigBytes / GiB} GiB encrypted upload ${working(up)} MiB against ${working(up1)} MiB for ${SIZE / GiB} GiB, download + decrypt ${working(down)} MiB against ${working(down1)} MiB; the browser process, holding that second browser context, ${Math.max(up.usage.peakRssMiB.browser, down.usage.peakRssMiB.browser)} MiB against ${Math.max(up1.usage.peakRssMiB.browser, down1.usage.peakRssMiB.browser)} MiB.`;
  }
  // Each round's peak, and what the highest was made of: a peak over target in one round only is told apart from one in every round.
  const rendererRounds = rows.map((r) => {
    const rs = results.filter((x) => x.name === r.name);
    const top = rs.reduce((a, x) => (x.usage.peakRssMiB.renderer > a.usage.peakRssMiB.renderer ? x : a));
    const made = top.usage.rendererPeakSplit ? ` (round ${top.round}${splitText(top.usage.rendererPeakSplit)})` : '';
    const working = rs.every((x) => x.usage.workingRenderer) ? ` [working renderer ${rs.map((x) => x.usage.workingRenderer?.peakMiB).join(', ')}]` : '';
    const stalls = rs.reduce((n, x) => n + (x.byobStalls ?? 0), 0);
    return `${r.name} ${rs.map((x) => x.usage.peakRssMiB.renderer).join(', ')}${made}${working}${stalls ? `, ${stalls} BYOB read(s) stalled` : ''}`;
  });
  const roundsLine = `Renderer peak RSS by round, MiB, of any renderer (the highest split into anonymous / file-backed / shared memory, /proc status) [and of the renderer doing the work, the one with the most CPU; the others are the benchmark's idle pages of other origins]: ${rendererRounds.join('; ')}.`;
  if (node) {
    // Issue 15's baseline, 0.29 GB/s, was WebCrypto in Node (sealRun/openRun through crypto.subtle); nodeFormat measures Node's engine now.
    const target = 'format in Node (node:crypto, encryptStream / decryptStream) ≥ 1.5 × 0.29 GB/s (WebCrypto) = 0.435 GB/s, encrypt and decrypt';
    const gbps = (mbps: number) => (mbps / 1000).toFixed(2);
    const shown = () => `${gbps(node.encryptMBps)} / ${gbps(node.decryptMBps)} GB/s`;
    add(target, Math.min(node.encryptMBps, node.decryptMBps), shown, (v) => v >= 435);
  }
  add('many small files: encrypted time ≤ 2 × plain', smallFilesRatio(small), times, (v) => v <= 2);
  const mbps = (name: string) => row(name)?.mbps.toFixed(0);
  const firstBrief = `The first brief's absolute targets (encrypted upload ≥ 200 MB/s, download + decrypt ≥ 450 MB/s) measured ${mbps(UP)} and ${mbps(DOWN)} MB/s.`;
  const date = new Date().toISOString().slice(0, 10) + (opts.label ? `-${opts.label}` : '');
  const md = [
    `Benchmark of ${date}: ${SIZE / GiB} GiB, frame ${settings.frameLength / KiB} KiB, parts/ranges ${settings.partSize / MiB} MiB, ${settings.workers} workers, ${settings.inFlight} in flight, ${ROUNDS} alternating rounds (medians); Chromium over a CDP pipe (no Network domain), against the benchmark's loopback sink unless marked s3rver.`,
    '',
    '| case | MB/s | s | CPU-s/GiB | peak RSS renderer / browser / network (MiB) | JS heap (MiB) |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.name} | ${r.mbps.toFixed(0)} | ${r.seconds.toFixed(2)} | ${r.cpuSecondsPerGiB ? r.cpuSecondsPerGiB.toFixed(2) : '–'} | ${r.renderer} / ${r.browser} / ${r.network} | ${r.heap} |`),
    '',
    node && api
      ? `Format alone in Node (one core, ${settings.frameLength / KiB} KiB frames): encrypt ${node.encryptMBps.toFixed(0)} MB/s, decrypt ${node.decryptMBps.toFixed(0)} MB/s. Presign API (real SigV4 signing, 10 connections, 10 URLs per request): ${api.urlsPerSecond.toFixed(0)} part URLs/s, p50 ${api.p50ms} ms, p99 ${api.p99ms} ms.`
      : '',
    memoryLine,
    '',
    roundsLine,
    '',
    'Targets of issue 15 (ratios and differences from this one run):',
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...targets.map((t) => `| ${t.target} | ${t.value} | ${t.met ? 'yes' : '**no**'} |`),
    ...(row(UP) && row(DOWN) ? ['', firstBrief] : []),
    ...(small.length ? ['', smallFilesTable(small)] : []),
    ...(setsMd ? ['', setsMd] : []),
  ].join('\n');
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${date}.json`, `${JSON.stringify({ date, settings, size: SIZE, rounds: ROUNDS, results, rows, memory, node, api, targets, small }, null, 1)}\n`);
  writeFileSync(`bench/results/${date}.md`, `${md}\n`);
  console.log(md);
  if (!opts['no-readme'] && !opts.label) {
    const readme = readFileSync('README.md', 'utf8');
    const start = '<!-- bench:start -->';
    const end = '<!-- bench:end -->';
    if (readme.includes(start)) writeFileSync('README.md', `${readme.slice(0, readme.indexOf(start) + start.length)}\n${md}\n${readme.slice(readme.indexOf(end))}`);
  }
}

/** Closes the browser and servers and removes the run's files, if a run fails before its own shutdown. */
let cleanUp: (() => Promise<void>) | undefined;

main().catch(async (error: unknown) => {
  console.error(error);
  await cleanUp?.().catch(() => undefined);
  process.exit(1);
});
