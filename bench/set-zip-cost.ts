/**
 * What the ZIP itself costs (`npx tsx bench/set-zip-cost.ts [SIZE_MiB] [MEMBERS]`): the members'
 * bytes through src/download/zip.ts's zipStream (stored entries, the CRC-32, the records;
 * zip.js re-chunked and copied every byte until 2026-12-03) against the same chunks merely counted, in Node, alternating 3 rounds. The chunks
 * are 4 MiB views of one reused buffer (members.ts reads 4 MiB runs), so only the archive's work
 * is measured: no fetch, no decryption, no fresh plaintext.
 */
import { randomFillSync } from 'node:crypto';
import { type ZipMember, zipStream } from '../src/download/zip.ts';

const MiB = 1024 * 1024;
const RUN = 4 * MiB;
const total = Number(process.argv[2] ?? 1024) * MiB;
const count = Number(process.argv[3] ?? 8);
const each = Math.floor(total / count);
const source = randomFillSync(new Uint8Array(RUN));

const memberChunks = (size: number) => {
  let left = size;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const n = Math.min(RUN, left);
      controller.enqueue(source.subarray(0, n));
      left -= n;
      if (left === 0) controller.close();
    },
  });
};

const members = (): ZipMember[] =>
  Array.from({ length: count }, (_, i) => ({ path: `set/part-${i + 1}.bin`, size: each, modified: 0, open: async () => memberChunks(each) }));

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.byteLength;
  return bytes;
}

async function timed(name: string, work: () => Promise<number>) {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const bytes = await work();
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return { name, bytes, seconds, mbps: (count * each) / seconds / 1e6, cpuSecondsPerGiB: cpuSeconds / ((count * each) / 1024 / MiB) };
}

const results: Awaited<ReturnType<typeof timed>>[] = [];
for (let round = 1; round <= 3; round++) {
  const cases = [
    () => timed('members counted', async () => (await Promise.all(members().map(async (m) => drain(await m.open())))).reduce((a, b) => a + b, 0)),
    () => timed('members through zipStream', () => drain(zipStream(members()))),
  ];
  for (const run of round % 2 ? cases : cases.reverse()) results.push(await run());
}
for (const name of new Set(results.map((r) => r.name))) {
  const rs = results.filter((r) => r.name === name).sort((a, b) => a.seconds - b.seconds);
  const m = rs[1];
  console.log(`${name}: ${m.mbps.toFixed(0)} MB/s, ${m.cpuSecondsPerGiB.toFixed(2)} CPU-s/GiB (median of 3; ${total / MiB} MiB in ${count} members)`);
}
