/** Server configuration from the environment, validated once at start. See README "Configuration". */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import path from 'node:path';
import { PART_CHECKSUMS, type PartChecksum } from '../src/contract/api.ts';
import { LOG_LEVELS, type LogLevel } from './logging.ts';

export interface S3Settings {
  /** Where this server talks to S3. Unset means AWS's regional endpoint. */
  endpoint?: string;
  /** Where browsers reach S3 (presigned URLs are signed for this host). Defaults to `endpoint`. */
  publicEndpoint?: string;
  bucket: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  /** s3rver verifies SigV4 over "/bucket", but the SDK signs bucket requests as "/bucket/" */
  signBucketPathWithoutSlash?: boolean;
  /** Server-side encryption, a second layer under the client-side encryption. Default none. */
  sse?: SseSettings;
  /** PART_CHECKSUM: the digest signed into every part URL; null (the default) turns it off. */
  partChecksum?: PartChecksum | null;
}

/**
 * `AES256` (SSE-S3) and `aws:kms` (SSE-KMS) are asked for on every object this app writes;
 * `sse-c` makes browsers send a per-file key derived from the link secret, which the store uses
 * and forgets (and this server never sees).
 */
export const SSE_MODES = ['none', 'AES256', 'aws:kms', 'sse-c'] as const;
export type SseMode = (typeof SSE_MODES)[number];
export interface SseSettings {
  mode: SseMode;
  /** SSE-KMS key id or ARN; unset means the store's default KMS key */
  kmsKeyId?: string;
}

function sseSettings(env: NodeJS.ProcessEnv): SseSettings {
  const mode = (env.S3_SSE || 'none') as SseMode;
  if (!SSE_MODES.includes(mode)) throw new ConfigError(`S3_SSE must be one of ${SSE_MODES.join(', ')}`);
  if (env.S3_SSE_KMS_KEY_ID && mode !== 'aws:kms') throw new ConfigError('S3_SSE_KMS_KEY_ID needs S3_SSE=aws:kms');
  return { mode, kmsKeyId: env.S3_SSE_KMS_KEY_ID || undefined };
}

export function partChecksum(env: NodeJS.ProcessEnv): PartChecksum | null {
  // Off by default: measured here it costs more than 5 % of upload speed (README "Per-part integrity").
  const value = env.PART_CHECKSUM || 'none';
  if (value === 'none') return null;
  if (!PART_CHECKSUMS.includes(value as PartChecksum)) throw new ConfigError(`PART_CHECKSUM must be one of ${PART_CHECKSUMS.join(', ')}, none`);
  return value as PartChecksum;
}

export interface Config {
  host: string;
  port: number;
  /** null: start the embedded local S3 server under dataDir. */
  s3: S3Settings | null;
  dataDir: string;
  staticDir: string;
  /** Object keys live under this prefix; the server never touches keys outside it. */
  prefix: string;
  presignExpiresSeconds: number;
  access: AccessSettings;
  limits: LimitSettings;
  /** LOG_LEVEL; unset means info with a configured bucket, warn with the embedded store */
  logLevel?: LogLevel;
  edge: EdgeSettings;
}

/** What the server answers to, and how it tells browsers to reach it. */
export interface EdgeSettings {
  /** the page's origins (APP_ORIGIN), e.g. for the embedded store's CORS rule */
  appOrigins: string[];
  /** Host header names (no port) the server answers; others get 421. Loopback names are always allowed. */
  allowedHosts: string[];
  /** Strict-Transport-Security max-age in seconds; 0: no HSTS header */
  hstsMaxAge: number;
}

