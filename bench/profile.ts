/**
 * The profile mode (`npm run bench -- --profile`): where the CPU of an encrypted upload and of a
 * decrypting download goes, against their plain baselines, in CPU-seconds per GiB:
 *
 * 1. By process and thread, from /proc (threads.ts): every Chromium thread, our Node servers.
 * 2. By stage, from ablation cases (profile.worker.ts): the upload path run as plain, + the read,
 *    + seal and its tag digest, + the spool (the real path). Each step's extra CPU-seconds count every
 *    thread of every process, so work a stage causes elsewhere (the browser process serving a
 *    File read, the network service reading a spool file) is charged to that stage.
 * 3. Inside the workers, from stage timers around the browser APIs (stage-timers.ts): on-thread
 *    time of synchronous calls and the waits on asynchronous ones.
 * Page faults per MiB moved, per process, say how much of it is fresh memory.
 */
import type { Page } from './cdp.ts';
import type { StageStat, Stages } from './page/stage-timers.ts';
import type { ThreadMonitor, ThreadProfile } from './threads.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface ProfileCase {
  name: string;
  /** what the page runs */
  expression: string;
}

export interface ProfileRun {
  name: string;
  round: number;
  bytes: number;
  seconds: number;
  profile: ThreadProfile;
  stages: Stages;
}

const log = (line: string) => console.error(`[bench] ${line}`);

/** Runs each case `rounds` times, alternating, with the thread monitor and the stage timers on. */
export async function runProfile(page: Page, monitor: ThreadMonitor, cases: ProfileCase[], rounds: number): Promise<ProfileRun[]> {
  const runs: ProfileRun[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const c of cases) {
      await page.evaluate('bench.stagesStart()');
      monitor.start();
      const r = await page.evaluate<{ ms: number; bytes: number }>(c.expression);
      const profile = monitor.stop();
      const stages = await page.evaluate<Stages>('bench.stagesSince()');
      const cpu = profile.processes.reduce((n, p) => n + p.cpuSeconds, 0);
      log(`profile ${c.name} #${round}: ${(r.bytes / r.ms / 1000).toFixed(0)} MB/s, ${(cpu / (r.bytes / GiB)).toFixed(2)} CPU-s/GiB`);
      runs.push({ name: c.name, round, bytes: r.bytes, seconds: r.ms / 1000, profile, stages });
    }
  }
  return runs;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const f2 = (x: number) => (Math.abs(x) < 0.005 ? '0' : x.toFixed(2));

/** A thread's row: its process kind and its name (the pool's workers, which come and go, as one row). */
function threadRow(process: string, name: string): string {
  const thread = name.startsWith('DedicatedWorker') ? 'DedicatedWorker threads (the pool)' : name;
  return `${process} · ${thread}`;
}

interface Grouped {
  cpu: number;
  minflt: number;
  threads: number;
}

/** Per case: CPU-s/GiB and faults per MiB of each row, averaged over rounds. */
function byRow(runs: ProfileRun[], rowOf: (p: ThreadProfile) => Map<string, Grouped>): Map<string, Map<string, Grouped>> {
  const out = new Map<string, Map<string, Grouped>>();
  for (const name of new Set(runs.map((r) => r.name))) {
    const rs = runs.filter((r) => r.name === name);
    const perRound = rs.map((r) => ({ gib: r.bytes / GiB, mib: r.bytes / MiB, rows: rowOf(r.profile) }));
    const keys = new Set(perRound.flatMap((p) => [...p.rows.keys()]));
    const row = new Map<string, Grouped>();
    for (const key of keys) {
      row.set(key, {
        cpu: mean(perRound.map((p) => (p.rows.get(key)?.cpu ?? 0) / p.gib)),
        minflt: mean(perRound.map((p) => (p.rows.get(key)?.minflt ?? 0) / p.mib)),
        threads: Math.max(...perRound.map((p) => p.rows.get(key)?.threads ?? 0)),
      });
    }
    out.set(name, row);
  }
  return out;
}

const groupThreads = (p: ThreadProfile) => {
  const rows = new Map<string, Grouped>();
  for (const t of p.threads) {
    const key = threadRow(t.process, t.name);
    const g = rows.get(key) ?? { cpu: 0, minflt: 0, threads: 0 };
    rows.set(key, { cpu: g.cpu + t.cpuSeconds, minflt: g.minflt + t.minflt, threads: g.threads + (t.tid > 0 ? 1 : 0) });
  }
  return rows;
};

const groupProcesses = (p: ThreadProfile) => {
  const rows = new Map<string, Grouped>();
  for (const q of p.processes) {
    const g = rows.get(q.process) ?? { cpu: 0, minflt: 0, threads: 0 };
    rows.set(q.process, { cpu: g.cpu + q.cpuSeconds, minflt: g.minflt + q.minflt, threads: g.threads + 1 });
  }
  return rows;
};

/** Rows whose CPU stays below this in every case are summed into "other threads". */
const SMALL = 0.1;

