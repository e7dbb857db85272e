/**
 * How one planned part of the file becomes the body that is PUT: the one step of the part path
 * that can be swapped. Production seals it with AES-GCM (`aesGcmSealer`); the benchmark has an
 * identity sealer (bench/page/plain-sealer.ts) that sends the plaintext as is, so it measures the
 * same plan, workers, reads and PUTs without sealing. A sealer runs where the part is sent: in a
 * crypto worker (which is given one when it starts, workers/serve.ts) or in Node.
 */
import { type FrameKeys, sealRun } from '../crypto/frames.ts';
import { type PartPlan, planParts } from '../layout.ts';
import { BufferPool, readBlobInto } from '../transfer/buffers.ts';
import { checkPartDigest, sealedPartDigest } from './part-digest.ts';

/** What sealing one part needs: the file, the part, and the upload's keys and header. */
export interface SealRequest {
  file: Blob;
  part: PartPlan;
  keys: FrameKeys;
  /** the message header, for the part that carries it (part 1) */
  header?: Uint8Array;
  /**
   * The digest of this part's frames' tags as it was first sealed (part-digest.ts), absent if it
   * never was: sealed bytes of another digest are then wiped in the worker and never sent.
   */
  partDigest?: Uint8Array;
}

/**
 * Hands the SHA-256 of a part's plaintext to the page, which records it in the upload record (or
 * finds it differs from the one recorded: SourceChanged) and resolves once the record is saved.
 * In a worker this is the protocol's one request to the page (`recordDigest`, protocol.ts).
 */
export type RecordDigest = (digest: Uint8Array) => Promise<void>;

/** A part ready to PUT: sealed bytes in memory, or (the benchmark) a file-backed slice. */
export interface SealedPart {
  body: Uint8Array<ArrayBuffer> | Blob;
  /** Gives the part's memory back; called once the part is sent or given up. */
  release(): void;
}

export interface PartSealer {
  /** The parts of a file as they will be stored (sizes, which carries the header): the upload's plan. */
  plan(plainSize: number, frameLength: number, headerLength: number, partPlaintextSize?: number): PartPlan[];
  /**
   * Seals one part. Resolves only once whatever must be kept before the part leaves (its digest,
   * through `recordDigest`) is saved: the caller may PUT the body at once.
   */
  seal(request: SealRequest, recordDigest: RecordDigest): Promise<SealedPart>;
}

const buffers = new BufferPool();

/**
 * AES-GCM frames (crypto/frames.ts `sealRun`), read into reused buffers.
 *
 * Nonce safety (part-digest.ts): once sealed, the part's frames' tags are hashed. A part sealed
 * before must show the digest recorded then, or its sealed bytes are wiped here and refused
 * (SourceChanged): nothing sealed over other bytes under these IVs leaves this thread. The digest
 * goes to the page (`recordDigest`), and the part is handed back only once the page has saved it:
 * a PUT whose answer is lost may still have reached the store, so from the first PUT on these IVs
 * count as used, and any later seal of this part must find the digest recorded.
 */
export const aesGcmSealer: PartSealer = {
  plan: planParts,
  async seal({ file, part, keys, header, partDigest: recorded }, recordDigest) {
    const plain = buffers.take(part.plainEnd - part.plainStart);
    const sealed = buffers.take(part.cipherSize);
    let handedOver = false;
    try {
      await readBlobInto(file.slice(part.plainStart, part.plainEnd), plain);
      const prefix = part.includesHeader ? header : undefined;
      const body = await sealRun(keys, plain, part.firstSeq, part.endsMessage, prefix, sealed);
      const digest = await sealedPartDigest(body, prefix?.byteLength ?? 0, keys.frameLength, part.firstSeq);
      checkPartDigest(part.partNumber, digest, recorded);
      await recordDigest(digest);
      handedOver = true;
      // fetch() copies the body when the request is made; the sealed buffer is free again after the PUT.
      return { body, release: () => buffers.give(sealed) };
    } finally {
      plain.fill(0);
      buffers.give(plain);
      if (!handedOver) {
        // Refused (or failed): sealed bytes that must not be sent are not left in a pooled buffer either.
        sealed.fill(0);
        buffers.give(sealed);
      }
    }
  },
};
