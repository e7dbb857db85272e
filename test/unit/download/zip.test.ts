/**
 * The set's ZIP (src/download/zip.ts), read back by an independent reader: Info-ZIP's `unzip`
 * (test, list, extract) and, for the ZIP64 records, our own look at the end of the central directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { type ZipMember, zipStream } from '../../../src/download/zip.ts';
import { ZipMemberError } from '../../../src/errors.ts';
import { chunked, randomData, readAll, sha256 } from '../helpers.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-zip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const MODIFIED = Date.UTC(2025, 11, 2, 10, 30, 42);
let archives = 0;

const file = (p: string, bytes: Uint8Array, modified = MODIFIED): ZipMember => ({
  path: p,
  size: bytes.byteLength,
  modified,
  open: async () => chunked(bytes, 64 * 1024),
});
const folder = (p: string): ZipMember => ({ path: p, size: 0, modified: MODIFIED, dir: true, open: () => Promise.reject(new Error('a folder')) });

async function* slowly(members: ZipMember[]): AsyncGenerator<ZipMember> {
  for (const m of members) yield m;
}

/** The archive written to a file; its path. */
async function zipToFile(members: ZipMember[]): Promise<string> {
  const out = path.join(dir, `${archives++}.zip`);
  writeFileSync(out, await readAll(zipStream(slowly(members))));
  return out;
}