export interface AccessSettings {
  /** bearer tokens that may upload; empty with openUploads means anyone may */
  uploadTokens: string[];
  openUploads: boolean;
  /** largest data object accepted, in bytes */
  maxFileSize: number;
  /** HMAC key for owner tokens; every process behind one load balancer needs the same */
  ownerSecret: string;
  /** where the viewer's "Report abuse" link points (mailto: or https:), or null */
  abuseContact: string | null;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

const DEFAULT_PORT = 8080;
const DEFAULT_PRESIGN_SECONDS = 3600;
/** S3 caps presigned URLs at 7 days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

function s3Settings(env: NodeJS.ProcessEnv): S3Settings | null {
  const configured = ['S3_ENDPOINT', 'S3_BUCKET'].some((k) => env[k]);
  if (!configured) return null;
  const required = ['S3_BUCKET', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
  const missing = required.filter((k) => !env[k]);
  if (missing.length) throw new ConfigError(`S3 is configured but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing`);
  return {
    endpoint: env.S3_ENDPOINT || undefined,
    publicEndpoint: env.S3_PUBLIC_ENDPOINT || env.S3_ENDPOINT || undefined,
    bucket: env.S3_BUCKET as string,
    region: env.S3_REGION || 'us-east-1',
    forcePathStyle: (env.S3_FORCE_PATH_STYLE ?? (env.S3_ENDPOINT ? 'true' : 'false')) === 'true',
    accessKeyId: env.AWS_ACCESS_KEY_ID as string,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
    sse: sseSettings(env),
    partChecksum: partChecksum(env),
  };
}

const DEFAULT_MAX_FILE_SIZE = 5 * 1024 ** 4;

function access(env: NodeJS.ProcessEnv, embedded: boolean): AccessSettings {
  const uploadTokens = (env.UPLOAD_TOKENS ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (uploadTokens.some((t) => t.length < 16)) throw new ConfigError('UPLOAD_TOKENS must be at least 16 characters each');
  // The embedded store listens on loopback only, so open uploads are its default; a real bucket
  // needs tokens, or OPEN_UPLOADS=true said on purpose.
  const openUploads = env.OPEN_UPLOADS === undefined ? embedded && uploadTokens.length === 0 : env.OPEN_UPLOADS === 'true';
  if (!openUploads && uploadTokens.length === 0) throw new ConfigError('Set UPLOAD_TOKENS, or OPEN_UPLOADS=true to let anyone upload');
  const ownerSecret = env.OWNER_SECRET ?? randomBytes(32).toString('base64url');
  if (ownerSecret.length < 32) throw new ConfigError('OWNER_SECRET must be at least 32 characters');
  return {
    uploadTokens,
    openUploads,
    maxFileSize: integer(env, 'MAX_FILE_SIZE', DEFAULT_MAX_FILE_SIZE, 0, DEFAULT_MAX_FILE_SIZE),
    ownerSecret,
    abuseContact: abuseContact(env.ABUSE_CONTACT),
  };
}

function abuseContact(value: string | undefined): string | null {
  if (!value) return null;
  if (!/^(mailto:[^\s]+@[^\s]+|https:\/\/[^\s]+)$/.test(value)) throw new ConfigError('ABUSE_CONTACT must be a mailto: or https: URL');
  return value;
}

function logLevel(value: string | undefined): LogLevel | undefined {
  if (!value) return undefined;
  if (!LOG_LEVELS.includes(value as LogLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return value as LogLevel;
}

/** Host names a loopback server is reached by. */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];
/** A year, as HSTS preload lists expect. */
const DEFAULT_HSTS_SECONDS = 365 * 24 * 3600;

export function edgeSettings(env: NodeJS.ProcessEnv, port: number): EdgeSettings {
  const appOrigins = (env.APP_ORIGIN || `http://127.0.0.1:${port}`).split(',').map((o) => o.trim());
  for (const origin of appOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new ConfigError(`APP_ORIGIN: "${origin}" is not an origin (scheme://host[:port])`);
  }
  const extra = (env.ALLOWED_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const allowedHosts = [...new Set([...LOOPBACK_HOSTS, ...appOrigins.map((o) => new URL(o).hostname), ...extra])];
  const https = appOrigins.every((o) => o.startsWith('https:'));
  return { appOrigins, allowedHosts, hstsMaxAge: integer(env, 'HSTS_MAX_AGE', https ? DEFAULT_HSTS_SECONDS : 0, 0, 2 * DEFAULT_HSTS_SECONDS) };
}

/** Loopback only, no HSTS: the tests' and the benchmark's setup. */
export const loopbackEdge = (): EdgeSettings => ({ appOrigins: [], allowedHosts: LOOPBACK_HOSTS, hstsMaxAge: 0 });

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const prefix = env.S3_PREFIX ?? 'cipherdrop/';
  if (!/^([A-Za-z0-9._-]+\/)*$/.test(prefix)) throw new ConfigError('S3_PREFIX must be empty or path segments ending in "/"');
  const s3 = s3Settings(env);
  const port = integer(env, 'PORT', DEFAULT_PORT, 0, 65535);
  return {
    access: access(env, s3 === null),
    limits: limitSettings(env),
    host: env.HOST || '127.0.0.1',
    port,
    s3,
    dataDir: path.resolve(env.DATA_DIR || '.data'),
    staticDir: path.resolve(env.STATIC_DIR || 'dist'),
    prefix,
    presignExpiresSeconds: integer(env, 'PRESIGN_EXPIRES_SECONDS', DEFAULT_PRESIGN_SECONDS, 1, MAX_PRESIGN_SECONDS),
    logLevel: logLevel(env.LOG_LEVEL),
    edge: edgeSettings(env, port),
  };
}

