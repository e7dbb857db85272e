/**
 * The sets cases' tables (bench/sets.ts): medians over the rounds, and each set case's time against
 * its single-link counterpart as the median of the rounds' own ratios (the machine drifts between
 * rounds; a pair within one round saw the same conditions).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { CASES, type SetCase, type SetsResult } from './sets.ts';
import { FILE_SIZE } from './small-files.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
};
const cpuSeconds = (c: SetCase) => Object.values(c.usage.cpuSeconds).reduce((a, b) => a + b, 0);
const list = (xs: Record<string, number> = {}) =>
  Object.entries(xs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v < 0.01 ? v.toFixed(4) : v.toFixed(2)}`)
    .join(', ');

interface Row {
  name: string;
  runs: number;
  seconds: number;
  files: number;
  bytes: number;
  filesPerSecond: number;
  mbps: number;
  cpuMsPerFile: number;
  cpuSecondsPerGiB: number;
  apiPerFile?: number;
  storePerFile?: number;
  renderer: number;
  browser: number;
}

function row(cases: SetCase[], name: string): Row | undefined {
  const rs = cases.filter((c) => c.name === name);
  if (rs.length === 0) return undefined;
  const { files, bytes } = rs[0];
  const seconds = median(rs.map((c) => c.seconds));
  const perFile = (k: 'apiPerFile' | 'storePerFile') => (rs[0][k] === undefined ? undefined : median(rs.map((c) => c[k] ?? 0)));
  return {
    name,
    runs: rs.length,
    seconds,
    files,
    bytes,
    filesPerSecond: files / seconds,
    mbps: bytes / seconds / 1e6,
    cpuMsPerFile: median(rs.map((c) => (cpuSeconds(c) * 1000) / c.files)),
    cpuSecondsPerGiB: median(rs.map((c) => cpuSeconds(c) / (c.bytes / GiB))),
    apiPerFile: perFile('apiPerFile'),
    storePerFile: perFile('storePerFile'),
    renderer: Math.max(...rs.map((c) => c.usage.peakRssMiB.renderer)),
    browser: Math.max(...rs.map((c) => c.usage.peakRssMiB.browser)),
  };
}

/** time(a) / time(b), round by round, and the median of those. */
function ratio(cases: SetCase[], a: string, b: string): { median: number; rounds: number[] } {
  const rounds = [...new Set(cases.map((c) => c.round))].sort((x, y) => x - y);
  const each = rounds.flatMap((r) => {
    const x = cases.find((c) => c.name === a && c.round === r);
    const y = cases.find((c) => c.name === b && c.round === r);
    return x && y ? [x.seconds / y.seconds] : [];
  });
  return { median: each.length ? median(each) : Number.NaN, rounds: each };
}
const times = (r: { median: number; rounds: number[] }) => `${r.median.toFixed(2)} × (rounds: ${r.rounds.map((x) => x.toFixed(2)).join(', ')})`;