const unzip = (...args: string[]) => execFileSync('unzip', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const names = (zip: string) =>
  execFileSync('zipinfo', ['-1', zip], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\n')
    .filter(Boolean);

describe('zipStream', () => {
  it('writes a tree unzip tests, lists and extracts: nested folders, an empty file and folder, UTF-8 names, times', async () => {
    const photo = randomData(100_000);
    const big = randomData(1024 * 1024 + 1);
    const small = randomData(10);
    const zip = await zipToFile([
      file('photos/2026/a.jpg', photo),
      file('photos/empty.txt', new Uint8Array(0)),
      folder('photos/empty-folder/'),
      file('Ünïcødé/日本語 😀.txt', small, MODIFIED - 86_400_000),
      file('docs/b.bin', big),
    ]);
    expect(unzip('-t', zip)).toContain('No errors detected');
    expect(names(zip)).toEqual(['photos/2026/a.jpg', 'photos/empty.txt', 'photos/empty-folder/', 'Ünïcødé/日本語 😀.txt', 'docs/b.bin']);
    const out = mkdtempSync(path.join(dir, 'x-'));
    unzip('-q', zip, '-d', out);
    expect(sha256(readFileSync(path.join(out, 'photos/2026/a.jpg')))).toBe(sha256(photo));
    expect(sha256(readFileSync(path.join(out, 'docs/b.bin')))).toBe(sha256(big));
    expect(readFileSync(path.join(out, 'Ünïcødé/日本語 😀.txt'))).toEqual(Buffer.from(small));
    expect(statSync(path.join(out, 'photos/empty.txt')).size).toBe(0);
    expect(readdirSync(path.join(out, 'photos/empty-folder'))).toEqual([]);
    // The extended timestamp is UTC, to the second: no time zone shifts the times.
    expect(statSync(path.join(out, 'photos/2026/a.jpg')).mtimeMs).toBe(MODIFIED);
    expect(statSync(path.join(out, 'Ünïcødé/日本語 😀.txt')).mtimeMs).toBe(MODIFIED - 86_400_000);
    // stored, not compressed
    expect(execFileSync('zipinfo', [zip, 'docs/b.bin'], { encoding: 'utf8' })).toMatch(/ stor /);
  });

  it('writes an empty archive', async () => {
    const zip = await zipToFile([]);
    expect(readFileSync(zip).subarray(0, 4)).toEqual(Buffer.from('PK\x05\x06', 'latin1'));
  });

  describe('hostile names: every path made safe and unique before it becomes an entry', () => {
    const cases: [string, string[], string[]][] = [
      ['climbing out with ../', ['../../etc/passwd', 'a/../../b.txt'], ['etc/passwd', 'a/b.txt']],
      [
        'absolute paths',
        ['/etc/shadow', 'C:\\Windows\\win.ini', '\\\\?\\C:\\x.txt', '//server/share/y.txt'],
        ['etc/shadow', 'Windows/win.ini', 'x.txt', 'server/share/y.txt'],
      ],
      ['backslashes', ['a\\b\\c.txt'], ['a/b/c.txt']],
      ['NUL and control characters', ['x\0y\x1b[2J\x07.txt', 'line\nbreak.txt'], ['xy[2J.txt', 'linebreak.txt']],
      ['bidi overrides', ['invoice\u202Efdp.exe', 'a\u2066b\u2069.txt'], ['invoicefdp.exe', 'ab.txt']],
      ['reserved Windows names', ['CON.txt', 'dir/aux', 'LPT1/x.txt'], ['_CON.txt', 'dir/_aux', '_LPT1/x.txt']],
      ['hidden files and dot segments', ['.bashrc', './.git/config'], ['bashrc', 'git/config']],
      ['duplicates, also by case', ['a.txt', 'A.TXT', 'a.txt', 'a (2).txt'], ['a.txt', 'A (2).TXT', 'a (3).txt', 'a (2) (2).txt']],
      ['a file and a folder of one name', ['x', 'x/y.txt', 'Z/w.txt', 'z'], ['x', 'x (2)/y.txt', 'Z/w.txt', 'z (2)']],
    ];
    for (const [kind, paths, expected] of cases) {
      it(kind, async () => {
        const zip = await zipToFile(paths.map((p) => file(p, new Uint8Array([1]))));
        expect(unzip('-t', zip)).toContain('No errors detected');
        expect(names(zip)).toEqual(expected);
        const out = mkdtempSync(path.join(dir, 'x-'));
        unzip('-q', zip, '-d', out);
        const found = readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
        expect(found.map((e) => path.relative(out, path.join(e.parentPath, e.name))).sort()).toEqual([...expected].sort());
      });
    }

    it('over-long names and paths', async () => {
      const longName = `${'n'.repeat(400)}.txt`;
      const deep = `${'d/'.repeat(100)}deep.txt`;
      const wide = `${`${'w'.repeat(200)}/`.repeat(10)}wide.txt`;
      const zip = await zipToFile([longName, longName, deep, wide].map((p) => file(p, new Uint8Array([2]))));
      expect(unzip('-t', zip)).toContain('No errors detected');
      const [one, two, three, four] = names(zip);
      expect(Buffer.byteLength(one)).toBe(255);
      expect(one.endsWith('.txt')).toBe(true);
      expect(two).toMatch(/^n+ \(2\)\.txt$/);
      expect(Buffer.byteLength(two)).toBe(255);
      expect(three.split('/')).toHaveLength(32);
      expect(three.endsWith('/deep.txt')).toBe(true);
      expect(Buffer.byteLength(four)).toBeLessThanOrEqual(1024);
      expect(four.endsWith('/wide.txt')).toBe(true);
    });
  });

  it('switches to ZIP64 past 65 535 entries: the ZIP64 end record holds the count, unzip reads them all', { timeout: 300_000 }, async () => {
    const COUNT = 65_536;
    function* empties(): Generator<ZipMember> {
      for (let i = 0; i < COUNT; i++) yield { path: `e/${i}`, size: 0, modified: MODIFIED, open: () => Promise.reject(new Error('empty')) };
    }
    const zip = path.join(dir, 'many.zip');
    writeFileSync(zip, await readAll(zipStream(empties())));
    const bytes = readFileSync(zip);
    const end = bytes.subarray(bytes.byteLength - 22);
    expect(end.readUInt32LE(0)).toBe(0x06054b50);
    expect(end.readUInt16LE(10)).toBe(0xffff);
    const locator = bytes.subarray(bytes.byteLength - 22 - 20, bytes.byteLength - 22);
    expect(locator.readUInt32LE(0)).toBe(0x07064b50);
    const record = bytes.subarray(Number(locator.readBigUInt64LE(8)));
    expect(record.readUInt32LE(0)).toBe(0x06064b50);
    expect(record.readBigUInt64LE(24)).toBe(BigInt(COUNT));
    expect(record.readBigUInt64LE(32)).toBe(BigInt(COUNT));
    const offset = Number(record.readBigUInt64LE(48));
    expect(bytes.readUInt32LE(offset)).toBe(0x02014b50);
    expect(unzip('-t', zip)).toContain('No errors detected');
    expect(unzip('-l', zip).trim().split('\n').at(-1)).toMatch(/\b65536 files$/);
  });

  it('switches to ZIP64 past 4 GiB: sizes and offsets in the ZIP64 extra field of the central directory', { timeout: 300_000 }, async () => {
    const SIZE = 4 * GiB + 1;
    const zeros = new Uint8Array(MiB);
    let left = SIZE;
    const huge: ZipMember = {
      path: 'huge.bin',
      size: SIZE,
      modified: MODIFIED,
      open: async () =>
        new ReadableStream({
          pull(c) {
            const n = Math.min(left, MiB);
            left -= n;
            if (n === 0) c.close();
            else c.enqueue(zeros.subarray(0, n));
          },
        }),
    };
    // The archive is read through, keeping only its end: 4 GiB need not reach the disk.
    const reader = zipStream([huge, file('after.txt', new Uint8Array([7]))]).getReader();
    let total = 0;
    let tail = Buffer.alloc(0);
    for (let step = await reader.read(); !step.done; step = await reader.read()) {
      total += step.value.byteLength;
      tail = Buffer.concat([tail, step.value]).subarray(-64 * 1024);
    }
    const at = (offset: bigint | number) => Number(offset) - (total - tail.byteLength);
    const record = tail.subarray(at(tail.readBigUInt64LE(tail.byteLength - 22 - 20 + 8)));
    expect(record.readUInt32LE(0)).toBe(0x06064b50);
    expect(record.readBigUInt64LE(32)).toBe(2n);
    const central = (offset: number) => {
      const h = tail.subarray(offset);
      expect(h.readUInt32LE(0)).toBe(0x02014b50);
      const nameLength = h.readUInt16LE(28);
      const extra = h.subarray(46 + nameLength, 46 + nameLength + h.readUInt16LE(30));
      let zip64: Buffer | undefined;
      for (let i = 0; i < extra.byteLength; i += 4 + extra.readUInt16LE(i + 2)) {
        if (extra.readUInt16LE(i) === 1) zip64 = extra.subarray(i + 4, i + 4 + extra.readUInt16LE(i + 2));
      }
      const next = offset + 46 + nameLength + extra.byteLength + h.readUInt16LE(32);
      return { h, name: h.subarray(46, 46 + nameLength).toString(), zip64, next };
    };
    const first = central(at(record.readBigUInt64LE(48)));
    expect(first.name).toBe('huge.bin');
    expect(first.h.readUInt32LE(24)).toBe(0xffffffff);
    expect(first.zip64?.readBigUInt64LE(0)).toBe(BigInt(SIZE));
    let crc = 0;
    for (let i = 0; i < 4 * 1024; i++) crc = crc32(zeros, crc);
    expect(first.h.readUInt32LE(16)).toBe(crc32(zeros.subarray(0, 1), crc));
    const second = central(first.next);
    expect(second.name).toBe('after.txt');
    expect(second.h.readUInt32LE(42)).toBe(0xffffffff);
    const local = second.zip64?.readBigUInt64LE((second.zip64?.byteLength ?? 8) - 8) ?? 0n;
    expect(local).toBeGreaterThan(BigInt(SIZE));
    expect(tail.readUInt32LE(at(local))).toBe(0x04034b50);
  });

  describe('a failing member fails the archive, naming the member', () => {
    /** Reads the whole archive; what it got before the error, and the error. */
    async function failed(members: ZipMember[]): Promise<{ error: ZipMemberError; bytes: Buffer }> {
      const chunks: Uint8Array[] = [];
      const reader = zipStream(members).getReader();
      for (;;) {
        let step: ReadableStreamReadResult<Uint8Array>;
        try {
          step = await reader.read();
        } catch (error) {
          expect(error).toBeInstanceOf(ZipMemberError);
          return { error: error as ZipMemberError, bytes: Buffer.concat(chunks) };
        }
        if (step.done) throw new Error('the archive completed');
        chunks.push(step.value);
      }
    }
    const breaking = (after: Uint8Array): ReadableStream<Uint8Array> =>
      new ReadableStream({
        start(c) {
          c.enqueue(after);
        },
        pull(c) {
          c.error(new Error('frame 3 is corrupted'));
        },
      });
    const later = (): ZipMember => ({ ...file('later.txt', new Uint8Array([3])), open: () => Promise.reject(new Error('not reached')) });

    it('when its stream errors midway (a frame fails to verify)', async () => {
      const { error, bytes } = await failed([
        file('ok.txt', new Uint8Array([1, 2])),
        { path: 'dir/bad\u202E.bin', size: 100, modified: MODIFIED, open: async () => breaking(new Uint8Array(10)) },
        later(),
      ]);
      expect(error.member).toBe('dir/bad.bin');
      expect(error.message).toContain('dir/bad.bin');
      expect(error.message).toContain('frame 3 is corrupted');
      expect(bytes.includes(Buffer.from('PK\x05\x06', 'latin1'))).toBe(false);
    });

    it('when it cannot be opened', async () => {
      const { error } = await failed([{ path: 'gone.bin', size: 5, modified: 0, open: () => Promise.reject(new Error('blob 3 is missing')) }, later()]);
      expect(error.member).toBe('gone.bin');
      expect(error.message).toContain('blob 3 is missing');
    });

    it('when it gives fewer or more bytes than its size', async () => {
      const short = await failed([{ ...file('short.bin', new Uint8Array(9)), size: 10 }]);
      expect(short.error.member).toBe('short.bin');
      expect(short.error.message).toContain('ended after 9 of its 10 bytes');
      const long = await failed([{ ...file('long.bin', new Uint8Array(11)), size: 10 }]);
      expect(long.error.message).toContain('more than its 10 bytes');
    });

    it('cancels the member being read when the consumer cancels the archive', async () => {
      let cancelled: unknown;
      const endless = new ReadableStream<Uint8Array>({
        pull: (c) => c.enqueue(new Uint8Array(1024)),
        cancel: (reason) => {
          cancelled = reason;
        },
      });
      const reader = zipStream([{ path: 'endless', size: 1e12, modified: 0, open: async () => endless }]).getReader();
      await reader.read();
      await reader.read();
      await reader.cancel(new Error('user closed the tab'));
      await expect.poll(() => cancelled).toBeDefined();
    });
  });
});
