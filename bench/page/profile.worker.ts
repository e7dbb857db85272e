/// <reference lib="webworker" />
/**
 * The profile mode's worker (bench/run.ts --profile): the crypto worker's protocol and code with
 * stage timers around the browser APIs it calls (stage-timers.ts), serving one of these variants,
 * chosen by the worker's name:
 *
 * - `encrypted`: the product's AES-GCM sealer and opener, unchanged.
 * - `plain`: the baseline's identity sealer and opener (plain-sealer.ts, plain-opener.ts).
 * - `read`: reads each part into a pooled buffer as the AES-GCM sealer does, then PUTs the
 *   file-backed slice like the plain sealer: its CPU over `plain` is the read.
 * - `sealed`: reads, digests and seals each part as the AES-GCM sealer does, then PUTs the
 *   file-backed plaintext slice (the sealed bytes go nowhere): its CPU over `read` is digest and
 *   seal, and the real `encrypted` path's CPU over it is the spool (write, then the PUT's body
 *   read from the spool file instead of the picked file).
 *
 * The ablation sealers plan parts as the plain sealer does (the store sees plaintext sizes).
 */
import { sealRun } from '../../src/crypto/frames.ts';
import { sealedRunSize } from '../../src/layout.ts';
import { BufferPool, readBlobInto } from '../../src/transfer/buffers.ts';
import { aesGcmOpener, type FrameOpener } from '../../src/transfer/ranges.ts';
import { sealedPartDigest } from '../../src/upload/part-digest.ts';
import { aesGcmSealer, type PartSealer } from '../../src/upload/sealer.ts';
import { serveRequests } from '../../src/workers/serve.ts';
import { plainOpener } from './plain-opener.ts';
import { plainSealer } from './plain-sealer.ts';
import { installStageTimers, timed } from './stage-timers.ts';

declare const self: DedicatedWorkerGlobalScope;

const buffers = new BufferPool();

const readSealer: PartSealer = {
  plan: plainSealer.plan,
  async seal(request, recordDigest) {
    const { file, part } = request;
    buffers.give(await readBlobInto(file.slice(part.plainStart, part.plainEnd), buffers.take(part.plainEnd - part.plainStart)));
    return plainSealer.seal(request, recordDigest);
  },
};

const sealedSealer: PartSealer = {
  plan: plainSealer.plan,
  async seal(request, recordDigest) {
    const { file, part, keys } = request;
    let plain = buffers.take(part.plainEnd - part.plainStart);
    const sealed = buffers.take(sealedRunSize(plain.byteLength, keys.frameLength, part.endsMessage));
    try {
      plain = await readBlobInto(file.slice(part.plainStart, part.plainEnd), plain);
      await sealRun(keys, plain, part.firstSeq, part.endsMessage, undefined, sealed);
      await recordDigest(await sealedPartDigest(sealed, 0, keys.frameLength, part.firstSeq));
    } finally {
      buffers.give(plain);
      buffers.give(sealed);
    }
    return plainSealer.seal(request, recordDigest);
  },
};

const variants: Record<string, [PartSealer, FrameOpener]> = {
  encrypted: [aesGcmSealer, aesGcmOpener],
  plain: [plainSealer, plainOpener],
  read: [readSealer, plainOpener],
  sealed: [sealedSealer, plainOpener],
};

const [sealer, opener] = variants[self.name.replace('cipherdrop-profile-', '')] ?? variants.encrypted;

installStageTimers();
serveRequests(
  {
    plan: sealer.plan,
    seal: (request, recordDigest, signal) =>
      timed('whole step: seal() (read, digest, seal)', request.part.plainEnd - request.part.plainStart, () => sealer.seal(request, recordDigest, signal)),
  },
  {
    open: (response, request) =>
      timed('whole step: open() (response body, open)', request.run.end - request.run.start + 1, () => opener.open(response, request)),
  },
);
