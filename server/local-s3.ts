/**
 * The embedded local S3 for `npm start` and the tests: s3rver (checks SigV4) in a supervised
 * child process on 127.0.0.1, data on disk so restarts keep uploads.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { S3Settings } from './config.ts';

/** s3rver knows only this key pair. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const LOCAL_S3_BUCKET = 'cipherdrop';
const RESTART_DELAY_MS = 500;

/** Browsers PUT parts and GET ranges cross-origin, and must read the ETag of each part. */
export const CORS_RULE = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <ExposeHeader>Content-Range</ExposeHeader>
    <ExposeHeader>Content-Length</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

export interface LocalS3 {
  settings: S3Settings;
  port: number;
  /** the current child process (for the benchmark's CPU accounting) */
  readonly pid: number;
  stop(): Promise<void>;
  /** Kills the server process (as a crash would); resolves once the supervisor has it back up. */
  crash(): Promise<void>;
}

function spawn(dir: string, port: number, bucket: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(new URL('./local-s3-child.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, LOCAL_S3_DIR: dir, LOCAL_S3_PORT: String(port), LOCAL_S3_BUCKET: bucket, LOCAL_S3_CORS: CORS_RULE },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, port: (m as { port: number }).port }));
    child.once('exit', (code) => reject(new Error(`local S3 server exited with code ${code} before starting`)));
  });
}

export async function startLocalS3(dir: string, port = 0, bucket = LOCAL_S3_BUCKET): Promise<LocalS3> {
  mkdirSync(dir, { recursive: true });
  let stopping = false;
  let current = await spawn(dir, port, bucket);
  const boundPort = current.port;
  const restarted: (() => void)[] = [];
  const supervise = (child: ChildProcess) => {
    child.once('exit', () => {
      if (stopping) return;
      setTimeout(async () => {
        if (stopping) return;
        current = await spawn(dir, boundPort, bucket);
        supervise(current.child);
        for (const done of restarted.splice(0)) done();
      }, RESTART_DELAY_MS);
    });
  };
  supervise(current.child);
  const endpoint = `http://127.0.0.1:${boundPort}`;
  return {
    port: boundPort,
    settings: {
      endpoint,
      publicEndpoint: endpoint,
      bucket,
      region: 'us-east-1',
      forcePathStyle: true,
      signBucketPathWithoutSlash: true,
      ...LOCAL_S3_CREDENTIALS,
    },
    get pid() {
      return current.child.pid as number;
    },
    crash() {
      return new Promise<void>((resolve) => {
        restarted.push(resolve);
        current.child.kill('SIGKILL');
      });
    },
    async stop() {
      stopping = true;
      const { child } = current;
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}
