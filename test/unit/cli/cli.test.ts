/** The CLI as a script sees it: real processes, the real server and the real embedded S3. */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccess } from '../../../server/config.ts';
import { parseDuration } from '../../../src/cli/args.ts';
import type { FileInfoResponse } from '../../../src/contract/api.ts';
import { importWrappingKey } from '../../../src/crypto/cipher.ts';
import { aesKeyring } from '../../../src/crypto/keyring.ts';
import { encodeLinkSecret, objectContext } from '../../../src/crypto/objects.ts';
import { encryptFile } from '../../../src/node/files.ts';
import { runCli } from '../../support/cli.ts';
import { baseOf, startTestServer, type TestServer } from '../../support/test-server.ts';
import { randomData } from '../helpers.ts';

let stack: TestServer;
let dir: string;
let app: FastifyInstance;
let server: string;
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

beforeAll(async () => {
  stack = await startTestServer({ name: 'cipherdrop-cli-', listen: true });
  ({ dir, app, base: server } = stack);
});

afterAll(() => stack?.stop());

function file(name: string, size: number): string {
  const p = path.join(dir, name);
  writeFileSync(p, randomData(size));
  return p;
}

async function stored(link: string, role: 'data' | 'meta'): Promise<string> {
  const id = new URL(link).pathname.split('/').at(-1) as string;
  const info = (await app.inject({ method: 'GET', url: `/api/files/${id}` })).json() as FileInfoResponse;
  const out = path.join(dir, `${id}.${role}`);
  writeFileSync(out, new Uint8Array(await (await fetch(role === 'data' ? info.dataUrl : info.metaUrl)).arrayBuffer()));
  return out;
}

