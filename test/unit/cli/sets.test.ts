/** Sets from the terminal (issue 16): real processes, the real server and the real embedded S3. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalS3 } from '../../../server/local-s3.ts';
import { s3Client } from '../../../server/s3-client.ts';
import type { SetInfoResponse } from '../../../src/contract/sets.ts';
import { PACK_LIMIT } from '../../../src/crypto/set-plan.ts';
import { type SetMember, uploadSet } from '../../../src/sets/upload-set.ts';
import { createApi } from '../../../src/transfer/api.ts';
import { directRunner } from '../../../src/transfer/parts.ts';
import { runCli } from '../../support/cli.ts';
import { startTestServer, type TestServer } from '../../support/test-server.ts';
import { randomData } from '../helpers.ts';

const MiB = 1024 * 1024;
let stack: TestServer;
let dir: string;
let s3: LocalS3;
let app: FastifyInstance;
let server: string;
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const SET_LINK = /^http:\/\/127\.0\.0\.1:\d+\/s\/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{43}$/;

beforeAll(async () => {
  stack = await startTestServer({ name: 'cipherdrop-cli-sets-', listen: true });
  ({ dir, s3, app, base: server } = stack);
  execFileSync('unzip', ['-v'], { stdio: 'ignore' });
}, 60_000);

afterAll(() => stack?.stop());

function put(file: string, size: number): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, randomData(size));
  return file;
}

/** Every file under `root` (relative, "/"-separated) with its hash, and every folder. */
function snapshot(root: string): { files: Record<string, string>; dirs: string[] } {
  const files: Record<string, string> = {};
  const dirs: string[] = [];
  const walk = (at: string, rel: string) => {
    for (const e of readdirSync(at, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        dirs.push(r);
        walk(path.join(at, e.name), r);
      } else if (e.isFile()) files[r] = sha(path.join(at, e.name));
    }
  };
  walk(root, '');
  return { files, dirs: dirs.sort() };
}

let lastUploadStderr = '';

async function upload(...args: string[]): Promise<string> {
  const up = await runCli(['upload', ...args, '--server', server, '--expires', '1h']);
  expect(up.code, up.stderr).toBe(0);
  lastUploadStderr = up.stderr;
  const links = up.stdout.trim().split('\n');
  expect(links).toHaveLength(1);
  expect(links[0]).toMatch(SET_LINK);
  return links[0];
}

const setIdOf = (link: string) => new URL(link).pathname.split('/')[2];

/** Overwrites one byte in the middle of the set's largest blob, in the store. */
async function tamperLargestBlob(link: string): Promise<void> {
  const id = setIdOf(link);
  const info = (await app.inject({ method: 'GET', url: `/api/sets/${id}` })).json() as SetInfoResponse;
  const largest = [...info.blobs].sort((a, b) => b.size - a.size)[0];
  const client = s3Client(s3.settings, s3.settings.endpoint);
  const Key = `cipherdrop/sets/${id}/blobs/${largest.id}/data`;
  const bytes = (await (await client.send(new GetObjectCommand({ Bucket: s3.settings.bucket, Key }))).Body?.transformToByteArray()) as Uint8Array;
  bytes[Math.floor(bytes.byteLength / 2)] ^= 1;
  await client.send(new PutObjectCommand({ Bucket: s3.settings.bucket, Key, Body: bytes }));
}

