/** File requests from the terminal: real processes, the real server and the real embedded S3. */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSize } from '../../../src/cli/requests.ts';
import { runCli } from '../../support/cli.ts';
import { startTestServer, type TestServer } from '../../support/test-server.ts';
import { randomData } from '../helpers.ts';

let stack: TestServer;
let dir: string;
let server: string;
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

beforeAll(async () => {
  stack = await startTestServer({ name: 'cipherdrop-cli-requests-', listen: true });
  ({ dir, base: server } = stack);
});

afterAll(() => stack?.stop());

function file(name: string, size: number): string {
  const p = path.join(dir, name);
  writeFileSync(p, randomData(size));
  return p;
}

async function createRequest(...extra: string[]): Promise<{ requestLink: string; inboxLink: string }> {
  const made = await runCli(['request', 'create', '--title', 'Scans, please', '--note', 'two pages', '--server', server, ...extra]);
  expect(made.code, made.stderr).toBe(0);
  const requestLink = /Request link \(give it out\): (\S+)/.exec(made.stdout)?.[1] ?? '';
  const inboxLink = /Inbox link \(keep it private, it opens every file\): (\S+)/.exec(made.stdout)?.[1] ?? '';
  expect(requestLink).toMatch(new RegExp(`^${server}/r/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{43}\\.[A-Za-z0-9_-]{43}$`));
  expect(inboxLink).toMatch(new RegExp(`^${server}/i/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{43}\\.[A-Za-z0-9_-]{43}$`));
  return { requestLink, inboxLink };
}

describe('cipherdrop request / send / inbox', () => {
  it('creates a request, sends two files with a message, lists and downloads them byte-exact (the same name twice gets " (2)")', async () => {
    const { requestLink, inboxLink } = await createRequest('--max-files', '3', '--max-size', '20M');
    const a = file('page one.pdf', 2 * 1024 * 1024 + 5);
    const sub = mkdtempSync(path.join(dir, 'other-'));
    const b = path.join(sub, 'page one.pdf');
    writeFileSync(b, randomData(1234));
    const sent = await runCli(['send', requestLink, a, b, '--message', 'both pages']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stderr).toContain('Sending to: Scans, please');

    const listed = await runCli(['inbox', inboxLink]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('Scans, please (open): 2 files');
    expect(listed.stdout).toContain('"both pages"');

    const out = mkdtempSync(path.join(dir, 'inbox-'));
    const saved = await runCli(['inbox', inboxLink, '--download', out]);
    expect(saved.code, saved.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['page one (2).pdf', 'page one.pdf']);
    expect(new Set(readdirSync(out).map((n) => sha(path.join(out, n))))).toEqual(new Set([sha(a), sha(b)]));
  }, 120_000);

  it('refuses to send past the limit with a clear message, and a damaged inbox link with BadLink', async () => {
    const { requestLink, inboxLink } = await createRequest('--max-files', '1');
    expect((await runCli(['send', requestLink, file('one.bin', 100)])).code).toBe(0);
    const full = await runCli(['send', requestLink, file('two.bin', 100)]);
    expect(full.code).not.toBe(0);
    expect(full.stderr).toMatch(/takes at most 1 file/);
    const damaged = await runCli(['inbox', inboxLink.slice(0, -3)]);
    expect(damaged.code).toBe(2);
    expect(damaged.stderr).toMatch(/incomplete or damaged/);
    const noTitle = await runCli(['request', 'create', '--server', server]);
    expect([noTitle.code, noTitle.stderr.includes('--title')]).toEqual([2, true]);
    expect(existsSync(path.join(dir, 'two.bin'))).toBe(true);
  }, 60_000);

  it('parses sizes', () => {
    expect([parseSize('1048576'), parseSize('500M'), parseSize('2g')]).toEqual([1048576, 500 * 1024 ** 2, 2 * 1024 ** 3]);
    expect(() => parseSize('lots')).toThrow(/--max-size/);
  });
});
