/**
 * Many small files through the page (issue 15, item 5): FILES files of FILE_SIZE each, encrypted
 * against the plain baseline of the same engine, as files per second and requests per file —
 * calls to the presign API and requests the store received (the browser's PUTs and preflights,
 * and the presign server's own calls such as CreateMultipartUpload), counted where they arrive.
 */
import { randomFillSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Page } from './cdp.ts';
import type { ProcessMonitor } from './procs.ts';
import type { Sink } from './sink.ts';

export const FILES = 1000;
export const FILE_SIZE = 10 * 1024;

export interface SmallFilesResult {
  name: string;
  files: number;
  seconds: number;
  filesPerSecond: number;
  /** CPU-ms per file, every process */
  cpuMsPerFile: number;
  /** CPU-ms per file by process kind (procs.ts; servers: the presign app and the sink, one Node process) */
  cpuMsPerFileBy: Record<string, number>;
  apiPerFile: number;
  storePerFile: number;
  /** requests by kind, per file */
  api: Record<string, number>;
  store: Record<string, number>;
  peakRendererMiB: number;
}

/** Counts the API's requests by method and route (ids folded), from the app's HTTP server. */
export function countApiRequests(server: Server): Map<string, number> {
  const counts = new Map<string, number>();
  server.on('request', (req: { method?: string; url?: string }) => {
    const route = (req.url ?? '').split('?')[0].replace(/\/[A-Za-z0-9_-]{16,}/g, '/:id');
    if (!route.startsWith('/api/')) return;
    const key = `${req.method} ${route}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  return counts;
}

export function writeSmallFiles(dir: string, count = FILES): string[] {
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: count }, (_, i) => {
    const file = path.join(dir, `small-${String(i).padStart(4, '0')}.bin`);
    writeFileSync(file, randomFillSync(Buffer.alloc(FILE_SIZE)));
    return file;
  });
}

const perFile = (counts: Map<string, number>, files: number) => Object.fromEntries([...counts].map(([k, v]) => [k, v / files]));
const sum = (xs: Record<string, number>) => Object.values(xs).reduce((a, b) => a + b, 0);

export async function smallFilesCase(
  page: Page,
  monitor: ProcessMonitor,
  sink: Sink,
  api: Map<string, number>,
  name: string,
  expression: string,
): Promise<SmallFilesResult> {
  api.clear();
  sink.requests.clear();
  monitor.start();
  const r = await page.evaluate<{ ms: number; files: number }>(expression);
  const usage = monitor.stop();
  const cpu = Object.values(usage.cpuSeconds).reduce((a, b) => a + b, 0);
  const apiPer = perFile(api, r.files);
  const storePer = perFile(sink.requests, r.files);
  const result = {
    name,
    files: r.files,
    seconds: r.ms / 1000,
    filesPerSecond: r.files / (r.ms / 1000),
    cpuMsPerFile: (cpu * 1000) / r.files,
    cpuMsPerFileBy: Object.fromEntries(Object.entries(usage.cpuSeconds).map(([k, v]) => [k, (v * 1000) / r.files])),
    apiPerFile: sum(apiPer),
    storePerFile: sum(storePer),
    api: apiPer,
    store: storePer,
    peakRendererMiB: usage.peakRssMiB.renderer,
  };
  console.error(
    `[bench] ${name}: ${result.filesPerSecond.toFixed(0)} files/s, ${result.apiPerFile.toFixed(2)} API + ${result.storePerFile.toFixed(2)} store requests per file`,
  );
  return result;
}

const list = (xs: Record<string, number>) =>
  Object.entries(xs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(2)}`)
    .join(', ');

/** The encrypted case's time over the plain baseline's (issue 15: ≤ 2 ×), if both ran. */
export function smallFilesRatio(results: SmallFilesResult[]): number | undefined {
  const plain = results.find((r) => r.name.startsWith('plain'));
  const encrypted = results.find((r) => r.name.startsWith('encrypted'));
  return plain && encrypted ? encrypted.seconds / plain.seconds : undefined;
}

export function smallFilesTable(results: SmallFilesResult[]): string {
  const r = smallFilesRatio(results);
  const ratio = r === undefined ? '' : ` Encrypted takes ${r.toFixed(2)} × the plain time (target ≤ 2 ×).`;
  return [
    `Many small files: ${results[0]?.files ?? FILES} files of ${FILE_SIZE / 1024} KiB through the page, 3 files at once (the queue's FILES_IN_FLIGHT), each a whole upload.${ratio}`,
    '',
    '| case | files/s | s | CPU-ms per file | API calls per file | store requests per file | peak renderer (MiB) |',
    '|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.filesPerSecond.toFixed(0)} | ${r.seconds.toFixed(2)} | ${r.cpuMsPerFile.toFixed(1)} | ${r.apiPerFile.toFixed(2)} | ${r.storePerFile.toFixed(2)} | ${r.peakRendererMiB} |`,
    ),
    '',
    ...results.map(
      (r) =>
        `- ${r.name}: API ${list(r.api)}; store ${list(r.store)}; CPU-ms per file ${list(Object.fromEntries(Object.entries(r.cpuMsPerFileBy).map(([k, v]) => [k, Math.round(v * 10) / 10])))}.`,
    ),
  ].join('\n');
}
