/**
 * Limits across processes: a real redis-server and two real server processes sharing it
 * (REDIS_URL). The sums hold across both; a Redis restart loses no upload, hangs no request and
 * crashes no process; while Redis is down the rate limit is off and quota checks answer 503.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisQuota } from '../../../server/quota.ts';
import { uploadBody } from '../../support/limits.ts';

const REDIS = '/usr/bin/redis-server';
const haveRedis = existsSync(REDIS);
if (!haveRedis) console.warn(`limits-redis.test.ts skipped: ${REDIS} is missing (apt-get install redis-server; CI installs it)`);

const RATE = 10;
const FILES = 3;

let redisPort = 0;
let redis: ChildProcess | null = null;
const servers: { process: ChildProcess; url: string }[] = [];
const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-redis-'));

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const cli = (...args: string[]) =>
  execFileSync('redis-cli', ['-p', String(redisPort), ...args], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();

async function startRedis(): Promise<void> {
  redis = spawn(REDIS, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      if (cli('ping') === 'PONG') return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('redis-server did not start');
}

async function stopRedis(): Promise<void> {
  const stopped = redis;
  if (!stopped || stopped.exitCode !== null) return;
  const exited = new Promise((resolve) => stopped.once('exit', resolve));
  cli('shutdown', 'nosave');
  await exited;
}

async function startServer(): Promise<{ process: ChildProcess; url: string }> {
  const env = {
    ...process.env,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    RATE_LIMIT_PER_MINUTE: String(RATE),
    QUOTA_FILES_PER_DAY: String(FILES),
    // The test is every client at once: each names itself in X-Forwarded-For through loopback.
    TRUST_PROXY: 'loopback',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/limits-server.ts'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await Promise.race([
    new Promise((resolve) => lines.once('line', (text) => resolve([text]))),
    new Promise((_resolve, reject) => child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))),
  ])) as [string];
  return { process: child, url: `http://127.0.0.1:${JSON.parse(line).port}` };
}

async function call(server: number, method: 'GET' | 'POST', url: string, client: string, body?: unknown) {
  const started = Date.now();
  const res = await fetch(`${servers[server].url}${url}`, {
    method,
    headers: { 'x-forwarded-for': client, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: json.error?.code, retryAfter: res.headers.get('retry-after'), ms: Date.now() - started };
}
const create = (server: number, client: string) => call(server, 'POST', '/api/uploads', client, uploadBody(1000));
const health = (server: number, client: string) => call(server, 'GET', '/api/health', client);

describe.skipIf(!haveRedis)('limits shared through Redis by two server processes', () => {
  beforeAll(async () => {
    redisPort = await freePort();
    await startRedis();
    servers.push(...(await Promise.all([startServer(), startServer()])));
  });

  afterAll(async () => {
    for (const server of servers) server.process.kill('SIGTERM');
    await stopRedis().catch(() => redis?.kill('SIGKILL'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds the rate limit for the sum of both processes', async () => {
    const statuses = [];
    for (let i = 0; i < RATE + 4; i++) statuses.push((await health(i % 2, '198.51.100.1')).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(RATE);
    expect(statuses.slice(RATE)).toEqual([429, 429, 429, 429]);
    expect((await health(1, '198.51.100.99')).status).toBe(200);
  });

  it('holds the quota for the sum, even for requests racing on both processes', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => create(i % 2, '198.51.100.2')));
    expect(results.filter((r) => r.status === 201)).toHaveLength(FILES);
    expect(results.filter((r) => r.status === 429).map((r) => r.code)).toEqual(Array(8 - FILES).fill('QuotaExceeded'));
    expect(Number(results.find((r) => r.status === 429)?.retryAfter)).toBeGreaterThan(24 * 3600 - 60);
  });

  it('bounds every Redis call: a stalled Redis delays a quota check, and counts it once', async () => {
    // Long enough that the quota's own command times out too (after the rate limit's 1 s).
    cli('client', 'pause', '4000', 'all');
    // The rate limit gives up after its command timeout and lets the request through.
    const open = await health(0, '198.51.100.6');
    expect(open.status).toBe(200);
    // Well before Redis goes on (4 s): the rate limit's 1 s timeout, with room for a busy machine.
    expect(open.ms).toBeLessThan(3000);
    // The quota check times out, asks again, and both land once Redis goes on: counted once.
    const slow = await create(1, '198.51.100.6');
    expect(slow.status).toBe(201);
    const statuses = [];
    for (let i = 0; i < FILES; i++) statuses.push((await create(i % 2, '198.51.100.6')).status);
    expect(statuses).toEqual([...Array(FILES - 1).fill(201), 429]);
  });

  it('does not count a charge twice when its reply was lost and it is sent again', async () => {
    const client = new Redis(`redis://127.0.0.1:${redisPort}`);
    try {
      let lose = true;
      // The script runs, then the connection "drops" before the reply: the store must retry.
      const flaky = {
        eval: async (...args: Parameters<Redis['eval']>) => {
          const result = await client.eval(...args);
          if (lose) {
            lose = false;
            throw new Error('Connection is closed.');
          }
          return result;
        },
      } as Partial<Redis> as Redis;
      const quota = redisQuota(flaky, 4000, () => new Error('unavailable'));
      expect(await quota.charge([{ key: 'test:lost-reply', amount: 5, limit: 100 }])).toEqual({ refused: null });
      expect(lose).toBe(false);
      expect(await client.get('cipherdrop:quota:test:lost-reply')).toBe('5');
    } finally {
      client.disconnect();
    }
  });

  it('rides out a Redis restart: no lost upload, no hang, no crash', async () => {
    await stopRedis();
    // Down: the rate limit fails open (198.51.100.1 is over its limit, yet passes) and at once.
    const open = await health(0, '198.51.100.1');
    expect(open.status).toBe(200);
    // At once: well under the quota check's own few seconds of trying (below), with room for a busy machine.
    expect(open.ms).toBeLessThan(2500);
    // Down: a quota check keeps trying for a few seconds, then answers a retryable 503.
    const closed = await create(1, '198.51.100.3');
    expect(closed).toMatchObject({ status: 503, code: 'QuotaUnavailable', retryAfter: '5' });
    expect(closed.ms).toBeGreaterThan(3000);
    expect(closed.ms).toBeLessThan(8000);

    // Asked while Redis is down and answered once it is back: the upload is not lost.
    const during = create(0, '198.51.100.4');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await startRedis();
    expect(await during).toMatchObject({ status: 201 });
    expect((await create(1, '198.51.100.4')).status).toBe(201);

    // Both processes are alive and count together again.
    for (const server of servers) expect(server.process.exitCode).toBeNull();
    const statuses = [];
    for (let i = 0; i < RATE + 2; i++) statuses.push((await health(i % 2, '198.51.100.5')).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(RATE);
  });
});
