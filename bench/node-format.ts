/**
 * `npm run bench:node` (and the Node case of `npm run bench`): the format alone in Node, on both
 * frame engines of src/crypto/frame-cipher.ts in one process — WebCrypto (`crypto.subtle`, the
 * browser's engine, and Node's until issue 15) and node:crypto (Node's now) — rounds alternating
 * which engine goes first, medians. No disk and no network: plaintext comes from memory, output
 * is dropped.
 *
 *   frames   sealRun / openRun over 16 MiB runs of whole frames (the workers' unit; the case
 *            behind the README's old "format alone in Node" line)
 *   stream   encryptStream / decryptStream (the library's and the CLI's path), fed 1 MiB pieces
 *            as src/node/files.ts reads them; one ciphertext, made before timing, is opened by both
 *
 * Options: --size 1GiB  --frame 512KiB  --rounds 3  --no-readme  --label NAME
 */
import { randomFillSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { importWrappingKey } from '../src/crypto/cipher.ts';
import { DEFAULT_FRAME_LENGTH } from '../src/crypto/format.ts';
import { type FrameCipher, nodeFrameCipher, setFrameCipher, webCryptoFrameCipher } from '../src/crypto/frame-cipher.ts';
import { openRun, sealRun } from '../src/crypto/frames.ts';
import { aesKeyring } from '../src/crypto/keyring.ts';
import { createMessage, decryptStream, encryptStream } from '../src/crypto/message.ts';
import { objectContext } from '../src/crypto/objects.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
/** a worker's run: one S3 part */
const RUN = 16 * MiB;
/** what src/node/files.ts reads at a time */
const PIECE = 1 * MiB;

export interface NodeFormatOptions {
  size: number;
  frameLength: number;
  rounds: number;
  log: (line: string) => void;
}

type Engine = 'webcrypto' | 'node';
type Case = 'frames encrypt' | 'frames decrypt' | 'stream encrypt' | 'stream decrypt';
const CASES: Case[] = ['frames encrypt', 'frames decrypt', 'stream encrypt', 'stream decrypt'];

interface Sample {
  engine: Engine;
  case: Case;
  round: number;
  mbps: number;
  cpuSecondsPerGiB: number;
}

export interface NodeFormatRow {
  case: Case;
  webcrypto: { mbps: number; cpuSecondsPerGiB: number };
  node: { mbps: number; cpuSecondsPerGiB: number };
  speedup: number;
}

export interface NodeFormatResult {
  options: Omit<NodeFormatOptions, 'log'>;
  samples: Sample[];
  rows: NodeFormatRow[];
  /** 1-minute load averages at the start and the end, against the cores: wall MB/s mean little on a busy machine */
  load: { start: number; end: number; cores: number };
  markdown: string;
}

const context = objectContext('BenchBenchBenchBenchBe', 'data');

/** Wall MB/s and CPU-s/GiB of the whole process (WebCrypto runs on libuv's pool, so threads count). */
async function measure(bytes: number, work: () => Promise<void>): Promise<{ mbps: number; cpuSecondsPerGiB: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { mbps: bytes / seconds / 1e6, cpuSecondsPerGiB: (used.user + used.system) / 1e6 / (bytes / GiB) };
}

/** `total` bytes as PIECE-sized views cycling over `bytes` (the consumer copies what it keeps). */
function pieces(bytes: Uint8Array, total: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= total) return controller.close();
      const from = at % bytes.byteLength;
      const n = Math.min(PIECE, total - at, bytes.byteLength - from);
      controller.enqueue(bytes.subarray(from, from + n));
      at += n;
    },
  });
}

const drop = () => new WritableStream<Uint8Array>({ write() {} });

