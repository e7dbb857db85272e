/**
 * CPU time and page faults per process and per thread, from /proc (the profile mode, run.ts
 * --profile): utime+stime, minflt and majflt of /proc/<pid>/task/<tid>/stat, named by
 * /proc/<pid>/task/<tid>/comm, for Chromium's whole process tree and our own servers.
 *
 * Threads come and go during a case (the worker pool replaces each worker after 8 parts), and a
 * thread's counters vanish with it: every thread is sampled every SAMPLE_MS and its last values
 * kept. What a thread did after its last sample is still in its process's own counters
 * (/proc/<pid>/stat adds up exited threads), so each process reports the rest as "exited threads
 * (after their last sample)": nothing is lost, only less precisely placed.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;
const SAMPLE_MS = 100;
/** The process tree is scanned again every this many samples (processes rarely start mid-case). */
const RESCAN_EVERY = 10;

interface Counters {
  ticks: number;
  minflt: number;
  majflt: number;
}

const zero = (): Counters => ({ ticks: 0, minflt: 0, majflt: 0 });
const minus = (a: Counters, b: Counters): Counters => ({ ticks: a.ticks - b.ticks, minflt: a.minflt - b.minflt, majflt: a.majflt - b.majflt });

/** utime+stime (ticks), minflt, majflt, ppid of a /proc stat line (fields counted after the comm). */
function parseStat(stat: string): Counters & { ppid: number } {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), minflt: Number(f[7]), majflt: Number(f[9]), ticks: Number(f[11]) + Number(f[12]) };
}

const readText = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/** Which Chromium process, by its command line: the browser, a renderer, or a utility by its service. */
function processKind(cmdline: string, isBrowser: boolean): string {
  if (isBrowser) return 'browser';
  const type = /--type=(\S+)/.exec(cmdline)?.[1] ?? 'other';
  if (type !== 'utility') return type;
  const service = /--utility-sub-type=(\S+)/.exec(cmdline)?.[1] ?? '';
  if (service.startsWith('network.')) return 'network service';
  if (service.startsWith('storage.')) return 'storage service';
  return `utility ${service}`;
}

export interface ThreadUsage {
  process: string;
  pid: number;
  tid: number;
  name: string;
  cpuSeconds: number;
  minflt: number;
  majflt: number;
}

export interface ProcessUsage {
  process: string;
  pid: number;
  cpuSeconds: number;
  minflt: number;
  majflt: number;
}

export interface ThreadProfile {
  threads: ThreadUsage[];
  processes: ProcessUsage[];
  /** CPU-seconds this monitor's own sampling cost the harness, left out of the harness's figures */
  monitorSeconds: number;
}

/** Samples after which a thread's name is taken as final (a new thread is named a moment after it starts). */
const NAMING_SAMPLES = 5;

interface Tracked {
  process: string;
  start: Counters;
  last: Counters;
}

export class ThreadMonitor {
  private timer: ReturnType<typeof setInterval> | undefined;
  private threads = new Map<string, Tracked & { pid: number; tid: number; name: string; seen: number }>();
  private processes = new Map<number, Tracked>();
  private tree = new Map<number, string>();
  private samples = 0;
  /** CPU the sampling itself cost this (the harness) process, taken off its main thread's share. */
  private selfMicros = 0;

  /** `servers`: our Node processes by name (the harness itself hosts the sink and the presign app). */
  constructor(
    private readonly browserPid: number,
    private readonly servers: () => Record<string, number>,
  ) {}