describe('cipherdrop CLI', () => {
  it('uploads several files and downloads each byte-exact under its own name', async () => {
    const a = file('alpha.bin', 6 * 1024 * 1024 + 3);
    const b = file('empty.txt', 0);
    const up = await runCli(['upload', a, b, '--server', server, '--expires', '1h']);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const links = up.stdout.trim().split('\n');
    expect(links).toHaveLength(2);
    for (const link of links) expect(link).toMatch(new RegExp(`^${server}/d/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{43}$`));
    const out = mkdtempSync(path.join(dir, 'out-'));
    expect((await runCli(['download', links[0]], {}, out)).code).toBe(0);
    expect(sha(path.join(out, 'alpha.bin'))).toBe(sha(a));
    expect((await runCli(['download', links[1], '-o', path.join(out, 'e')])).code).toBe(0);
    expect(readFileSync(path.join(out, 'e')).byteLength).toBe(0);
    const again = await runCli(['download', links[0]], {}, out);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
  });

  it('decrypts offline from the stored objects, with and without the meta object', async () => {
    const a = file('offline.pdf', 777_777);
    const link = (await runCli(['upload', a, '--server', server])).stdout.trim();
    const data = await stored(link, 'data');
    const meta = await stored(link, 'meta');
    const secret = new URL(link).hash.slice(1);
    const out = mkdtempSync(path.join(dir, 'off-'));
    const withMeta = await runCli(['decrypt', data, `--key=${secret}`, '--meta', meta], {}, out);
    expect(withMeta.code, `${withMeta.stderr} (link ${JSON.stringify(link)})`).toBe(0);
    expect(sha(path.join(out, 'offline.pdf'))).toBe(sha(a));
    const withLink = await runCli(['decrypt', data, '--key', link, '-o', path.join(out, 'x')]);
    expect(withLink.code, withLink.stderr).toBe(0);
    expect(sha(path.join(out, 'x'))).toBe(sha(a));
  });

  it('has stable exit codes: wrong key 5, tampered 6, unknown 4, usage 2', async () => {
    const a = file('codes.bin', 300_000);
    const link = (await runCli(['upload', a, '--server', server])).stdout.trim();
    const data = await stored(link, 'data');
    const out = path.join(dir, 'codes.out');
    const wrongKey = 'A'.repeat(43);
    expect((await runCli(['decrypt', data, '--key', wrongKey, '-o', out])).code).toBe(5);
    const bad = readFileSync(data);
    bad[bad.byteLength - 5] ^= 1;
    writeFileSync(data, bad);
    const tampered = await runCli(['decrypt', data, '--key', link, '-o', out]);
    expect(tampered.code).toBe(6);
    expect(tampered.stderr).toContain('Integrity check failed (Corrupted)');
    expect(existsSync(out) || existsSync(`${out}.cipherdrop-partial`)).toBe(false);
    const unknown = link.replace(/\/d\/[^#]+/, '/d/BBBBBBBBBBBBBBBBBBBBBB');
    expect((await runCli(['download', unknown, '-o', out])).code).toBe(4);
    expect((await runCli(['download', `${server}/d/short#x`])).code).toBe(2);
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['upload', a, '--expires', 'soon'])).code).toBe(2);
    expect((await runCli(['download', link, '--bogus'])).code).toBe(2);
    expect((await runCli(['upload', a, '--server', 'http://127.0.0.1:1'])).code).toBe(3);
  });

  it('password links need the password, and refuse a wrong one with exit 5', async () => {
    const a = file('secret.txt', 5000);
    const up = await runCli(['upload', a, '--password', '--server', server], { CIPHERDROP_PASSWORD: 'correct horse' });
    expect(up.code).toBe(0);
    const link = up.stdout.trim();
    const out = path.join(dir, 'pw.out');
    expect((await runCli(['download', link, '-o', out])).code).toBe(5);
    expect((await runCli(['download', link, '-o', out], { CIPHERDROP_PASSWORD: 'wrong horse' })).code).toBe(5);
    expect(existsSync(out)).toBe(false);
    expect((await runCli(['download', link, '-o', out], { CIPHERDROP_PASSWORD: 'correct horse' })).code).toBe(0);
    expect(sha(out)).toBe(sha(a));
    const data = await stored(link, 'data');
    expect((await runCli(['decrypt', data, '--key', link, '-o', `${out}2`], { CIPHERDROP_PASSWORD: 'correct horse' })).code).toBe(0);
    expect(sha(`${out}2`)).toBe(sha(a));
  });

  it('sends the upload token a locked server asks for', async () => {
    const token = 'cli-upload-token-0123456789';
    const locked = await stack.build({ access: openAccess({ openUploads: false, uploadTokens: [token] }) });
    await locked.listen({ host: '127.0.0.1', port: 0 });
    const url = baseOf(locked);
    try {
      const a = file('locked.bin', 1000);
      const refused = await runCli(['upload', a, '--server', url]);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain('access token');
      const ok = await runCli(['upload', a, '--server', url], { CIPHERDROP_TOKEN: token });
      expect(ok.code).toBe(0);
      expect((await runCli(['download', ok.stdout.trim(), '-o', path.join(dir, 'locked.out')])).code).toBe(0);
      expect(sha(path.join(dir, 'locked.out'))).toBe(sha(a));
    } finally {
      await locked.close();
    }
  });

  it('takes a secret that begins with "-" in the --key=SECRET form', async () => {
    // 0xF8 in the first byte encodes as "-" in base64url: one link in 64 has such a secret.
    const secretBytes = randomData(32);
    secretBytes[0] = 0xf8;
    const secret = encodeLinkSecret(secretBytes);
    expect(secret.startsWith('-')).toBe(true);
    const plain = file('dash.in', 5000);
    const data = path.join(dir, 'dash.data');
    await encryptFile(plain, data, aesKeyring(await importWrappingKey(secretBytes)), { context: objectContext('DashDashDashDashDashDa', 'data') });
    const spaced = await runCli(['decrypt', data, '--key', secret, '-o', path.join(dir, 'dash.out')]);
    expect(spaced.code).toBe(2);
    expect(spaced.stderr).toContain('--key=VALUE');
    const ok = await runCli(['decrypt', data, `--key=${secret}`, '-o', path.join(dir, 'dash.out')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(sha(path.join(dir, 'dash.out'))).toBe(sha(plain));
  });

  it('parses durations', () => {
    expect(parseDuration('30m')).toBe(1800);
    expect(parseDuration('7d')).toBe(604800);
    expect(parseDuration('never')).toBeUndefined();
    expect(() => parseDuration('7 days')).toThrow(/--expires/);
  });
});
