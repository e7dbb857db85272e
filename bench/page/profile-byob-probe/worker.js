// Issue 15's BYOB probe (see run.mjs): reads a picked File in 16 MiB slices with a BYOB reader,
// each read raced against 5 s, two slices at once per worker, AES-GCM between slices (as sealing
// keeps a worker busy). Reports any read that never settled: mid-stream, or the read for the end.
const withTimeout = (p, ms) => Promise.race([p, new Promise((r) => setTimeout(() => r('TIMEOUT'), ms))]);

async function readExact(blob, length, endRead) {
  const byob = blob.stream().getReader({ mode: 'byob' });
  let buffer = new ArrayBuffer(length);
  let at = 0;
  let reads = 0;
  while (at < length) {
    const r = await withTimeout(byob.read(new Uint8Array(buffer, at, length - at)), 5000);
    if (r === 'TIMEOUT') return `DATA-READ TIMEOUT at ${at}/${length} after ${reads} reads`;
    reads++;
    if (r.done) throw new Error('short');
    buffer = r.value.buffer;
    at += r.value.byteLength;
  }
  // 'byob': one more read, into the same memory, to see the end (as 6a4a58e did); 'byob-fresh': into a new 1-byte buffer; 'cancel': none.
  if (endRead === 'byob') return withTimeout(byob.read(new Uint8Array(buffer, 0, 1)).then((r) => `done=${r.done}`), 5000);
  if (endRead === 'byob-fresh') return withTimeout(byob.read(new Uint8Array(1)).then((r) => `done=${r.done}`), 5000);
  return withTimeout(byob.cancel().then(() => 'cancelled'), 5000);
}

async function busy(key) {
  const data = new Uint8Array(512 * 1024);
  for (let i = 0; i < 32; i++) await crypto.subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, key, data);
}

onmessage = async ({ data: { file, partSize, endRead, lanes, withBusy } }) => {
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
  const results = [];
  let next = 0;
  const parts = Math.ceil(file.size / partSize);
  const lane = async () => {
    while (next < parts) {
      const n = next++;
      const s = n * partSize;
      const e = Math.min(file.size, s + partSize);
      results.push(`part ${n + 1}: ${await readExact(file.slice(s, e), e - s, endRead)}`);
      if (withBusy) await busy(key);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  postMessage({ results });
};
