/**
 * CPU time and RSS of a process tree from /proc, sampled while a case runs: CPU-seconds per
 * process kind (Chromium's browser, renderer, network and GPU/utility processes, and our own
 * servers) and the peak RSS of each kind over the case.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;
const PAGE_KIB = 4;
const SAMPLE_MS = 100;

export type Kind = 'browser' | 'renderer' | 'network' | 'other-chromium' | 'servers';

interface Sample {
  cpuTicks: number;
  rssKiB: number;
}

function read(pid: number): { ppid: number; sample: Sample; cmdline: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return { ppid: Number(fields[1]), sample: { cpuTicks: Number(fields[11]) + Number(fields[12]), rssKiB: Number(fields[21]) * PAGE_KIB }, cmdline };
  } catch {
    return null;
  }
}

function kindOf(cmdline: string, isRoot: boolean): Kind {
  if (isRoot) return 'browser';
  if (cmdline.includes('--type=renderer')) return 'renderer';
  if (cmdline.includes('network.mojom.NetworkService')) return 'network';
  return 'other-chromium';
}

/** What a process's resident memory was made of (/proc/<pid>/status), in MiB. */
export interface RssSplit {
  anon: number;
  file: number;
  shmem: number;
}

export interface CaseUsage {
  cpuSeconds: Record<Kind, number>;
  peakRssMiB: Record<Kind, number>;
  /** The renderer's RSS at its peak, split: which kind of memory a high peak is (issue 15, memory target 3). */
  rendererPeakSplit: RssSplit | null;
  /**
   * The renderer that did the case's work (the most CPU: the page's, its workers', its service
   * worker's process) apart from the others: `peakRssMiB.renderer` is the highest of any renderer,
   * idle pages of the benchmark's other origins included, which keep what their last case left.
   */
  workingRenderer: { peakMiB: number; split: RssSplit | null; othersPeakMiB: number } | null;
}

/** Every `Name: n kB` line of /proc/<pid>/status (VmRSS, VmHWM, RssAnon, RssFile, RssShmem…), in MiB; null once the process is gone. */
export function statusMiB(pid: number): Record<string, number> | null {
  try {
    const out: Record<string, number> = {};
    for (const m of readFileSync(`/proc/${pid}/status`, 'utf8').matchAll(/^(\w+):\s+(\d+) kB/gm)) out[m[1]] = Math.round(Number(m[2]) / 1024);
    return out;
  } catch {
    return null;
  }
}

function rssSplit(pid: number): RssSplit | null {
  const status = statusMiB(pid);
  return status && { anon: status.RssAnon ?? 0, file: status.RssFile ?? 0, shmem: status.RssShmem ?? 0 };
}

const parentOf = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
};

/** The renderer processes of the browser whose process is `browserPid` (not other sessions' Chromiums). */
export function rendererPids(browserPid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      let p = Number(name);
      for (let hops = 0; p > 1 && hops < 5 && p !== browserPid; hops++) p = parentOf(p);
      if (p === browserPid) out.push(Number(name));
    } catch {}
  }
  return out;
}

const zero = (): Record<Kind, number> => ({ browser: 0, renderer: 0, network: 0, 'other-chromium': 0, servers: 0 });

export class ProcessMonitor {
  private timer: ReturnType<typeof setInterval> | undefined;
  private startTicks = new Map<number, number>();
  private lastTicks = new Map<number, { kind: Kind; ticks: number }>();
  private peak = zero();
  /** Each renderer's peak in this case, and what it was made of then. */
  private rendererPeaks = new Map<number, { kib: number; split: RssSplit | null }>();
  private serverCpuStart = process.cpuUsage();

  constructor(
    private readonly browserPid: number,
    private readonly serverPids: () => number[],
  ) {}

  /** Every process in the browser's tree, with its kind, plus the servers. */
  private snapshot(): Map<number, { kind: Kind; sample: Sample }> {
    const all = new Map<number, { ppid: number; sample: Sample; cmdline: string }>();
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid)) continue;
      const info = read(pid);
      if (info) all.set(pid, info);
    }
    const out = new Map<number, { kind: Kind; sample: Sample }>();
    const inTree = (pid: number): boolean => {
      for (let p = pid, hops = 0; p > 1 && hops < 10; hops++) {
        if (p === this.browserPid) return true;
        p = all.get(p)?.ppid ?? 0;
      }
      return false;
    };
    for (const [pid, info] of all) if (inTree(pid)) out.set(pid, { kind: kindOf(info.cmdline, pid === this.browserPid), sample: info.sample });
    for (const pid of this.serverPids()) {
      const info = all.get(pid);
      if (info) out.set(pid, { kind: 'servers', sample: info.sample });
    }
    return out;
  }

  private sample(): void {
    const rss = zero();
    for (const [pid, { kind, sample }] of this.snapshot()) {
      if (!this.startTicks.has(pid)) this.startTicks.set(pid, kind === 'servers' ? sample.cpuTicks : 0);
      this.lastTicks.set(pid, { kind, ticks: sample.cpuTicks });
      rss[kind] = Math.max(rss[kind], sample.rssKiB);
      if (kind === 'renderer' && sample.rssKiB > (this.rendererPeaks.get(pid)?.kib ?? 0)) this.rendererPeaks.set(pid, { kib: sample.rssKiB, split: rssSplit(pid) });
    }
    for (const kind of Object.keys(rss) as Kind[]) this.peak[kind] = Math.max(this.peak[kind], rss[kind]);
  }

  start(): void {
    this.startTicks = new Map();
    this.lastTicks = new Map();
    this.peak = zero();
    this.rendererPeaks = new Map();
    for (const [pid, { sample }] of this.snapshot()) this.startTicks.set(pid, sample.cpuTicks);
    this.serverCpuStart = process.cpuUsage();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  stop(): CaseUsage {
    clearInterval(this.timer);
    this.sample();
    const cpu = zero();
    for (const [pid, { kind, ticks }] of this.lastTicks) cpu[kind] += (ticks - (this.startTicks.get(pid) ?? 0)) / TICKS_PER_SECOND;
    // The harness process hosts the sink and the presign server: its CPU counts as the servers'.
    const own = process.cpuUsage(this.serverCpuStart);
    cpu.servers += (own.user + own.system) / 1e6;
    const peakRssMiB = zero();
    for (const kind of Object.keys(this.peak) as Kind[]) peakRssMiB[kind] = Math.round(this.peak[kind] / 1024);
    const peaks = [...this.rendererPeaks];
    const highest = peaks.reduce<(typeof peaks)[number] | undefined>((a, p) => (a && a[1].kib >= p[1].kib ? a : p), undefined);
    const busiest = peaks.reduce<{ pid: number; ticks: number } | undefined>((a, [pid]) => {
      const ticks = (this.lastTicks.get(pid)?.ticks ?? 0) - (this.startTicks.get(pid) ?? 0);
      return a && a.ticks >= ticks ? a : { pid, ticks };
    }, undefined);
    const working = busiest && this.rendererPeaks.get(busiest.pid);
    const mib = (kib: number) => Math.round(kib / 1024);
    const workingRenderer = working
      ? { peakMiB: mib(working.kib), split: working.split, othersPeakMiB: mib(Math.max(0, ...peaks.filter(([pid]) => pid !== busiest.pid).map(([, p]) => p.kib))) }
      : null;
    return { cpuSeconds: cpu, peakRssMiB, rendererPeakSplit: highest?.[1].split ?? null, workingRenderer };
  }
}