/** Open uploads and a fresh owner secret: the embedded loopback setup of tests and the benchmark (see openLimits). */
export function openAccess(overrides: Partial<AccessSettings> = {}): AccessSettings {
  return {
    uploadTokens: [],
    openUploads: true,
    maxFileSize: DEFAULT_MAX_FILE_SIZE,
    ownerSecret: randomBytes(32).toString('base64url'),
    abuseContact: null,
    ...overrides,
  };
}

export interface LimitSettings {
  /** RATE_LIMIT_PER_MINUTE: requests per minute per client (an IPv4 address or an IPv6 /64) */
  rateLimitPerMinute: number;
  /** TRUST_PROXY, as Fastify takes it: true (any peer) or the proxies' comma-separated addresses/CIDRs */
  trustProxy: boolean | string;
  /** QUOTA_BYTES_PER_DAY: bytes one upload token, and one client, may start uploading a day */
  quotaBytesPerDay: number;
  /** QUOTA_FILES_PER_DAY: uploads one upload token, and one client, may start a day */
  quotaFilesPerDay: number;
  /** REDIS_URL: counters shared by every process; null keeps them in this process's memory */
  redisUrl: string | null;
}

const DEFAULT_RATE_LIMIT = 600;
const DEFAULT_QUOTA_BYTES = 50 * 1024 ** 3;
const DEFAULT_QUOTA_FILES = 2000;
/** proxy-addr's names for address ranges, which Fastify accepts in the list too */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

export function limitSettings(env: NodeJS.ProcessEnv): LimitSettings {
  return {
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', DEFAULT_RATE_LIMIT, 1, 1_000_000),
    trustProxy: trustProxy(env.TRUST_PROXY),
    quotaBytesPerDay: integer(env, 'QUOTA_BYTES_PER_DAY', DEFAULT_QUOTA_BYTES, 1, Number.MAX_SAFE_INTEGER),
    quotaFilesPerDay: integer(env, 'QUOTA_FILES_PER_DAY', DEFAULT_QUOTA_FILES, 1, 1_000_000_000),
    redisUrl: redisUrl(env.REDIS_URL),
  };
}

function trustProxy(value: string | undefined): boolean | string {
  if (!value || value === 'false') return false;
  if (value === 'true') return true;
  // Fastify 5.12 takes a hop count but then trusts no proxy at all (a count cannot tell a proxy
  // from a client adding hops), so it would silently do nothing.
  if (/^\d+$/.test(value)) throw new ConfigError("TRUST_PROXY takes true or the proxies' addresses/CIDRs, not a hop count");
  const entries = value.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const [address, bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const valid = PROXY_RANGES.includes(entry) || (family !== 0 && rest.length === 0 && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max)));
    if (!valid) throw new ConfigError(`TRUST_PROXY: "${entry}" is not an address, a CIDR or one of ${PROXY_RANGES.join(', ')} (or say true)`);
  }
  return entries.join(',');
}

function redisUrl(value: string | undefined): string | null {
  if (!value) return null;
  if (!/^rediss?:\/\/[^\s]+$/.test(value) || !URL.canParse(value)) throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL');
  return value;
}

/** No practical rate limit or quota, no proxy, counters in memory: tests and the benchmark. */
export function openLimits(overrides: Partial<LimitSettings> = {}): LimitSettings {
  return {
    rateLimitPerMinute: 1_000_000,
    trustProxy: false,
    quotaBytesPerDay: Number.MAX_SAFE_INTEGER,
    quotaFilesPerDay: 1_000_000_000,
    redisUrl: null,
    ...overrides,
  };
}
