// Issue 15's BYOB probe: does a BYOB read of a file-backed Blob's stream ever not settle in this Chromium?
//   node bench/page/profile-byob-probe/run.mjs '[{"partSize":16777216,"endRead":"byob","lanes":2,"withBusy":true,"workers":1}]'
// One Chromium per invocation; a 64 MiB + 12345-byte file in /tmp. README "Where the CPU goes" has the results.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const dir = path.dirname(fileURLToPath(import.meta.url));
const page = `<!doctype html><input type=file id=f><script>
window.run = (o) => Promise.all(Array.from({ length: o.workers ?? 1 }, () => new Promise((res) => {
  const w = new Worker('worker.js');
  w.onmessage = (e) => { res(e.data.results); w.terminate(); };
  w.postMessage({ file: document.getElementById('f').files[0], ...o });
}))).then((rs) => rs.flat());
</script>`;
const server = http
  .createServer((q, r) => {
    if (q.url === '/worker.js') {
      r.setHeader('content-type', 'text/javascript');
      return fs.createReadStream(path.join(dir, 'worker.js')).pipe(r);
    }
    r.setHeader('content-type', 'text/html');
    r.end(page);
  })
  .listen(0);
const file = '/tmp/cipherdrop-byob-probe.bin';
if (!fs.existsSync(file)) fs.writeFileSync(file, Buffer.alloc(64 * 1024 * 1024 + 12345, 7));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const tab = await browser.newPage();
await tab.goto(`http://127.0.0.1:${server.address().port}/`);
await tab.setInputFiles('#f', file);
for (const o of JSON.parse(process.argv[2] ?? '[{"partSize":16777216,"endRead":"byob","lanes":2,"withBusy":true}]')) {
  const results = await tab.evaluate((x) => window.run(x), o);
  console.log(JSON.stringify(o), `${results.filter((r) => r.includes('TIMEOUT')).length}/${results.length} hung:`, results.join('; '));
}
await browser.close();
server.close();
