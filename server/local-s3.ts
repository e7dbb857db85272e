/**
 * The embedded local S3 for `npm start` and the tests: s3rver (checks SigV4) in a supervised
 * child process on 127.0.0.1, data on disk so restarts keep uploads. A guard in the child
 * (store-guard.ts) refuses unsigned and malformed requests and answers CORS only for the
 * origins given here (LOCAL_S3_ORIGINS at start, then setAllowedOrigins).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { S3Settings } from './config.ts';

/** s3rver knows only this key pair. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const LOCAL_S3_BUCKET = 'cipherdrop';
const RESTART_DELAY_MS = 500;

export interface LocalS3 {
  settings: S3Settings;
  port: number;
  /** the current child process (for the benchmark's CPU accounting) */
  readonly pid: number;
  stop(): Promise<void>;
  /** Kills the server process (as a crash would); resolves once the supervisor has it back up. */
  crash(): Promise<void>;
  /**
   * Replaces the origins (`scheme://host[:port]`) whose pages may use the store cross-origin;
   * none: no cross-origin access. Resolves once the store applies them (restarts keep them).
   */
  setAllowedOrigins(origins: string[]): Promise<void>;
}

/** `new URL().origin` is what browsers send in Origin; anything else is a mistake worth throwing on. */
function normaliseOrigins(origins: readonly string[]): string[] {
  return origins.map((o) => {
    const origin = new URL(o).origin;
    if (origin === 'null') throw new Error(`not an http(s) origin: ${o}`);
    return origin;
  });
}

function spawn(dir: string, port: number, bucket: string, origins: readonly string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(new URL('./local-s3-child.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, LOCAL_S3_DIR: dir, LOCAL_S3_PORT: String(port), LOCAL_S3_BUCKET: bucket, LOCAL_S3_ORIGINS: origins.join(',') },
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
  // A restarted child starts with the latest list (the parent learns the app's port late).
  let origins = normaliseOrigins((process.env.LOCAL_S3_ORIGINS ?? '').split(',').filter((o) => o.trim()));
  let seq = 0;
  let current = await spawn(dir, port, bucket, origins);
  const boundPort = current.port;
  const restarted: (() => void)[] = [];
  /** Resolves once `child` applied the current origins, or is gone (its successor starts with them). */
  const sendOrigins = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (!child.connected) return resolve();
      const id = ++seq;
      const done = () => {
        child.off('message', onMessage);
        child.off('exit', done);
        resolve();
      };
      const onMessage = (m: { type?: string; seq?: number }) => {
        if (m?.type === 'origins-set' && m.seq === id) done();
      };
      child.on('message', onMessage);
      child.once('exit', done);
      child.send({ type: 'origins', origins, seq: id }, (error) => error && done());
    });
  const supervise = (child: ChildProcess) => {
    child.once('exit', () => {
      if (stopping) return;
      setTimeout(async () => {
        if (stopping) return;
        const started = origins;
        current = await spawn(dir, boundPort, bucket, started);
        supervise(current.child);
        // setAllowedOrigins while this child was starting found no child to tell
        if (started !== origins) await sendOrigins(current.child);
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
    async setAllowedOrigins(list) {
      origins = normaliseOrigins(list);
      await sendOrigins(current.child);
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