function smallTable(result: SetsResult): string[] {
  const { cases, perLink } = result;
  const set = row(cases, CASES.smallSet);
  if (!set || perLink.length === 0) return [];
  const eachTime = median(perLink.map((r) => r.seconds));
  const perRound = perLink.map((p, i) => (cases.find((c) => c.name === CASES.smallSet && c.round === i + 1)?.seconds ?? Number.NaN) / p.seconds);
  const each = {
    filesPerSecond: perLink[0].files / eachTime,
    mbps: (perLink[0].files * FILE_SIZE) / eachTime / 1e6,
    cpuMsPerFile: median(perLink.map((r) => r.cpuMsPerFile)),
    apiPerFile: median(perLink.map((r) => r.apiPerFile)),
    storePerFile: median(perLink.map((r) => r.storePerFile)),
    renderer: Math.max(...perLink.map((r) => r.peakRendererMiB)),
  };
  const fmt = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(x < 0.1 ? 3 : 2));
  const line = (name: string, r: { filesPerSecond: number; mbps: number; cpuMsPerFile: number; apiPerFile?: number; storePerFile?: number; renderer: number }, s: number) =>
    `| ${name} | ${r.filesPerSecond.toFixed(0)} | ${r.mbps.toFixed(1)} | ${s.toFixed(2)} | ${r.cpuMsPerFile.toFixed(2)} | ${fmt(r.apiPerFile)} | ${fmt(r.storePerFile)} | ${r.renderer} |`;
  const zips = [CASES.smallZip, CASES.smallZipSave].map((n) => row(cases, n)).filter((r): r is Row => r !== undefined);
  const setCase = cases.find((c) => c.name === CASES.smallSet);
  return [
    `**Many small files, one link**: ${set.files} files of ${FILE_SIZE / 1024} KiB as one set (packed into ${set.files * FILE_SIZE <= 16 * MiB ? 'one blob' : 'blobs of up to 16 MiB'}) against a link each (small-files.ts, 3 files at once), ${perLink.length} alternating rounds (medians). One set takes ${times({ median: median(perRound), rounds: perRound })} the time of a link each.`,
    '',
    '| case | files/s | MB/s | s | CPU-ms per file | API calls per file | store requests per file | peak renderer (MiB) |',
    '|---|---|---|---|---|---|---|---|',
    line('a link each: encrypted upload', each, eachTime),
    line('one set: upload (PageSets, queue, manifest, complete)', set, set.seconds),
    ...zips.map((z) => line(z.name.replace('small files: one set, ', 'one set: '), z, z.seconds)),
    '',
    `- one set, per file: API ${list(setCase?.api)}; store ${list(setCase?.store)}.`,
    `- a link each, per file: API ${list(perLink[0].api)}; store ${list(perLink[0].store)}.`,
  ];
}

function bigTable(result: SetsResult): string[] {
  const { cases, options } = result;
  const pairs: [string, string][] = [
    [CASES.bigSetUp, CASES.singleUp],
    [CASES.bigZip, CASES.singleDown],
    [CASES.bigZipSave, CASES.singleSave],
  ];
  const rows = pairs.flatMap(([set, single]) => {
    const a = row(cases, single);
    const b = row(cases, set);
    if (!a || !b) return [];
    return [
      { r: a, vs: '1' },
      { r: b, vs: times(ratio(cases, set, single)) },
    ];
  });
  if (rows.length === 0) return [];
  const total = rows[0].r.bytes;
  return [
    `**One set of ${total / GiB} GiB in ${options.bigFiles} files** (${total / options.bigFiles / MiB} MiB each, a blob each) against one ${total / GiB} GiB file, ${options.rounds} alternating rounds (medians; the set's time over the file's, round by round).`,
    '',
    '| case | MB/s | s | time vs one file | CPU-s/GiB | peak RSS renderer / browser (MiB) |',
    '|---|---|---|---|---|---|',
    ...rows.map(({ r, vs }) => `| ${r.name} | ${r.mbps.toFixed(0)} | ${r.seconds.toFixed(2)} | ${vs} | ${r.cpuSecondsPerGiB.toFixed(2)} | ${r.renderer} / ${r.browser} |`),
  ];
}

export function setsTable(result: SetsResult): string {
  const small = smallTable(result);
  const big = bigTable(result);
  return [...small, ...(small.length && big.length ? [''] : []), ...big].join('\n');
}

/** Prints the tables and keeps them, with every round's figures, in bench/results/<date>-sets[-label].{md,json}. */
export function saveSets(result: SetsResult, header: string, label?: string): string {
  const name = `${new Date().toISOString().slice(0, 10)}-sets${label ? `-${label}` : ''}`;
  const md = [header, '', setsTable(result)].join('\n');
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${name}.json`, `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(`bench/results/${name}.md`, `${md}\n`);
  console.log(md);
  return md;
}
