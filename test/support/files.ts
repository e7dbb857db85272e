/** Test files made on disk in pieces (never whole in memory), and checks on bytes at rest. */
import { createHash, randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';

const PIECE = 1024 * 1024;

export async function writeRandomFile(filePath: string, size: number): Promise<string> {
  const out = createWriteStream(filePath);
  const hash = createHash('sha256');
  for (let at = 0; at < size; at += PIECE) {
    const piece = randomFillSync(Buffer.alloc(Math.min(PIECE, size - at)));
    hash.update(piece);
    if (!out.write(piece)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}

/** Writes random files under `root` (sizes by relative path, folders made as needed); their SHA-256 by relative path. */
export async function writeRandomTree(root: string, files: Record<string, number>): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const [rel, size] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    hashes.set(rel, await writeRandomFile(path.join(root, rel), size));
  }
  return hashes;
}

export async function sha256File(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(filePath)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const BLOCK = 32;
/** 2^27 bits: with ~2M blocks indexed, ~1.5 % of offsets pass the prefilter. */
const FILTER_BITS = 27;

const word = (b: Buffer, at: number): number => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;

/**
 * Indexes a plaintext by its 32-byte blocks at offsets that are multiples of 32: any 64-byte
 * window of the plaintext contains one of them, so finding none of them anywhere in a buffer
 * proves no 64-byte window of the plaintext occurs in it.
 */
export class PlaintextIndex {
  private readonly filter = new Uint8Array(2 ** (FILTER_BITS - 3));
  private readonly blocks = new Map<number, number[]>();
  private constructor(private readonly plaintext: Buffer) {
    for (let at = 0; at + BLOCK <= plaintext.byteLength; at += BLOCK) {
      const key = word(plaintext, at);
      const bit = key >>> (32 - FILTER_BITS);
      this.filter[bit >>> 3] |= 1 << (bit & 7);
      const list = this.blocks.get(key);
      if (list) list.push(at);
      else this.blocks.set(key, [at]);
    }
  }

  static async fromFile(filePath: string): Promise<PlaintextIndex> {
    const chunks: Buffer[] = [];
    for await (const chunk of createReadStream(filePath)) chunks.push(chunk as Buffer);
    return new PlaintextIndex(Buffer.concat(chunks));
  }

  /** Offset in `haystack` where a plaintext block occurs, or -1. */
  findIn(haystack: Buffer): number {
    const { filter } = this;
    for (let at = 0; at + BLOCK <= haystack.byteLength; at++) {
      const key = word(haystack, at);
      const bit = key >>> (32 - FILTER_BITS);
      if ((filter[bit >>> 3] & (1 << (bit & 7))) === 0) continue;
      for (const candidate of this.blocks.get(key) ?? []) {
        if (haystack.compare(this.plaintext, candidate, candidate + BLOCK, at, at + BLOCK) === 0) return at;
      }
    }
    return -1;
  }
}