export async function nodeFormatBench(options: NodeFormatOptions): Promise<NodeFormatResult> {
  const { size, frameLength, rounds, log } = options;
  if (!nodeFrameCipher) throw new Error('this Node has no node:crypto frame engine (needs process.getBuiltinModule, Node ≥ 20.16)');
  const engines: Record<Engine, FrameCipher> = { webcrypto: webCryptoFrameCipher, node: nodeFrameCipher };
  const keyring = aesKeyring(await importWrappingKey(randomFillSync(new Uint8Array(32))));
  const message = await createMessage(keyring, context, frameLength);
  const plain = randomFillSync(new Uint8Array(RUN));
  const runs = Math.ceil(size / RUN);

  // One message of `size` bytes for the stream decrypt case, made before any timing, in one buffer
  // read back in PIECE views as from a file. Both engines open the same bytes.
  setFrameCipher(nodeFrameCipher);
  const chunks: Uint8Array[] = [];
  await pieces(plain, size)
    .pipeThrough(encryptStream(keyring, { context, frameLength }))
    .pipeTo(new WritableStream({ write: (chunk) => void chunks.push(chunk) }));
  const ciphertext = Buffer.concat(chunks);
  chunks.length = 0;

  const sealedRun = await sealRun(message, plain, 1, false);
  const work: Record<Case, () => Promise<void>> = {
    'frames encrypt': async () => {
      for (let i = 0; i < runs; i++) await sealRun(message, plain, 1, false);
    },
    'frames decrypt': async () => {
      for (let i = 0; i < runs; i++) await openRun(message, sealedRun, 1, false, plain.byteLength);
    },
    'stream encrypt': () => pieces(plain, size).pipeThrough(encryptStream(keyring, { context, frameLength })).pipeTo(drop()),
    'stream decrypt': () => pieces(ciphertext, ciphertext.byteLength).pipeThrough(decryptStream(keyring, { context })).pipeTo(drop()),
  };
  const bytesOf = (c: Case) => (c.startsWith('frames') ? runs * RUN : size);

  const samples: Sample[] = [];
  const loadStart = loadavg()[0];
  try {
    for (let round = 1; round <= rounds; round++) {
      const order: Engine[] = round % 2 ? ['webcrypto', 'node'] : ['node', 'webcrypto'];
      for (const engine of order) {
        setFrameCipher(engines[engine]);
        for (const c of CASES) {
          const r = await measure(bytesOf(c), work[c]);
          samples.push({ engine, case: c, round, ...r });
          log(`round ${round} ${engine.padEnd(9)} ${c.padEnd(14)} ${r.mbps.toFixed(0).padStart(5)} MB/s ${r.cpuSecondsPerGiB.toFixed(2)} CPU-s/GiB`);
        }
      }
    }
  } finally {
    setFrameCipher(nodeFrameCipher);
  }

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const of = (engine: Engine, c: Case) => {
    const ss = samples.filter((s) => s.engine === engine && s.case === c);
    return { mbps: median(ss.map((s) => s.mbps)), cpuSecondsPerGiB: median(ss.map((s) => s.cpuSecondsPerGiB)) };
  };
  const rows = CASES.map((c) => {
    const webcrypto = of('webcrypto', c);
    const node = of('node', c);
    return { case: c, webcrypto, node, speedup: node.mbps / webcrypto.mbps };
  });
  const load = { start: loadStart, end: loadavg()[0], cores: cpus().length };
  const markdown = [
    `Load average ${load.start.toFixed(1)} → ${load.end.toFixed(1)} on ${load.cores} cores during the run.`,
    '',
    `| ${size / GiB} GiB, ${frameLength / KiB} KiB frames, ${rounds} rounds (medians) | WebCrypto MB/s | node:crypto MB/s | × | WebCrypto CPU-s/GiB | node:crypto CPU-s/GiB |`,
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.case} | ${r.webcrypto.mbps.toFixed(0)} | ${r.node.mbps.toFixed(0)} | ${r.speedup.toFixed(2)} | ${r.webcrypto.cpuSecondsPerGiB.toFixed(2)} | ${r.node.cpuSecondsPerGiB.toFixed(2)} |`,
    ),
  ].join('\n');
  return { options: { size, frameLength, rounds }, samples, rows, load, markdown };
}

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(B|KiB|MiB|GiB)?$/.exec(text);
  if (!m) throw new Error(`bad size ${text}`);
  return Math.round(Number(m[1]) * { B: 1, KiB, MiB, GiB }[(m[2] ?? 'B') as 'B']);
}

/** bench/results/<date>-node-format[-label].{json,md}, and the README's node-format table unless told not to. */
export function saveNodeFormat(result: NodeFormatResult, { readme, label }: { readme: boolean; label?: string }): void {
  const name = `${new Date().toISOString().slice(0, 10)}-node-format${label ? `-${label}` : ''}`;
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${name}.json`, `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(`bench/results/${name}.md`, `${result.markdown}\n`);
  if (!readme || label) return;
  const text = readFileSync('README.md', 'utf8');
  const start = '<!-- bench-node:start -->';
  const end = '<!-- bench-node:end -->';
  if (text.includes(start)) writeFileSync('README.md', `${text.slice(0, text.indexOf(start) + start.length)}\n${result.markdown}\n${text.slice(text.indexOf(end))}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '1GiB' },
      frame: { type: 'string', default: `${DEFAULT_FRAME_LENGTH / KiB}KiB` },
      rounds: { type: 'string', default: '3' },
      'no-readme': { type: 'boolean', default: false },
      label: { type: 'string' },
    },
  });
  const result = await nodeFormatBench({
    size: parseSize(values.size),
    frameLength: parseSize(values.frame),
    rounds: Number(values.rounds),
    log: (line) => console.error(`[bench:node] ${line}`),
  });
  console.log(result.markdown);
  saveNodeFormat(result, { readme: !values['no-readme'], label: values.label });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
