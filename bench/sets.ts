/**
 * One link for many files (issue 16), through the benchmark page (bench/page/set-cases.ts): the
 * set's upload as the upload page runs it (PageSets, the queue) and the recipient's "Download all
 * as ZIP" (zip.js fed by the members' verified frames), against their single-link counterparts in
 * the same run, in alternating rounds:
 *
 * - many small files (1 000 × 10 KiB): one set vs a link each (small-files.ts): files/s, API calls
 *   and store requests per file; the set's ZIP download in files/s and MB/s;
 * - one set of 1 GiB in 8 files vs one 1 GiB file: upload and download MB/s, the ratio of times
 *   round by round, CPU and peak RSS (procs.ts): memory must not grow with the set.
 *
 * Its own presign app (the sink with sets: set-sink.ts) and page; the sink is shared.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { buildApp } from '../server/app.ts';
import { openAccess, openLimits } from '../server/config.ts';
import { type Browser, Page } from './cdp.ts';
import type { CaseUsage, ProcessMonitor } from './procs.ts';
import { sinkWithSets } from './set-sink.ts';
import type { Sink } from './sink.ts';
import { countApiRequests, FILE_SIZE, type SmallFilesResult, smallFilesCase, writeSmallFiles } from './small-files.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface SetsOptions {
  /** small files in the many-files set (FILE_SIZE each); 0 skips that part */
  smallFiles: number;
  /** the big set's total bytes; 0 skips that part */
  bigSize: number;
  /** how many files the big set is made of */
  bigFiles: number;
  rounds: number;
  /**
   * also the big set's ZIP with its members read as before the fix of 2026-12-02 (4 MiB runs for
   * every member; zip.js's 256 KiB chunks went with zip.js), in the same rounds; `BENCH_SETS_BEFORE=1` turns it on
   */
  before?: boolean;
}

export interface SetsContext {
  browser: Browser;
  monitor: ProcessMonitor;
  sink: Sink;
  /** the run's scratch folder, and where the browser saves downloads */
  dir: string;
  downloads: string;
  settings: { frameLength: number; partSize: number; workers: number; inFlight: number };
  /** writes a random file (run.ts) */
  randomFile: (file: string, size: number) => Promise<void>;
  /** a random file of bigSize already on disk, if the run has one */
  single?: { file: string; size: number };
  log: (line: string) => void;
}

export interface SetCase {
  name: string;
  round: number;
  bytes: number;
  files: number;
  seconds: number;
  usage: CaseUsage;
  /** calls to the presign API and requests the store received, per file (uploads only) */
  apiPerFile?: number;
  storePerFile?: number;
  api?: Record<string, number>;
  store?: Record<string, number>;
}

export interface SetsResult {
  options: SetsOptions;
  cases: SetCase[];
  /** the a-link-each rounds of small-files.ts, as it reports them */
  perLink: SmallFilesResult[];
}

/** Case names, so that the table and the ratios find them. */
export const CASES = {
  smallSet: 'small files: one set, upload',
  smallZip: 'small files: one set, ZIP download (count)',
  smallZipSave: 'small files: one set, ZIP download (save to disk)',
  singleUp: 'one file: encrypted upload',
  bigSetUp: 'one set: encrypted upload',
  singleDown: 'one file: download + decrypt (count)',
  bigZip: 'one set: ZIP download (count)',
  singleSave: 'one file: download + decrypt (save to disk)',
  bigZipSave: 'one set: ZIP download (save to disk)',
  bigZipBefore: 'one set: ZIP download before the fix (count)',
  bigZipSaveBefore: 'one set: ZIP download before the fix (save to disk)',
} as const;

const perFile = (counts: Map<string, number>, files: number) => Object.fromEntries([...counts].map(([k, v]) => [k, v / files]));
const sum = (xs: Record<string, number>) => Object.values(xs).reduce((a, b) => a + b, 0);