  /** The processes to watch, with their kinds: Chromium's tree and the servers. */
  private watched(): Map<number, string> {
    const parents = new Map<number, { ppid: number; cmdline: string }>();
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid)) continue;
      const stat = readText(`/proc/${pid}/stat`);
      if (stat) parents.set(pid, { ppid: parseStat(stat).ppid, cmdline: (readText(`/proc/${pid}/cmdline`) ?? '').replace(/\0/g, ' ') });
    }
    const out = new Map<number, string>();
    for (const [pid, { cmdline }] of parents) {
      for (let p = pid, hops = 0; p > 1 && hops < 10; hops++) {
        if (p === this.browserPid) {
          out.set(pid, processKind(cmdline, pid === this.browserPid));
          break;
        }
        p = parents.get(p)?.ppid ?? 0;
      }
    }
    for (const [name, pid] of Object.entries(this.servers())) out.set(pid, name);
    return out;
  }

  private sample(first: boolean): void {
    const before = process.cpuUsage();
    if (first || this.samples++ % RESCAN_EVERY === 0) this.tree = this.watched();
    for (const [pid, kind] of this.tree) {
      const stat = readText(`/proc/${pid}/stat`);
      if (!stat) continue;
      const counters = parseStat(stat);
      const known = this.processes.get(pid);
      if (known) known.last = counters;
      else this.processes.set(pid, { process: kind, start: first ? counters : zero(), last: counters });
      let tids: string[] = [];
      try {
        tids = readdirSync(`/proc/${pid}/task`);
      } catch {
        continue;
      }
      for (const tid of tids) {
        const tstat = readText(`/proc/${pid}/task/${tid}/stat`);
        if (!tstat) continue;
        const c = parseStat(tstat);
        const key = `${pid}/${tid}`;
        const thread = this.threads.get(key);
        const name = () => {
          const comm = (readText(`/proc/${pid}/task/${tid}/comm`) ?? '?').trim();
          return Number(tid) === pid ? `main thread (${comm})` : comm;
        };
        if (!thread) this.threads.set(key, { process: kind, pid, tid: Number(tid), name: name(), seen: 1, start: first ? c : zero(), last: c });
        else {
          thread.last = c;
          if (thread.seen++ < NAMING_SAMPLES) thread.name = name();
        }
      }
    }
    const spent = process.cpuUsage(before);
    if (!first) this.selfMicros += spent.user + spent.system;
  }

  start(): void {
    this.threads = new Map();
    this.processes = new Map();
    this.selfMicros = 0;
    this.sample(true);
    this.timer = setInterval(() => this.sample(false), SAMPLE_MS);
  }

  stop(): ThreadProfile {
    clearInterval(this.timer);
    this.sample(false);
    const threads: ThreadUsage[] = [];
    const attributed = new Map<number, Counters>();
    for (const t of this.threads.values()) {
      const d = minus(t.last, t.start);
      const sum = attributed.get(t.pid) ?? zero();
      attributed.set(t.pid, { ticks: sum.ticks + d.ticks, minflt: sum.minflt + d.minflt, majflt: sum.majflt + d.majflt });
      if (d.ticks > 0 || d.minflt > 0)
        threads.push({ process: t.process, pid: t.pid, tid: t.tid, name: t.name, cpuSeconds: d.ticks / TICKS_PER_SECOND, minflt: d.minflt, majflt: d.majflt });
    }
    // The sampling's own cost, measured around each sample, is taken off the harness's main thread.
    const self = this.selfMicros / 1e6;
    const main = threads.find((t) => t.pid === process.pid && t.tid === process.pid);
    if (main) main.cpuSeconds = Math.max(0, main.cpuSeconds - self);
    const processes: ProcessUsage[] = [];
    for (const [pid, p] of this.processes) {
      const d = minus(p.last, p.start);
      const rest = minus(d, attributed.get(pid) ?? zero());
      if (rest.ticks > 0 || rest.minflt > 0) {
        threads.push({
          process: p.process,
          pid,
          tid: 0,
          name: 'exited threads (after their last sample)',
          cpuSeconds: Math.max(0, rest.ticks) / TICKS_PER_SECOND,
          minflt: Math.max(0, rest.minflt),
          majflt: Math.max(0, rest.majflt),
        });
      }
      const own = pid === process.pid ? self : 0;
      if (d.ticks > 0 || d.minflt > 0)
        processes.push({ process: p.process, pid, cpuSeconds: Math.max(0, d.ticks / TICKS_PER_SECOND - own), minflt: d.minflt, majflt: d.majflt });
    }
    return { threads, processes, monitorSeconds: self };
  }
}