describe('cipherdrop sets', () => {
  it('upload DIR → one link → download -o DIR, --zip and list: every file, the empty file and the empty folder', async () => {
    const tree = path.join(dir, 'tree', 'photos');
    put(path.join(tree, '2026', 'march', 'a.jpg'), 5000);
    put(path.join(tree, '2026', 'b.jpg'), 70_000);
    put(path.join(tree, 'notes', 'empty.txt'), 0);
    // Big enough for a blob of its own; the rest share a pack.
    put(path.join(tree, 'video.bin'), PACK_LIMIT + 7);
    mkdirSync(path.join(tree, 'empty-folder', 'deeper'), { recursive: true });
    symlinkSync('/etc', path.join(tree, 'outside'));
    const link = await upload(tree);
    expect(lastUploadStderr).toContain(`Skipped ${path.join(tree, 'outside')}: symbolic link (not followed)`);
    expect(lastUploadStderr).toContain('Shared 4 files, 1 empty folder');
    const original = snapshot(path.join(dir, 'tree'));
    delete original.files['photos/outside'];

    const out = path.join(dir, 'out-tree');
    const down = await runCli(['download', link, '-o', out]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain('Saved 4 files');
    const got = snapshot(out);
    expect(got.files).toEqual(original.files);
    expect(got.dirs).toEqual(original.dirs.filter((d) => d !== 'photos/outside'));
    expect(existsSync(path.join(out, 'photos', 'outside'))).toBe(false);

    // A link already in the target folder does not lead the download elsewhere.
    const linked = path.join(dir, 'out-linked');
    const elsewhere = mkdtempSync(path.join(dir, 'elsewhere-'));
    mkdirSync(linked);
    symlinkSync(elsewhere, path.join(linked, 'photos'));
    const refused = await runCli(['download', link, '-o', linked]);
    expect([refused.code, refused.stderr.includes('is a symbolic link')]).toEqual([2, true]);
    expect(readdirSync(elsewhere)).toEqual([]);

    const again = await runCli(['download', link, '-o', out]);
    expect([again.code, again.stderr.includes('--force')]).toEqual([2, true]);
    expect((await runCli(['download', link, '-o', out, '--force'])).code).toBe(0);

    const zip = path.join(dir, 'tree.zip');
    const zipped = await runCli(['download', link, '--zip', zip]);
    expect(zipped.code, zipped.stderr).toBe(0);
    expect(execFileSync('unzip', ['-t', zip]).toString()).toContain('No errors detected');
    const extracted = path.join(dir, 'unzipped');
    execFileSync('unzip', ['-q', zip, '-d', extracted]);
    expect(snapshot(extracted)).toEqual(got);

    const listed = await runCli(['list', link]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^\s+5000 {2}photos\/2026\/march\/a\.jpg$/m);
    expect(listed.stdout).toMatch(/^\s+0 {2}photos\/notes\/empty\.txt$/m);
    expect(listed.stdout).toMatch(/^\s+\(folder\) {2}photos\/empty-folder\/deeper\/$/m);
    expect(listed.stdout).toContain(`4 files, 1 empty folder, ${5000 + 70_000 + PACK_LIMIT + 7} bytes`);
    expect(listed.stdout).not.toContain('outside');

    // No -o: a new folder named after the set, here.
    const cwd = mkdtempSync(path.join(dir, 'cwd-'));
    const plain = await runCli(['download', link], {}, cwd);
    expect(plain.code, plain.stderr).toBe(0);
    expect(snapshot(path.join(cwd, `cipherdrop-${setIdOf(link)}`)).files).toEqual(original.files);
  }, 180_000);

  it('keeps one link per file unless --one-link; --one-link numbers a name given twice', async () => {
    const a = put(path.join(dir, 'several', 'one', 'same.txt'), 10);
    const b = put(path.join(dir, 'several', 'two', 'same.txt'), 20);
    const c = put(path.join(dir, 'several', 'c.bin'), 2 * MiB);
    const each = await runCli(['upload', a, c, '--server', server]);
    expect(each.code, each.stderr).toBe(0);
    expect(
      each.stdout
        .trim()
        .split('\n')
        .map((l) => new URL(l).pathname.slice(0, 3)),
    ).toEqual(['/d/', '/d/']);
    expect((await runCli(['list', each.stdout.split('\n')[0]])).stdout).toMatch(/^\s+10 {2}same\.txt\n1 file, 10 bytes$/m);

    const link = await upload(a, b, c, '--one-link');
    const listed = await runCli(['list', link]);
    expect(listed.stdout).toContain('3 files,');
    const out = path.join(dir, 'out-several');
    expect((await runCli(['download', link, '-o', out])).code).toBe(0);
    expect(snapshot(out).files).toEqual({ 'same.txt': sha(a), 'same (2).txt': sha(b), 'c.bin': sha(c) });
  }, 120_000);

  it('a password-protected set asks for its password', async () => {
    const file = put(path.join(dir, 'secret', 'x.txt'), 100);
    const up = await runCli(['upload', path.dirname(file), '--password', '--server', server], { CIPHERDROP_PASSWORD: 'correct horse' });
    expect(up.code, up.stderr).toBe(0);
    const link = up.stdout.trim();
    expect((await runCli(['list', link])).code).toBe(5);
    expect((await runCli(['list', link], { CIPHERDROP_PASSWORD: 'wrong' })).code).toBe(5);
    const out = path.join(dir, 'out-secret');
    expect((await runCli(['download', link, '-o', out], { CIPHERDROP_PASSWORD: 'correct horse' })).code).toBe(0);
    expect(sha(path.join(out, 'secret', 'x.txt'))).toBe(sha(file));
  }, 60_000);

  it('hostile paths never write outside the folder and are neutralised, in a folder, a ZIP and a listing', async () => {
    const paths = [
      '../evil',
      '../../../../../../tmp/cipherdrop-evil',
      '/abs',
      'a\\b',
      'nul\u0000name',
      'ctl\u001b[31mred\u0007',
      'bidi\u202Etxt.exe',
      'CON',
      'aux.txt',
      'dup.txt',
      'DUP.txt',
      'x',
      'x.cipherdrop-partial',
      'deep/../../up',
      '-rf',
    ];
    const members: SetMember[] = paths.map((p, i) => ({ blob: new Blob([randomData(100 + i)]), path: p, type: '', modified: 1_700_000_000_000 }));
    const api = createApi({ base: server });
    const made = await uploadSet(members, ['../evil-folder'], { api, runner: directRunner });
    const link = `${server}${made.linkPath}`;
    const hashes = await Promise.all(
      members.map(async (m) =>
        createHash('sha256')
          .update(new Uint8Array(await m.blob.arrayBuffer()))
          .digest('hex'),
      ),
    );

    const parent = mkdtempSync(path.join(dir, 'hostile-'));
    const out = path.join(parent, 'out');
    const down = await runCli(['download', link, '-o', out]);
    expect(down.code, down.stderr).toBe(0);
    expect(readdirSync(parent)).toEqual(['out']);
    for (const escaped of ['/abs', '/tmp/cipherdrop-evil', path.join(dir, 'evil')]) expect(existsSync(escaped)).toBe(false);
    const got = snapshot(out);
    expect(Object.values(got.files).sort()).toEqual([...hashes].sort());
    const names = Object.keys(got.files);
    for (const name of names) {
      expect(name).not.toMatch(/[\p{C}\\]/u);
      expect(name.split('/')).not.toContain('..');
    }
    expect(names).toEqual(
      expect.arrayContaining([
        'evil',
        'a/b',
        'nulname',
        '_CON',
        '_aux.txt',
        'dup.txt',
        'DUP (2).txt',
        'x',
        'x.cipherdrop-partial_',
        '_rf',
        'deep/up',
        'tmp/cipherdrop-evil',
        'abs',
        'biditxt.exe',
        'ctl[31mred',
      ]),
    );
    expect(names.some((n) => n.endsWith('.cipherdrop-partial'))).toBe(false);
    expect(got.dirs).toContain('evil-folder');

    const zip = path.join(parent, 'hostile.zip');
    expect((await runCli(['download', link, '--zip', zip])).code).toBe(0);
    expect(execFileSync('unzip', ['-t', zip]).toString()).toContain('No errors detected');
    for (const entry of execFileSync('unzip', ['-Z1', zip]).toString().trim().split('\n')) {
      expect(entry).not.toMatch(/^\/|(^|\/)\.\.(\/|$)|\\|[\p{C}]/u);
    }

    const listed = await runCli(['list', link]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.replaceAll('\n', '')).not.toMatch(/[\p{C}]/u);
    expect(listed.stdout).toContain('\uFFFD');
  }, 120_000);

  it('a tampered blob: a non-zero exit naming the member, no file under its name, no complete-looking ZIP', async () => {
    const root = path.join(dir, 'tampered');
    put(path.join(root, 'a-small.txt'), 500);
    // Alone in its blob: a pack is read in runs of several members, so a neighbour would fail first.
    put(path.join(root, 'victim.bin'), PACK_LIMIT + 3);
    const link = await upload(root);
    await tamperLargestBlob(link);

    const out = path.join(dir, 'out-tampered');
    const down = await runCli(['download', link, '-o', out]);
    expect(down.code).toBe(6);
    expect(down.stderr).toContain('tampered/victim.bin failed: Integrity check failed');
    expect(down.stderr).toContain('The 1 file saved before it');
    expect(readdirSync(path.join(out, 'tampered'))).toEqual(['a-small.txt']);

    const zip = path.join(dir, 'tampered.zip');
    const zipped = await runCli(['download', link, '--zip', zip]);
    expect(zipped.code).toBe(6);
    expect(zipped.stderr).toContain('tampered/victim.bin failed');
    expect(readdirSync(dir).filter((n) => n.startsWith('tampered.zip'))).toEqual([]);
    expect(statSync(dir).isDirectory()).toBe(true);
  }, 120_000);
});
