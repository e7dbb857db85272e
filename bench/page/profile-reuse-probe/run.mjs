// Issue 15's reuse probe: is a fresh buffer's page-fault cost avoided by giving it back at once?
//   node bench/page/profile-reuse-probe/run.mjs [rounds]
// Two workers read a 1 GiB file (in /tmp) in 16 MiB slices through the default reader, copying each
// chunk into a reused buffer, then (seal) AES-GCM over 512 KiB frames into a reused buffer. Every
// Chromium process's CPU and minor faults come from /proc. README "Where the CPU goes" has the results.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const dir = path.dirname(fileURLToPath(import.meta.url));
const page = `<!doctype html><input type=file id=f><script src=page.js></script>`;
const pageJs = `window.run = (o) => Promise.all([0, 1].map((lane) => new Promise((res) => {
  const w = new Worker('worker.js');
  w.onmessage = (e) => { res(e.data); w.terminate(); };
  w.postMessage({ file: document.getElementById('f').files[0], lane, lanes: 2, ...o });
}))).then((r) => ({ bytes: r[0].bytes + r[1].bytes, sizes: r[0].sizes }));`;
const server = http
  .createServer((q, r) => {
    r.setHeader('content-type', q.url.endsWith('.js') ? 'text/javascript' : 'text/html');
    if (q.url === '/worker.js') return fs.createReadStream(path.join(dir, 'worker.js')).pipe(r);
    r.end(q.url === '/page.js' ? pageJs : page);
  })
  .listen(0);
const file = '/tmp/cipherdrop-reuse-probe.bin';
const GiB = 1024 ** 3;
if (!fs.existsSync(file) || fs.statSync(file).size !== GiB) {
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(16 * 1024 * 1024, 7);
  for (let i = 0; i < 64; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
}
const tick = 100; // USER_HZ
const usage = (pids) => {
  let cpu = 0;
  let faults = 0;
  for (const pid of pids) {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      faults += Number(f[7]);
      cpu += (Number(f[11]) + Number(f[12])) / tick;
    } catch {}
  }
  return { cpu, faults };
};
const chromiumPids = () =>
  fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('chromium'); } catch { return false; }
  });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const tab = await browser.newPage();
await tab.goto(`http://127.0.0.1:${server.address().port}/`);
await tab.setInputFiles('#f', file);
const cases = JSON.parse(process.argv[3] ?? 'null') ?? [
  { mode: 'gc', seal: false }, { mode: 'free', seal: false },
  { mode: 'gc', seal: true }, { mode: 'free', seal: true },
];
const rounds = Number(process.argv[2] ?? 2);
for (let r = 0; r < rounds; r++) {
  for (const o of r % 2 ? [...cases].reverse() : cases) {
    const pids = chromiumPids();
    const a = usage(pids);
    const renderers = pids.filter((p) => { try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--type=renderer'); } catch { return false; } });
    let peak = 0;
    const sampler = setInterval(() => {
      let rss = 0;
      for (const p of renderers) { try { rss += Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))[1]); } catch {} }
      peak = Math.max(peak, rss / 1024);
    }, 50);
    const t = performance.now();
    const { bytes, sizes } = await tab.evaluate((x) => window.run(x), o);
    clearInterval(sampler);
    const s = (performance.now() - t) / 1000;
    const b = usage(pids);
    const gib = bytes / GiB;
    console.log(JSON.stringify(o), `${(bytes / s / 1e6).toFixed(0)} MB/s`, `${((b.cpu - a.cpu) / gib).toFixed(1)} CPU-s/GiB`, `${((b.faults - a.faults) / (bytes / 2 ** 20)).toFixed(0)} faults/MiB`, `renderer peak ${peak.toFixed(0)} MiB`);
  }
}
await browser.close();
server.close();
