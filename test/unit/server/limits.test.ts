/** Rate limits and daily quotas in one process: who counts as one client, what counts, what a refusal says. */
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../server/app.ts';
import { ConfigError, type LimitSettings, limitSettings, openAccess, openLimits } from '../../../server/config.ts';
import { clientKey } from '../../../server/limits.ts';
import { memoryQuota, QUOTA_WINDOW_MS } from '../../../server/quota.ts';
import { stubStorage, uploadBody } from '../../support/limits.ts';

const TOKEN_A = 'upload-token-a-0123456789';
const TOKEN_B = 'upload-token-b-0123456789';
const DAY = QUOTA_WINDOW_MS / 1000;

const apps: FastifyInstance[] = [];
afterAll(() => Promise.all(apps.map((app) => app.close())));

async function appWith(limits: Partial<LimitSettings>, tokens: string[] = []): Promise<FastifyInstance> {
  const access = tokens.length ? openAccess({ openUploads: false, uploadTokens: tokens }) : openAccess();
  const app = await buildApp({ storage: stubStorage(), access, limits: openLimits(limits), presignExpiresSeconds: 60 });
  apps.push(app);
  return app;
}

const get = (app: FastifyInstance, url: string, remoteAddress = '203.0.113.1', headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, remoteAddress, headers });

