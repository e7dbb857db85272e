/**
 * Bucket setup (`npm run setup`): each step compares the bucket with what Cipherdrop needs and,
 * when asked, applies the difference. Steps the store does not implement are reported as such
 * (the embedded s3rver lacks most; Ceph RGW lacks default encryption) and never fail the run.
 */

import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  type BucketLifecycleConfiguration,
  type CORSRule,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  S3ServiceException,
  type ServerSideEncryptionConfiguration,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { SseSettings } from './config.ts';
import { RETENTION_DAYS, RETENTION_TAG, SSE_C_ALGORITHM_HEADER } from './object-headers.ts';

export interface SetupOptions {
  bucket: string;
  prefix: string;
  /** origins the page is served from (CORS) */
  origins: string[];
  sse: SseSettings;
  /** the endpoint speaks TLS: the policy may deny plain HTTP without locking everyone out */
  tls: boolean;
}

export type StepState = 'ok' | 'change' | 'unsupported';

export interface SetupStep {
  name: string;
  state: StepState;
  /** what is there, what will be, or why it cannot be */
  detail: string;
  apply?: () => Promise<void>;
}

/** A store that does not implement a bucket feature answers one of these. */
function unsupported(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  const status = error.$metadata.httpStatusCode ?? 0;
  return status === 405 || status === 501 || error.name === 'NotImplemented' || (status === 400 && /Invalid|Malformed|NotImplemented/i.test(error.name));
}

/** Ceph RGW 16 refuses every object write, ACL or not, once BlockPublicAcls is on. */
const BLOCK_ACLS_BUG = 'three of four settings on: this store refuses every write with BlockPublicAcls on (a Ceph RGW 16 bug), so that one stays off';

/** A step the store accepted only in part; its message says what is in place. */
class SetupRefused extends Error {}
/** A step the store cannot do as meant; nothing of it stays applied. */
class SetupUnsupported extends Error {}

/** Whether a write under the prefix, as the app makes them, still succeeds (and cleans it up). */
async function writesWork(client: S3Client, Bucket: string, prefix: string, sse: SseSettings = { mode: 'none' }): Promise<boolean> {
  const Key = `${prefix}.setup-probe`;
  const encryption =
    sse.mode === 'AES256' || sse.mode === 'aws:kms'
      ? { ServerSideEncryption: sse.mode, SSEKMSKeyId: sse.kmsKeyId }
      : sse.mode === 'sse-c'
        ? { SSECustomerAlgorithm: 'AES256', SSECustomerKey: randomBytes(32).toString('base64') }
        : {};
  let UploadId: string | undefined;
  try {
    await client.send(new PutObjectCommand({ Bucket, Key, Body: 'probe', ...encryption }));
    UploadId = (await client.send(new CreateMultipartUploadCommand({ Bucket, Key, ...encryption }))).UploadId;
    const customer = 'SSECustomerKey' in encryption ? encryption : {}; // parts carry only SSE-C headers
    await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: 'part', ...customer }));
    return true;
  } catch (error) {
    if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 403) return false;
    throw error;
  } finally {
    // Whatever got written, the probe leaves nothing behind (these run as the bucket owner).
    if (UploadId) await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
    await client.send(new DeleteObjectCommand({ Bucket, Key })).catch(() => undefined);
  }
}

/** Reading a bucket setting that was never set is a 404 of a feature-specific name. */
async function current<T>(read: () => Promise<T>): Promise<T | null | 'unsupported'> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return null;
    if (unsupported(error) || (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 403)) return 'unsupported';
    throw error;
  }
}

/** JSON with object keys and array items in a fixed order: stores echo settings back reordered. */
function canonical(value: unknown): string {
  const normal = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(normal).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, x]) => [k, normal(x)]),
      );
    return v;
  };
  return JSON.stringify(normal(value));
}

export function corsRules(origins: string[]): CORSRule[] {
  return [
    {
      AllowedOrigins: origins,
      // POST starts an SSE-C multipart upload from the browser; PUT parts; GET/HEAD ranges.
      AllowedMethods: ['GET', 'HEAD', 'PUT', 'POST'],
      AllowedHeaders: ['*'],
      ExposeHeaders: ['ETag', 'Content-Range', 'Content-Length'],
      MaxAgeSeconds: 3000,
    },
  ];
}