export async function runSets(ctx: SetsContext, options: SetsOptions): Promise<SetsResult> {
  const { browser, monitor, sink, settings, log } = ctx;
  const app = await buildApp({ access: openAccess(), limits: openLimits(), storage: sinkWithSets(sink), presignExpiresSeconds: 3600, staticDir: path.resolve('bench/dist') });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const apiCounts = countApiRequests(app.server);
  const page = await Page.open(browser, `http://127.0.0.1:${(app.server.address() as { port: number }).port}/`);
  await page.evaluate('bench.ready');
  const s = JSON.stringify(settings);
  const cases: SetCase[] = [];
  const perLink: SmallFilesResult[] = [];

  const waitForDownload = () => browser.downloadDone();

  /** Runs one case in the page; `save`: the page starts a browser download, timed until it is complete. */
  const run = async (name: string, round: number, expression: string, save = false, counted = false) => {
    apiCounts.clear();
    sink.requests.clear();
    const done = save ? waitForDownload() : null;
    monitor.start();
    const t = performance.now();
    const r = await page.evaluate<{ ms: number; bytes: number; files?: number }>(expression);
    await done;
    const seconds = save ? (performance.now() - t) / 1000 : r.ms / 1000;
    const usage = monitor.stop();
    if (save) for (const f of readdirSync(ctx.downloads)) rmSync(path.join(ctx.downloads, f), { force: true });
    // A single-file case (main.ts) reports no count: it is one file.
    const files = r.files ?? 1;
    const c: SetCase = { name, round, bytes: r.bytes, files, seconds, usage };
    if (counted) {
      c.api = perFile(apiCounts, files);
      c.store = perFile(sink.requests, files);
      c.apiPerFile = sum(c.api);
      c.storePerFile = sum(c.store);
    }
    cases.push(c);
    log(`${name} #${round}: ${seconds.toFixed(2)} s, ${(files / seconds).toFixed(files > 10 ? 0 : 1)} files/s, ${(r.bytes / seconds / 1e6).toFixed(0)} MB/s, renderer ${usage.peakRssMiB.renderer} MiB (the working one ${usage.workingRenderer?.peakMiB ?? '?'})`);
  };

  /** An untimed upload the sink keeps, for the downloads. */
  const kept = async (expression: string) => {
    sink.keep = true;
    const r = await page.evaluate<{ linkPath: string }>(expression);
    sink.keep = false;
    return JSON.stringify(r.linkPath);
  };

  try {
    if (options.smallFiles > 0) {
      log(`sets: ${options.smallFiles} files of ${FILE_SIZE / 1024} KiB, one set vs a link each`);
      await page.setInputFiles('#files', writeSmallFiles(path.join(ctx.dir, 'set-small'), options.smallFiles));
      const link = await kept(`bench.sets.upload(${s})`);
      for (let round = 1; round <= options.rounds; round++) {
        const eachLink = () => smallFilesCase(page, monitor, sink, apiCounts, `small files: a link each, upload #${round}`, `bench.uploadMany(false, ${s})`);
        const oneSet = () => run(CASES.smallSet, round, `bench.sets.upload(${s})`, false, true);
        if (round % 2) {
          perLink.push(await eachLink());
          await oneSet();
        } else {
          await oneSet();
          perLink.push(await eachLink());
        }
        await run(CASES.smallZip, round, `bench.sets.downloadZip(${link}, false, ${s})`);
        await run(CASES.smallZipSave, round, `bench.sets.downloadZip(${link}, true, ${s})`, true);
      }
      rmSync(path.join(ctx.dir, 'set-small'), { recursive: true, force: true });
    }

    if (options.bigSize > 0) {
      const each = Math.floor(options.bigSize / options.bigFiles);
      const total = each * options.bigFiles;
      log(`sets: one set of ${total / MiB} MiB in ${options.bigFiles} files vs one file`);
      const folder = path.join(ctx.dir, 'set-big');
      mkdirSync(folder, { recursive: true });
      const members = Array.from({ length: options.bigFiles }, (_, i) => path.join(folder, `part-${i + 1}.bin`));
      for (const m of members) await ctx.randomFile(m, each);
      const single = ctx.single?.size === total ? ctx.single.file : path.join(folder, 'single.bin');
      if (single !== ctx.single?.file) await ctx.randomFile(single, total);
      await page.setInputFile('#file', single);
      await page.setInputFiles('#files', members);
      const singleLink = await kept(`bench.upload(false, ${s})`);
      const setLink = await kept(`bench.sets.upload(${s})`);
      const before = options.before ?? process.env.BENCH_SETS_BEFORE === '1';
      const pairs: [string, string, boolean][][] = [
        [
          [CASES.singleUp, `bench.upload(false, ${s})`, false],
          [CASES.bigSetUp, `bench.sets.upload(${s})`, false],
        ],
        [
          [CASES.singleDown, `bench.downloadDecrypt(${singleLink}, false, ${s})`, false],
          [CASES.bigZip, `bench.sets.downloadZip(${setLink}, false, ${s})`, false],
          ...(before ? [[CASES.bigZipBefore, `bench.sets.downloadZip(${setLink}, false, ${s}, true)`, false] as [string, string, boolean]] : []),
        ],
        [
          [CASES.singleSave, `bench.downloadDecrypt(${singleLink}, true, ${s})`, true],
          [CASES.bigZipSave, `bench.sets.downloadZip(${setLink}, true, ${s})`, true],
          ...(before ? [[CASES.bigZipSaveBefore, `bench.sets.downloadZip(${setLink}, true, ${s}, true)`, true] as [string, string, boolean]] : []),
        ],
      ];
      for (let round = 1; round <= options.rounds; round++) {
        for (const pair of pairs) {
          for (const [name, expression, save] of round % 2 ? pair : [...pair].reverse()) {
            await run(name, round, expression, save);
          }
        }
      }
      rmSync(folder, { recursive: true, force: true });
    }
  } finally {
    await page.send('Page.close').catch(() => undefined);
    await app.close();
  }
  return { options, cases, perLink };
}
