/**
 * The whole product on loopback, as the e2e tests use it: a real S3 store, the real presign
 * server serving the built page, and a recording proxy in front of each, so every byte the
 * browser sends is on record. The store is the embedded s3rver (in its child process), or — when
 * CIPHERDROP_TEST_S3_ENV names an env file such as test/ceph/up.sh writes — that store, with a
 * fresh bucket per stack, set up by the same code as `npm run setup`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { buildApp } from '../../server/app.ts';
import { type AccessSettings, type LimitSettings, openAccess, openLimits, type S3Settings, type SseSettings } from '../../server/config.ts';
import { startLocalS3 } from '../../server/local-s3.ts';
import { s3Client } from '../../server/s3-client.ts';
import { applySetup, planSetup } from '../../server/setup.ts';
import { createStorage } from '../../server/storage.ts';
import type { PartChecksum } from '../../src/contract/api.ts';
import { type FaultPlan, type RecordingProxy, startRecordingProxy } from './recording-proxy.ts';

export const PREFIX = 'cipherdrop/';
export const ABUSE_CONTACT = 'mailto:abuse@cipherdrop.test';

export interface Stack {
  appUrl: string;
  s3Url: string;
  bucket: string;
  /** a client talking to the store directly, for reading and tampering with stored objects */
  s3: S3Client;
  /** which store: the embedded s3rver, or an external one (Ceph RGW in CI) */
  backend: 'local' | 'external';
  /** reads a stored object straight from the store */
  getObject(id: string, role: 'data' | 'meta'): Promise<Buffer>;
  /** overwrites a stored object, as a hostile storage provider could */
  putObject(id: string, role: 'data' | 'meta', bytes: Uint8Array): Promise<void>;
  appProxy: RecordingProxy;
  s3Proxy: RecordingProxy;
  /** Stops the presign server, waits `downMs`, and starts a new one on the same port (same settings). */
  restartApp(downMs: number): Promise<void>;
  /** Kills the embedded store's process; resolves when its supervisor has restarted it (local only). */
  crashStore(): Promise<void>;
  stop(): Promise<void>;
}

/** The external store named by CIPHERDROP_TEST_S3_ENV (KEY=value lines), or null for the embedded one. */
export function externalStore(): S3Settings | null {
  const file = process.env.CIPHERDROP_TEST_S3_ENV;
  if (!file) return null;
  const env = Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()]),
  );
  return {
    endpoint: env.S3_ENDPOINT,
    publicEndpoint: env.S3_ENDPOINT,
    bucket: `cipherdrop-e2e-${randomBytes(4).toString('hex')}`,
    region: env.S3_REGION ?? 'us-east-1',
    forcePathStyle: true,
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
  };
}

/** The KMS key id the external test store knows (test/ceph/up.sh), for SSE-KMS tests. */
export function externalKmsKeyId(): string | undefined {
  const file = process.env.CIPHERDROP_TEST_S3_ENV;
  return file ? /^CEPH_KMS_KEY_ID=(.*)$/m.exec(readFileSync(file, 'utf8'))?.[1] : undefined;
}

export interface StackOptions {
  access?: AccessSettings;
  /** rate limit and quotas; default none to speak of */
  limits?: LimitSettings;
  sse?: SseSettings;
  presignExpiresSeconds?: number;
  /** faults the proxy in front of the store injects (see recording-proxy.ts) */
  s3Faults?: FaultPlan;
  /** PART_CHECKSUM; default none, as in production */
  partChecksum?: PartChecksum | null;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const access = options.access ?? openAccess({ abuseContact: ABUSE_CONTACT });
  const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-e2e-'));
  const external = externalStore();
  const local = external ? null : await startLocalS3(path.join(dir, 's3'));
  const store: S3Settings = { ...(external ?? (local?.settings as S3Settings)), sse: options.sse, partChecksum: options.partChecksum };
  const s3Proxy = await startRecordingProxy(store.endpoint as string, options.s3Faults ?? null);
  const storage = createStorage({ ...store, publicEndpoint: s3Proxy.url }, PREFIX, options.presignExpiresSeconds ?? 3600);
  const makeApp = () =>
    buildApp({
      access,
      limits: options.limits ?? openLimits(),
      storage,
      presignExpiresSeconds: options.presignExpiresSeconds ?? 3600,
      staticDir: path.resolve('dist'),
    });
  let app = await makeApp();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const appPort = (app.server.address() as { port: number }).port;
  const appProxy = await startRecordingProxy(`http://127.0.0.1:${appPort}`);
  // The page's Origin, as the store sees it through the proxy; the embedded store refuses any other.
  await local?.setAllowedOrigins([appProxy.url]);
  const s3 = s3Client(store, store.endpoint);
  const bucket = store.bucket;
  if (external) {
    const sse = options.sse ?? { mode: 'none' as const };
    await applySetup(await planSetup(s3, { bucket, prefix: PREFIX, origins: [appProxy.url], sse, tls: false }));
  }
  return {
    async getObject(id, role) {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${PREFIX}${id}/${role}` }));
      return Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    },
    async putObject(id, role, bytes) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}${id}/${role}`, Body: bytes }));
    },
    appUrl: appProxy.url,
    s3Url: s3Proxy.url,
    bucket,
    s3,
    backend: external ? 'external' : 'local',
    appProxy,
    s3Proxy,
    async restartApp(downMs) {
      app.server.closeAllConnections();
      await app.close();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      app = await makeApp();
      await app.listen({ host: '127.0.0.1', port: appPort });
    },
    async crashStore() {
      if (!local) throw new Error('crashStore needs the embedded store');
      await local.crash();
    },
    async stop() {
      await appProxy.close();
      await s3Proxy.close();
      await app.close();
      await local?.stop();
      if (external) await emptyAndDeleteBucket(s3, bucket);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Removes an external test bucket with everything in it (objects and unfinished uploads). */
async function emptyAndDeleteBucket(s3: S3Client, Bucket: string): Promise<void> {
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket }));
  for (const u of uploads.Uploads ?? []) await s3.send(new AbortMultipartUploadCommand({ Bucket, Key: u.Key, UploadId: u.UploadId }));
  let ContinuationToken: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken }));
    for (const o of page.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket, Key: o.Key }));
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  await s3.send(new DeleteBucketCommand({ Bucket }));
}