const create = (app: FastifyInstance, bytes: number, remoteAddress: string, token?: string) =>
  app.inject({ method: 'POST', url: '/api/uploads', payload: uploadBody(bytes), remoteAddress, headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('clientKey', () => {
  it('keeps IPv4 addresses and IPv4 clients of a dual-stack socket as they are', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(clientKey('0:0:0:0:0:ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('keys IPv6 by its /64, whatever the spelling', () => {
    const key = '2001:db8:1:2::/64';
    for (const ip of [
      '2001:db8:1:2::1',
      '2001:DB8:1:2:ffff:ffff:ffff:ffff',
      '2001:0db8:0001:0002:0000:0000:0000:0009',
      '2001:db8:1:2::',
      '2001:db8:1:2:0:0:1.2.3.4',
    ]) {
      expect(clientKey(ip), ip).toBe(key);
    }
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('2001:db8:1:3::1')).not.toBe(key);
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
  });

  it('drops zone ids, and leaves what is no address alone', () => {
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey('fe80::2%25')).toBe('fe80:0:0:0::/64');
    expect(clientKey('not-an-address')).toBe('not-an-address');
  });
});

describe('rate limit', () => {
  it('gives one /64 one budget, and another /64 its own', async () => {
    const app = await appWith({ rateLimitPerMinute: 3 });
    const statuses = [];
    for (const ip of ['2001:db8:1:2::a', '2001:db8:1:2::b', '2001:db8:1:2:ffff::c', '2001:db8:1:2::d'])
      statuses.push((await get(app, '/api/health', ip)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await get(app, '/api/health', '2001:db8:1:3::a')).statusCode).toBe(200);
    expect((await get(app, '/api/health', '::ffff:198.51.100.9')).statusCode).toBe(200);
  });

  it('answers over the limit with a JSON 429, Retry-After and the security headers', async () => {
    const app = await appWith({ rateLimitPerMinute: 1 });
    await get(app, '/api/health');
    const res = await get(app, '/api/health');
    expect(res.statusCode).toBe(429);
    expect(res.json()).toEqual({ error: { code: 'RateLimited', message: expect.stringContaining('at most 1 a minute') } });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  });

  // Fails on the code before issue 13: the not-found handler was never rate limited.
  it('counts 404s: probing for paths costs budget too', async () => {
    const app = await appWith({ rateLimitPerMinute: 3 });
    const statuses = [];
    for (const url of ['/nope', '/api/nope', '/d/x/y', '/nope', '/api/health']) statuses.push((await get(app, url)).statusCode);
    expect(statuses).toEqual([404, 404, 404, 429, 429]);
    expect((await get(app, '/nope')).json().error.code).toBe('RateLimited');
  });

  // Fails on the code before issue 13: trustProxy was always false, so every client behind a
  // proxy shared the proxy's budget.
  it('behind a trusted proxy, X-Forwarded-For names the client', async () => {
    const app = await appWith({ rateLimitPerMinute: 2, trustProxy: '10.0.0.1' });
    const via = (client: string) => get(app, '/api/health', '10.0.0.1', { 'x-forwarded-for': client });
    expect([(await via('198.51.100.1')).statusCode, (await via('198.51.100.1')).statusCode, (await via('198.51.100.1')).statusCode]).toEqual([200, 200, 429]);
    expect((await via('198.51.100.2')).statusCode).toBe(200);
    expect((await via('2001:db8:5:5::1, 10.0.0.1')).statusCode).toBe(200);
    // A peer that is not the proxy cannot pick its identity: its own address counts.
    const direct = (client: string) => get(app, '/api/health', '192.0.2.50', { 'x-forwarded-for': client });
    expect([(await direct('198.51.100.3')).statusCode, (await direct('198.51.100.4')).statusCode, (await direct('198.51.100.5')).statusCode]).toEqual([
      200, 200, 429,
    ]);
  });

  it('without TRUST_PROXY, X-Forwarded-For is ignored', async () => {
    const app = await appWith({ rateLimitPerMinute: 2 });
    const via = (client: string) => get(app, '/api/health', '10.0.0.1', { 'x-forwarded-for': client });
    expect([(await via('198.51.100.1')).statusCode, (await via('198.51.100.2')).statusCode, (await via('198.51.100.3')).statusCode]).toEqual([200, 200, 429]);
  });
});

describe('daily quotas', () => {
  const refused = async (res: Awaited<ReturnType<typeof create>>, what: RegExp) => {
    expect(res.statusCode).toBe(429);
    expect(res.json()).toEqual({ error: { code: 'QuotaExceeded', message: expect.stringMatching(what) } });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(DAY - 60);
    expect(retryAfter).toBeLessThanOrEqual(DAY);
  };

  it('bounds the bytes of one upload token from any address, and counts no refused upload', async () => {
    const app = await appWith({ quotaBytesPerDay: 1000, quotaFilesPerDay: 100 }, [TOKEN_A, TOKEN_B]);
    expect((await create(app, 700, '198.51.100.1', TOKEN_A)).statusCode).toBe(201);
    await refused(await create(app, 400, '198.51.100.2', TOKEN_A), /1000 bytes a day with this access token/);
    // The refused 400 was not counted: exactly the 300 left still fit.
    expect((await create(app, 300, '198.51.100.3', TOKEN_A)).statusCode).toBe(201);
    await refused(await create(app, 101, '198.51.100.4', TOKEN_A), /access token/);
    // Nor was it counted against 198.51.100.2, which still has its whole day left.
    expect((await create(app, 1000, '198.51.100.2', TOKEN_B)).statusCode).toBe(201);
  });

  it('bounds the bytes of one client (an IPv6 /64) whatever token it uses', async () => {
    const app = await appWith({ quotaBytesPerDay: 1000, quotaFilesPerDay: 100 }, [TOKEN_A, TOKEN_B]);
    expect((await create(app, 600, '2001:db8:7:7::1', TOKEN_A)).statusCode).toBe(201);
    await refused(await create(app, 600, '2001:db8:7:7::2', TOKEN_B), /1000 bytes a day from your network/);
    expect((await create(app, 600, '2001:db8:7:8::1', TOKEN_B)).statusCode).toBe(201);
  });

  it('bounds the number of files, per client with open uploads too', async () => {
    const app = await appWith({ quotaBytesPerDay: 1_000_000, quotaFilesPerDay: 2 });
    expect((await create(app, 200, '203.0.113.9')).statusCode).toBe(201);
    expect((await create(app, 200, '203.0.113.9')).statusCode).toBe(201);
    await refused(await create(app, 200, '203.0.113.9'), /2 files a day from your network/);
    expect((await create(app, 200, '203.0.113.10')).statusCode).toBe(201);
  });

  it('refuses an upload larger than the whole quota with 413: waiting would not help', async () => {
    const app = await appWith({ quotaBytesPerDay: 1000 });
    const res = await create(app, 1001, '203.0.113.11');
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PayloadTooLarge');
    expect((await create(app, 1000, '203.0.113.11')).statusCode).toBe(201);
  });

  it('starts a counter afresh a day after its first charge', async () => {
    let now = 1_000_000;
    const quota = memoryQuota(() => now);
    const counter = { key: 'client:x:files', amount: 1, limit: 1 };
    expect(await quota.charge([counter])).toEqual({ refused: null });
    now += 1000;
    expect(await quota.charge([counter])).toEqual({ refused: 0, retryAfterMs: QUOTA_WINDOW_MS - 1000 });
    now += QUOTA_WINDOW_MS;
    expect(await quota.charge([counter])).toEqual({ refused: null });
  });
});

describe('limit settings', () => {
  it('reads the defaults and the documented forms', () => {
    expect(limitSettings({})).toEqual({ rateLimitPerMinute: 600, trustProxy: false, quotaBytesPerDay: 50 * 1024 ** 3, quotaFilesPerDay: 2000, redisUrl: null });
    expect(limitSettings({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(limitSettings({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1,fd00::/8,loopback' }).trustProxy).toBe('10.0.0.0/8,127.0.0.1,::1,fd00::/8,loopback');
    expect(limitSettings({ REDIS_URL: 'redis://:secret@redis.internal:6379/2' }).redisUrl).toBe('redis://:secret@redis.internal:6379/2');
    expect(limitSettings({ QUOTA_BYTES_PER_DAY: '1000', QUOTA_FILES_PER_DAY: '5', RATE_LIMIT_PER_MINUTE: '60' })).toMatchObject({
      quotaBytesPerDay: 1000,
      quotaFilesPerDay: 5,
      rateLimitPerMinute: 60,
    });
  });

  it('refuses what it cannot mean', () => {
    for (const env of [
      { TRUST_PROXY: '2' },
      { TRUST_PROXY: 'proxy.internal' },
      { TRUST_PROXY: '10.0.0.0/33' },
      { TRUST_PROXY: '10.0.0.1,' },
      { REDIS_URL: 'http://redis:6379' },
      { QUOTA_BYTES_PER_DAY: '0' },
      { QUOTA_FILES_PER_DAY: '1.5' },
      { RATE_LIMIT_PER_MINUTE: 'many' },
    ]) {
      expect(() => limitSettings(env), JSON.stringify(env)).toThrow(ConfigError);
    }
  });
});