export function profileTables(runs: ProfileRun[], labels: Record<string, string>): string {
  const names = [...new Set(runs.map((r) => r.name))];
  const head = (first: string) => [`| ${first} | ${names.map((n) => labels[n] ?? n).join(' | ')} |`, `|---|${names.map(() => '---:').join('|')}|`];
  const lines: string[] = [];

  const threads = byRow(runs, groupThreads);
  const processes = byRow(runs, groupProcesses);
  const total = (name: string) => [...(processes.get(name)?.values() ?? [])].reduce((n, g) => n + g.cpu, 0);
  const seconds = (name: string) => mean(runs.filter((r) => r.name === name).map((r) => r.seconds));
  const mbps = (name: string) => mean(runs.filter((r) => r.name === name).map((r) => r.bytes / r.seconds / 1e6));

  lines.push('**CPU-seconds per GiB, by process and thread** (mean of the rounds; /proc utime+stime):', '', ...head('process · thread'));
  const keys = [...new Set([...threads.values()].flatMap((m) => [...m.keys()]))];
  const peak = (key: string) => Math.max(...names.map((n) => threads.get(n)?.get(key)?.cpu ?? 0));
  const big = keys.filter((k) => peak(k) >= SMALL).sort((a, b) => peak(b) - peak(a));
  const small = keys.filter((k) => peak(k) < SMALL);
  for (const key of big) {
    const count = Math.max(...names.map((n) => threads.get(n)?.get(key)?.threads ?? 0));
    const label = count > 1 ? `${key} (${count} threads)` : key;
    lines.push(`| ${label} | ${names.map((n) => f2(threads.get(n)?.get(key)?.cpu ?? 0)).join(' | ')} |`);
  }
  lines.push(
    `| other threads (${small.length}, each < ${SMALL}) | ${names.map((n) => f2(small.reduce((s, k) => s + (threads.get(n)?.get(k)?.cpu ?? 0), 0))).join(' | ')} |`,
  );
  lines.push(`| **total** | ${names.map((n) => `**${f2(total(n))}**`).join(' | ')} |`);
  lines.push(`| MB/s (wall) | ${names.map((n) => mbps(n).toFixed(0)).join(' | ')} |`);
  lines.push(`| seconds | ${names.map((n) => seconds(n).toFixed(2)).join(' | ')} |`);

  lines.push('', '**Per process: CPU-s/GiB and minor page faults per MiB moved**:', '', ...head('process'));
  const kinds = [...new Set([...processes.values()].flatMap((m) => [...m.keys()]))].sort(
    (a, b) => Math.max(...names.map((n) => processes.get(n)?.get(b)?.cpu ?? 0)) - Math.max(...names.map((n) => processes.get(n)?.get(a)?.cpu ?? 0)),
  );
  for (const kind of kinds) {
    lines.push(
      `| ${kind} | ${names
        .map((n) => {
          const g = processes.get(n)?.get(kind);
          return g ? `${f2(g.cpu)} s, ${g.minflt.toFixed(0)} flt` : '–';
        })
        .join(' | ')} |`,
    );
  }
  const majflt = mean(runs.map((r) => r.profile.processes.reduce((n, p) => n + p.majflt, 0)));
  const monitor = mean(runs.map((r) => r.profile.monitorSeconds / (r.bytes / GiB)));
  lines.push(
    '',
    `Major page faults (from disk), all processes: ${majflt.toFixed(0)} per case on average. The /proc sampling itself cost the harness ${monitor.toFixed(2)} CPU-s/GiB, left out above.`,
  );
  return lines.join('\n');
}

/** The CPU each ablation step adds, by process: `steps` are [label, case, baseline case]. */
export function stageTable(runs: ProfileRun[], steps: [string, string, string | null][]): string {
  const processes = byRow(runs, groupProcesses);
  const kinds = [...new Set([...processes.values()].flatMap((m) => [...m.keys()]))];
  const cpu = (name: string, kind: string) => processes.get(name)?.get(kind)?.cpu ?? 0;
  const flt = (name: string) => [...(processes.get(name)?.values() ?? [])].reduce((n, g) => n + g.minflt, 0);
  const shown = kinds.filter((k) => steps.some(([, c, b]) => Math.abs(cpu(c, k) - (b ? cpu(b, k) : 0)) >= 0.1));
  const lines = [`| stage | ${shown.join(' | ')} | all processes | page faults per MiB |`, `|---|${shown.map(() => '---:').join('|')}|---:|---:|`];
  for (const [label, c, b] of steps) {
    const d = (k: string) => cpu(c, k) - (b ? cpu(b, k) : 0);
    const all = kinds.reduce((n, k) => n + d(k), 0);
    lines.push(`| ${label} | ${shown.map((k) => f2(d(k))).join(' | ')} | **${f2(all)}** | ${(flt(c) - (b ? flt(b) : 0)).toFixed(0)} |`);
  }
  return lines.join('\n');
}

/** The workers' stage timers of one case, per GiB: on-thread (synchronous) ms and awaited ms. */
export function timerTable(runs: ProfileRun[], name: string): string {
  const rs = runs.filter((r) => r.name === name);
  const stageNames = [...new Set(rs.flatMap((r) => Object.keys(r.stages)))].sort();
  const per = (stage: string, k: keyof StageStat) => mean(rs.map((r) => (r.stages[stage]?.[k] ?? 0) / (r.bytes / GiB)));
  const lines = ['| worker stage (per GiB) | calls | MiB | on-thread ms (sync) | awaited ms (sum over calls) |', '|---|---:|---:|---:|---:|'];
  for (const stage of stageNames) {
    lines.push(
      `| ${stage} | ${per(stage, 'calls').toFixed(0)} | ${(per(stage, 'bytes') / MiB).toFixed(0)} | ${per(stage, 'syncMs').toFixed(0)} | ${per(stage, 'wallMs').toFixed(0)} |`,
    );
  }
  return lines.join('\n');
}
