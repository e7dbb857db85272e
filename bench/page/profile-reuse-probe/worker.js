// Issue 15's reuse probe (run.mjs): the CPU of reading a File and sealing it with AES-GCM in a worker,
// with every fresh buffer the browser hands out (stream chunks, encrypt() outputs) left to the GC
// ("gc") or given back at once with ArrayBuffer.prototype.transfer(0) ("free").
const PART = 16 * 1024 * 1024;
const FRAME = 512 * 1024;
self.onmessage = async ({ data: { file, mode, seal, lane, lanes, piece, sync, digest } }) => {
  const syncReader = new FileReaderSync();
  const sizes = new Set();
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
  const plain = new Uint8Array(PART);
  const out = new Uint8Array(PART + (PART / FRAME) * 16);
  const iv = new Uint8Array(12);
  let bytes = 0;
  for (let start = lane * PART; start < file.size; start += PART * lanes) {
    const end = Math.min(file.size, start + PART);
    let at = 0;
    if (piece) {
      // read in pieces of `piece` bytes: arrayBuffer() of each slice, or FileReaderSync
      for (let p = start; p < end; p += piece) {
        const slice = file.slice(p, Math.min(end, p + piece));
        const value = sync ? syncReader.readAsArrayBuffer(slice) : await slice.arrayBuffer();
        plain.set(new Uint8Array(value), at);
        at += value.byteLength;
        if (mode === 'free') value.transfer(0);
      }
    } else {
      const reader = file.slice(start, end).stream().getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        sizes.add(value.byteLength);
        plain.set(value, at);
        at += value.byteLength;
        if (mode === 'free') value.buffer.transfer(0);
      }
    }
    if (digest) {
      for (let p = 0; p < at; p += digest) await crypto.subtle.digest('SHA-256', plain.subarray(p, Math.min(at, p + digest)));
    }
    if (seal) {
      let o = 0;
      for (let p = 0; p < at; p += FRAME) {
        const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plain.subarray(p, Math.min(at, p + FRAME)));
        out.set(new Uint8Array(sealed), o);
        o += sealed.byteLength;
        if (mode === 'free') sealed.transfer(0);
      }
    }
    bytes += at;
  }
  self.postMessage({ bytes, sizes: [...sizes].slice(0, 5) });
};
