/** Uploader-chosen names against a terminal and a file system: the rules of src/names.ts, and the CLI using them. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { progressBar } from '../../src/cli/progress.ts';
import { toBase64Url } from '../../src/crypto/bytes.ts';
import { importWrappingKey } from '../../src/crypto/cipher.ts';
import { parseCompleteHeader } from '../../src/crypto/format.ts';
import { aesKeyring, type Keyring } from '../../src/crypto/keyring.ts';
import { encodeLinkSecret, objectContext, sealMeta } from '../../src/crypto/objects.ts';
import {
  DISPLAY_MAX_CHARS,
  displayName,
  isReservedName,
  MAX_NAME_BYTES,
  MAX_PATH_BYTES,
  MAX_PATH_DEPTH,
  safeFileName,
  safeRelativePath,
  safeTree,
  treeNamer,
} from '../../src/names.ts';
import { encryptFile } from '../../src/node/files.ts';
import { runCli } from '../support/cli.ts';
import { startStack } from '../support/stack.ts';
import { randomData } from './helpers.ts';

const ESC = '\x1b';
const CONTROL = /\p{C}/u;

describe('displayName', () => {
  it('shows ESC, CSI and OSC sequences inert: no ESC, BEL or C1 byte left', () => {
    const shown = displayName(`a${ESC}]0;title\x07b${ESC}[2Jc\x9b31md\x7f`);
    expect(shown).not.toMatch(CONTROL);
    expect(shown).toBe('a\uFFFD]0;title\uFFFDb\uFFFD[2Jc\uFFFD31md\uFFFD');
  });

  it('shows bidi controls, zero-width characters and line separators as a visible mark', () => {
    expect(displayName('invoice\u202Efdp.exe')).toBe('invoice\uFFFDfdp.exe');
    for (const hidden of ['\u202A', '\u202D', '\u2066', '\u2069', '\u200B', '\u200D', '\uFEFF', '\u2028', '\uD800', '\uE000', '\n\r\t'])
      expect(displayName(`a${hidden}b`)).toBe('a\uFFFDb');
  });

  it('caps a long name, keeping its end, and is never blank', () => {
    const shown = displayName(`${'a'.repeat(1000)}.exe`);
    expect([...shown]).toHaveLength(DISPLAY_MAX_CHARS);
    expect(shown).toMatch(/^a+…a+\.exe$/);
    expect(displayName('')).toBe('(no name)');
    expect(displayName('   ')).toBe('(no name)');
    expect(displayName('\x1b\x00')).toBe('\uFFFD');
    expect(displayName(`x${'\u0301'.repeat(50)}`)).toBe(`x${'\u0301'.repeat(4)}`);
  });
});

describe('safeFileName', () => {
  it('removes controls and escape sequences', () => {
    expect(safeFileName(`evil${ESC}]0;pwned\x07${ESC}[2J.txt`)).toBe('evil]0;pwned[2J.txt');
    expect(safeFileName('a\x85b\x9bc\x7f.txt')).toBe('abc.txt');
  });

  it('removes bidi overrides and zero-width characters', () => {
    expect(safeFileName('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(safeFileName('a\u2066b\u2069c\u200Bd\u200De\uFEFF.txt')).toBe('abcde.txt');
  });

  it('never climbs out or names an absolute path', () => {
    expect(safeFileName('../../etc/passwd')).toBe('_.._etc_passwd');
    expect(safeFileName('..\\..\\win.ini')).toBe('_.._win.ini');
    expect(safeFileName('/etc/passwd')).toBe('_etc_passwd');
    expect(safeFileName('C:\\Windows\\x')).toBe('C__Windows_x');
  });

  it('removes NUL in the middle', () => expect(safeFileName('report\x00.pdf.exe')).toBe('report.pdf.exe'));

  it('makes no hidden files, and nothing of only dots', () => {
    expect(safeFileName('.bash_profile')).toBe('bash_profile');
    for (const dots of ['.', '..', '...', ' . .. ']) expect(safeFileName(dots)).toBe('download');
  });

  it('defuses Windows device names, with or without an extension, in any case', () => {
    expect(safeFileName('CON')).toBe('_CON');
    expect(safeFileName('con.txt')).toBe('_con.txt');
    expect(safeFileName('LPT9.log')).toBe('_LPT9.log');
    expect(safeFileName('nul .tar.gz')).toBe('_nul .tar.gz');
    expect(safeFileName('Com¹')).toBe('_Com¹');
    expect(safeFileName('CONSOLE.txt')).toBe('CONSOLE.txt');
  });

  it('replaces characters Windows refuses and drops trailing dots and spaces', () => {
    expect(safeFileName('a<b>c:d"e|f?g*h.txt')).toBe('a_b_c_d_e_f_g_h.txt');
    expect(safeFileName('name.txt. . ')).toBe('name.txt');
    expect(safeFileName('-rf')).toBe('_rf');
  });

  it('cuts long names to 255 bytes of valid UTF-8, keeping the extension', () => {
    const ascii = safeFileName(`${'a'.repeat(1000)}.pdf`);
    expect(ascii).toBe(`${'a'.repeat(251)}.pdf`);
    for (const char of ['é', '€', '😀', 'e\u0301']) {
      const name = safeFileName(`${char.repeat(1000)}.pdf`);
      const bytes = Buffer.from(name);
      expect(bytes.byteLength).toBeLessThanOrEqual(MAX_NAME_BYTES);
      expect(bytes.byteLength).toBeGreaterThan(MAX_NAME_BYTES - 8);
      expect(new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toBe(name);
      expect(name.endsWith('.pdf')).toBe(true);
    }
    expect(Buffer.byteLength(safeFileName('x'.repeat(300), { maxBytes: 236 }))).toBe(236);
  });

  it('falls back on empty and all-control names', () => {
    expect(safeFileName('')).toBe('download');
    expect(safeFileName('\x1b\x00\u202E\u200B')).toBe('download');
    expect(safeFileName('', { fallback: 'file.bin' })).toBe('file.bin');
  });
});

describe('safeRelativePath', () => {
  it('drops ., .. and empty segments and every absolute prefix', () => {
    expect(safeRelativePath('../../etc/passwd')).toEqual(['etc', 'passwd']);
    expect(safeRelativePath('..\\..\\win.ini')).toEqual(['win.ini']);
    expect(safeRelativePath('/etc/passwd')).toEqual(['etc', 'passwd']);
    expect(safeRelativePath('C:\\Windows\\x')).toEqual(['Windows', 'x']);
    expect(safeRelativePath('C:x')).toEqual(['x']);
    expect(safeRelativePath('\\\\?\\C:\\x')).toEqual(['x']);
    expect(safeRelativePath('a/./b//../c')).toEqual(['a', 'b', 'c']);
    expect(safeRelativePath('photos/.git/CON/\u202Eevil')).toEqual(['photos', 'git', '_CON', 'evil']);
    expect(safeRelativePath('../..')).toEqual(['download']);
  });

  it('keeps the file name and the leading folders that fit', () => {
    const deep = safeRelativePath(`${'d/'.repeat(100)}file.txt`);
    expect(deep).toHaveLength(MAX_PATH_DEPTH);
    expect(deep.at(-1)).toBe('file.txt');
    const long = safeRelativePath(`${`${'d'.repeat(200)}/`.repeat(10)}file.txt`);
    expect(Buffer.byteLength(long.join('/'))).toBeLessThanOrEqual(MAX_PATH_BYTES);
    expect(long.at(-1)).toBe('file.txt');
  });
});

describe('safeTree', () => {
  it('makes duplicates unique, case-insensitively, keeping the extension', () => {
    expect(safeTree([{ path: 'a.txt' }, { path: 'A.TXT' }, { path: 'a.txt' }, { path: 'a (2).txt' }, { path: 'noext' }, { path: 'NoExt' }])).toEqual([
      ['a.txt'],
      ['A (2).TXT'],
      ['a (3).txt'],
      ['a (2) (2).txt'],
      ['noext'],
      ['NoExt (2)'],
    ]);
  });

  it('puts the files of one folder (in any case) together, and keeps files and folders of one name apart', () => {
    expect(
      safeTree([
        { path: 'Photos/a.jpg' },
        { path: 'photos/b.jpg' },
        { path: 'x' },
        { path: 'x/y' },
        { path: 'x/', dir: true },
        { path: 'q/', dir: true },
        { path: 'q' },
      ]),
    ).toEqual([['Photos', 'a.jpg'], ['Photos', 'b.jpg'], ['x'], ['x (2)', 'y'], ['x (2)'], ['q'], ['q (2)']]);
  });

  it('numbers a name at the byte limit without losing the number', () => {
    const long = `${'€'.repeat(200)}.pdf`;
    const [[one], [two]] = safeTree([{ path: long }, { path: long }]);
    expect(two).toMatch(/^€+ \(2\)\.pdf$/);
    expect(Buffer.byteLength(two)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(two).not.toBe(one);
  });

  it('stays linear for many copies of one name', () => {
    const namer = treeNamer();
    for (let i = 0; i < 5_000; i++) namer.name('same.txt');
    expect(namer.name('same.txt')).toEqual(['same (5001).txt']);
  });

  it('property: every path unique (case-insensitively), every segment a safe name, no file inside a file', () => {
    const part = fc.constantFrom('a', 'A', 'b', '..', '.', 'CON', 'x.txt', 'X.TXT', '\u202E', '');
    const paths = fc.array(fc.tuple(fc.array(part, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.constantFrom('/', '\\')), { maxLength: 30 });
    fc.assert(
      fc.property(paths, (list) => {
        const entries = list.map(([parts, dir, separator]) => ({ path: parts.join(separator), dir }));
        const tree = safeTree(entries);
        const files = new Set<string>();
        const folders = new Set<string>();
        tree.forEach((segments, i) => {
          for (const segment of segments) expect(safeFileName(segment)).toBe(segment);
          const key = segments.join('/').toLowerCase();
          for (let d = 1; d < segments.length; d++) expect(files.has(segments.slice(0, d).join('/').toLowerCase())).toBe(false);
          if (entries[i].dir) {
            expect(files.has(key)).toBe(false);
            folders.add(key);
          } else {
            expect(files.has(key) || folders.has(key)).toBe(false);
            files.add(key);
          }
        });
      }),
      { numRuns: 500 },
    );
  });
});

describe('properties', () => {
  const anyText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 400 }),
    fc.string({ unit: fc.constantFrom('.', ' ', '/', '\\', ':', 'C', 'o', 'N', '\x00', '\x1b', '\u202E', '\u0301', '😀'), maxLength: 40 }),
    fc.string({ unit: 'binary-ascii', maxLength: 300 }),
  );
  const RESERVED_NAME = /^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])( *|[. ].*)$/i;

  it('safeFileName: non-empty, ≤ 255 bytes, no separator, NUL or \\p{C}, no leading dot, not a device', () => {
    fc.assert(
      fc.property(anyText, (name) => {
        const safe = safeFileName(name);
        expect(safe.length).toBeGreaterThan(0);
        expect(Buffer.byteLength(safe)).toBeLessThanOrEqual(MAX_NAME_BYTES);
        expect(safe).not.toMatch(/[/\\\0]|\p{C}/u);
        expect(safe.startsWith('.')).toBe(false);
        expect(safe).not.toMatch(RESERVED_NAME);
        expect(isReservedName(safe)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('safeRelativePath: never "..", never absolute, every segment a safe name', () => {
    fc.assert(
      fc.property(anyText, (input) => {
        const segments = safeRelativePath(input);
        expect(segments.length).toBeGreaterThan(0);
        const joined = segments.join('/');
        expect(path.posix.isAbsolute(joined) || path.win32.isAbsolute(joined)).toBe(false);
        expect(path.posix.normalize(joined).startsWith('..')).toBe(false);
        for (const segment of segments) expect(safeFileName(segment)).toBe(segment);
      }),
      { numRuns: 2000 },
    );
  });

  it('displayName: never blank, no \\p{C}, at most maxChars characters', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 10, max: DISPLAY_MAX_CHARS }), (name, maxChars) => {
        const shown = displayName(name, maxChars);
        expect(shown.trim()).not.toBe('');
        expect(shown).not.toMatch(CONTROL);
        expect([...new Intl.Segmenter().segment(shown)].length).toBeLessThanOrEqual(maxChars);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the CLI with hostile names', () => {
  let dir: string;
  let data: string;
  let secret: string;
  let key: Keyring;
  let dataMessageId: string;
  const id = 'NamesNamesNamesNamesNa';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-names-'));
    const secretBytes = randomData(32);
    secret = encodeLinkSecret(secretBytes);
    key = aesKeyring(await importWrappingKey(secretBytes));
    const plain = path.join(dir, 'plain');
    writeFileSync(plain, 'hello');
    data = path.join(dir, 'data');
    await encryptFile(plain, data, key, { context: objectContext(id, 'data') });
    dataMessageId = toBase64Url(parseCompleteHeader(readFileSync(data)).messageId);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Decrypts offline under a meta object naming the file `name`: what the terminal got, and what was saved. */
  async function decryptAs(name: string): Promise<{ stderr: string; saved: string[] }> {
    const out = mkdtempSync(path.join(dir, 'out-'));
    const meta = path.join(dir, `${path.basename(out)}.meta`);
    writeFileSync(meta, await sealMeta(key, id, { name, type: '', size: 5, lastModified: 0, dataMessageId }));
    const result = await runCli(['decrypt', data, `--key=${secret}`, '--meta', meta], {}, out);
    expect(result.code, result.stderr).toBe(0);
    return { stderr: result.stderr, saved: readdirSync(out) };
  }

  it('prints no escape sequence from the name (OSC title, CSI clear screen)', async () => {
    const { stderr, saved } = await decryptAs(`evil${ESC}]0;pwned\x07${ESC}[2J\x9b31m.txt`);
    expect(stderr).not.toContain(ESC);
    expect(stderr).not.toContain('\x9b');
    expect(stderr.replace(/\n/g, '')).not.toMatch(CONTROL);
    expect(saved).toEqual(['evil]0;pwned[2J31m.txt']);
  });

  it('saves a bidi-reversed name without the override, and a dotfile not hidden', async () => {
    expect((await decryptAs('invoice\u202Efdp.exe')).saved).toEqual(['invoicefdp.exe']);
    expect((await decryptAs('.bash_profile')).saved).toEqual(['bash_profile']);
    expect((await decryptAs('../../etc/passwd')).saved).toEqual(['_.._etc_passwd']);
  });

  it('saves an over-long name cut to fit with its partial-file suffix, and an empty one as "download"', async () => {
    const [long] = (await decryptAs(`${'€'.repeat(1000)}.pdf`)).saved;
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(MAX_NAME_BYTES - '.cipherdrop-partial'.length);
    expect(long.endsWith('.pdf')).toBe(true);
    expect((await decryptAs('')).saved).toEqual(['download']);
  });

  it('prints error messages without their controls', async () => {
    const failed = await runCli(['decrypt', path.join(dir, `missing${ESC}]0;pwned\x07`), `--key=${secret}`]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('missing');
    expect(failed.stderr).not.toContain(ESC);
  });

  it('downloads a hostile name: the "Saved" line has no ESC, the file a safe name', async () => {
    const stack = await startStack();
    try {
      const hostile = path.join(dir, `evil${ESC}]0;pwned\x07${ESC}[2J\u202Efdp.exe`);
      writeFileSync(hostile, 'hello');
      const up = await runCli(['upload', hostile, '--server', stack.appUrl]);
      expect(up.code, up.stderr).toBe(0);
      const out = mkdtempSync(path.join(dir, 'down-'));
      const down = await runCli(['download', up.stdout.trim()], {}, out);
      expect(down.code, down.stderr).toBe(0);
      expect(down.stderr).toContain('Saved evil');
      expect(down.stderr).not.toContain(ESC);
      expect(down.stderr.replace(/\n/g, '')).not.toMatch(CONTROL);
      expect(readdirSync(out)).toEqual(['evil]0;pwned[2Jfdp.exe']);
    } finally {
      await stack.stop();
    }
  });
});

describe('the progress bar', () => {
  it('draws a hostile label without its controls', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0);
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    try {
      const bar = progressBar(`x${ESC}]0;pwned\x07${ESC}[2Jy\u202Ez`);
      bar.update(5, 10);
      bar.update(10, 10);
      bar.finish();
    } finally {
      vi.restoreAllMocks();
      if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
    const out = written.join('');
    expect(out).toContain('x');
    expect(out.replace(/[\r\n]/g, '')).not.toMatch(CONTROL);
  });
});