export function lifecycle(prefix: string): BucketLifecycleConfiguration {
  return {
    Rules: [
      { ID: 'cipherdrop-abort-incomplete', Status: 'Enabled', Filter: { Prefix: prefix }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
      ...RETENTION_DAYS.map((days) => ({
        ID: `cipherdrop-expire-${days}d`,
        Status: 'Enabled' as const,
        Filter: { And: { Prefix: prefix, Tags: [{ Key: RETENTION_TAG, Value: `${days}d` }] } },
        Expiration: { Days: days + 1 },
      })),
    ],
  };
}

export function defaultEncryption(sse: SseSettings): ServerSideEncryptionConfiguration {
  // SSE-C cannot be a bucket default; SSE-S3 is the floor for anything that arrives without it.
  const rule =
    sse.mode === 'aws:kms'
      ? { SSEAlgorithm: 'aws:kms' as const, ...(sse.kmsKeyId ? { KMSMasterKeyID: sse.kmsKeyId } : {}) }
      : { SSEAlgorithm: 'AES256' as const };
  return { Rules: [{ ApplyServerSideEncryptionByDefault: rule, BucketKeyEnabled: sse.mode === 'aws:kms' }] };
}

/** Denies object writes that ask for weaker server-side encryption, and (over TLS) any plain-HTTP request. */
export function bucketPolicy(options: SetupOptions): { Version: string; Statement: object[] } | null {
  const objects = `arn:aws:s3:::${options.bucket}/${options.prefix}*`;
  const statements: object[] = [];
  if (options.sse.mode === 'AES256' || options.sse.mode === 'aws:kms') {
    statements.push({
      Sid: 'DenyOtherServerSideEncryption',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: objects,
      Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': options.sse.mode } },
    });
  }
  if (options.sse.mode === 'sse-c') {
    statements.push({
      Sid: 'DenyWritesWithoutCustomerKey',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: objects,
      Condition: { StringNotEqualsIfExists: { [`s3:${SSE_C_ALGORITHM_HEADER}`]: 'AES256' } },
    });
  }
  if (options.tls) {
    statements.push({
      Sid: 'DenyPlainHttp',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [`arn:aws:s3:::${options.bucket}`, `arn:aws:s3:::${options.bucket}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  }
  return statements.length ? { Version: '2012-10-17', Statement: statements } : null;
}

/** Compares the bucket with what Cipherdrop needs; nothing is changed until a step's `apply()`. */
export async function planSetup(client: S3Client, options: SetupOptions): Promise<SetupStep[]> {
  const Bucket = options.bucket;
  const steps: SetupStep[] = [];
  const step = (name: string, state: StepState, detail: string, apply?: () => Promise<void>) => steps.push({ name, state, detail, apply });

  const exists = await client.send(new HeadBucketCommand({ Bucket })).then(
    () => true,
    (error) => {
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return false;
      throw error;
    },
  );
  if (exists) step('bucket', 'ok', `${Bucket} exists`);
  else
    step('bucket', 'change', `create ${Bucket}`, async () => {
      await client.send(new CreateBucketCommand({ Bucket }));
    });
  // Without the bucket, every other setting is to be written.
  const read = <T>(f: () => Promise<T>) => (exists ? current(f) : Promise.resolve(null));

  const cors = corsRules(options.origins);
  const cors0 = await read(async () => (await client.send(new GetBucketCorsCommand({ Bucket }))).CORSRules ?? null);
  if (cors0 === 'unsupported') step('cors', 'unsupported', 'the store does not report CORS rules');
  else if (cors0 && canonical(cors0) === canonical(cors)) step('cors', 'ok', `origins ${options.origins.join(', ')}, ETag exposed`);
  else
    step('cors', 'change', `allow GET/HEAD/PUT/POST from ${options.origins.join(', ')}, expose ETag`, async () => {
      await client.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: cors } }));
    });

  const encryption = defaultEncryption(options.sse);
  const encryption0 = await read(async () => (await client.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration ?? null);
  const algorithm = encryption.Rules?.[0].ApplyServerSideEncryptionByDefault?.SSEAlgorithm;
  if (encryption0 === 'unsupported') step('default encryption', 'unsupported', 'the store does not implement bucket default encryption');
  else if (
    encryption0 &&
    canonical(encryption0.Rules?.[0].ApplyServerSideEncryptionByDefault) === canonical(encryption.Rules?.[0].ApplyServerSideEncryptionByDefault)
  )
    step('default encryption', 'ok', String(algorithm));
  else
    step('default encryption', 'change', `default ${algorithm}`, async () => {
      await client.send(new PutBucketEncryptionCommand({ Bucket, ServerSideEncryptionConfiguration: encryption }));
    });

  const rules = lifecycle(options.prefix);
  const rules0 = await read(async () => (await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules ?? null);
  const summary = `abort incomplete uploads after 1 day; delete objects tagged ${RETENTION_TAG} a day after their class (${RETENTION_DAYS.join(', ')} days)`;
  if (rules0 === 'unsupported') step('lifecycle', 'unsupported', 'the store does not implement lifecycle rules');
  else if (rules0 && canonical(rules0.map((r) => r.ID)) === canonical(rules.Rules?.map((r) => r.ID))) step('lifecycle', 'ok', summary);
  else
    step('lifecycle', 'change', summary, async () => {
      await client.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: rules }));
    });

  const block = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
  const block0 = await read(async () => (await client.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration ?? null);
  if (block0 === 'unsupported') step('public access block', 'unsupported', 'the store does not implement the public access block');
  else if (block0 && canonical(block0) === canonical(block)) step('public access block', 'ok', 'all four settings on');
  else if (block0 && canonical(block0) === canonical({ ...block, BlockPublicAcls: false })) step('public access block', 'ok', BLOCK_ACLS_BUG);
  else
    step('public access block', 'change', 'turn all four settings on', async () => {
      await client.send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: block }));
      if (await writesWork(client, Bucket, options.prefix)) return;
      await client.send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: { ...block, BlockPublicAcls: false } }));
      throw new SetupRefused(BLOCK_ACLS_BUG);
    });

  const policy = bucketPolicy(options);
  if (policy) {
    const policy0 = await read(async () => JSON.parse((await client.send(new GetBucketPolicyCommand({ Bucket }))).Policy ?? 'null'));
    const what = policy.Statement.map((s) => (s as { Sid: string }).Sid).join(', ');
    if (policy0 === 'unsupported') step('bucket policy', 'unsupported', 'the store does not implement bucket policies');
    else if (policy0 && canonical(policy0) === canonical(policy)) step('bucket policy', 'ok', what);
    else
      step('bucket policy', 'change', what, async () => {
        await client.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify(policy) }));
        if (await writesWork(client, Bucket, options.prefix, options.sse)) return;
        // A store that evaluates the conditions differently would lock the app out: take it back.
        await client.send(new DeleteBucketPolicyCommand({ Bucket }));
        throw new SetupUnsupported(
          'the store refused correctly encrypted writes under this policy (Ceph RGW 16 mis-evaluates its conditions), so it was removed',
        );
      });
  } else step('bucket policy', 'ok', 'nothing to enforce (no SSE configured, endpoint without TLS)');
  return steps;
}

/** Applies every step that needs a change; a store refusing a feature marks it unsupported. */
export async function applySetup(steps: SetupStep[]): Promise<SetupStep[]> {
  const out: SetupStep[] = [];
  for (const s of steps) {
    if (s.state !== 'change' || !s.apply) {
      out.push(s);
      continue;
    }
    try {
      await s.apply();
      out.push({ ...s, state: 'ok' });
    } catch (error) {
      if (error instanceof SetupRefused || error instanceof SetupUnsupported) {
        out.push({ ...s, state: error instanceof SetupRefused ? 'ok' : 'unsupported', detail: error.message });
        continue;
      }
      if (!unsupported(error)) throw error;
      out.push({ ...s, state: 'unsupported', detail: `the store refused it (${(error as Error).name}): ${s.detail}` });
    }
  }
  return out;
}
