/**
 * How one planned part of the file becomes the body that is PUT: the one step of the part path
 * that can be swapped. Production seals it with AES-GCM (`aesGcmSealer`); the benchmark has an
 * identity sealer (bench/page/plain-sealer.ts) that sends the plaintext as is, so it measures the
 * same plan, workers, reads and PUTs without sealing. A sealer runs where the part is sent: in a
 * crypto worker (which is given one when it starts, workers/serve.ts) or in Node.
 */
import { type FrameKeys, sealRun } from '../crypto/frames.ts';
import { type PartPlan, planParts } from '../layout.ts';
import { uploadBodyPath } from '../platform/features.ts';
import { BufferPool, readBlobInto } from '../transfer/buffers.ts';
import { Limiter } from '../transfer/limit.ts';
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
  /** Gives the part's memory back (and the worker's turn to seal another); called once the part is spooled, sent or given up. Idempotent. */
  release(): void;
}

export interface PartSealer {
  /** The parts of a file as they will be stored (sizes, which carries the header): the upload's plan. */
  plan(plainSize: number, frameLength: number, headerLength: number, partPlaintextSize?: number): PartPlan[];
  /**
   * Seals one part. Resolves only once whatever must be kept before the part leaves (its digest,
   * through `recordDigest`) is saved: the caller may PUT the body at once. `signal` gives up a part
   * still waiting for its turn.
   */
  seal(request: SealRequest, recordDigest: RecordDigest, signal?: AbortSignal): Promise<SealedPart>;
}

const buffers = new BufferPool();

/**
 * Each worker reads one part and holds one sealed part at a time, so it needs two part-sized
 * buffers, not two for every part it has in flight (README "Where the CPU goes": every part-sized
 * buffer alive can stay resident long after its use). The turns are taken in this order, reading
 * then sealing, and the reading turn is given back once the part is sealed: the next part is read
 * while this one is recorded and spooled. The sealed turn lasts until the part gives its buffer
 * back, which a spooled part does before its PUT (send-part.ts); a part sent from memory (no OPFS
 * here) holds its buffer through its PUT, so there the sealed turns are not limited.
 */
const readingTurn = new Limiter(1);
const sealedTurn = new Limiter(uploadBodyPath() === 'opfs-spool' ? 1 : Number.POSITIVE_INFINITY);

/** The part's sealed frames in a pooled buffer, and how to give the buffer (and its turn) back, once. */
async function readAndSeal({ file, part, keys, header }: SealRequest, signal?: AbortSignal) {
  const endReading = await readingTurn.acquire(signal);
  // The same memory comes back as a new view (a BYOB read transfers the buffer).
  let plain = buffers.take(part.plainEnd - part.plainStart);
  try {
    plain = await readBlobInto(file.slice(part.plainStart, part.plainEnd), plain);
    const endSealed = await sealedTurn.acquire(signal);
    const sealed = buffers.take(part.cipherSize);
    let given = false;
    const give = () => {
      if (given) return;
      given = true;
      buffers.give(sealed);
      endSealed();
    };
    try {
      const body = await sealRun(keys, plain, part.firstSeq, part.endsMessage, part.includesHeader ? header : undefined, sealed);
      return { body, give };
    } catch (error) {
      sealed.fill(0);
      give();
      throw error;
    }
  } finally {
    // A read that failed may have left `plain` detached (its memory went with the reader), with nothing to wipe or give back.
    if (plain.buffer.byteLength > 0) plain.fill(0);
    buffers.give(plain);
    endReading();
  }
}

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
  async seal(request, recordDigest, signal) {
    const { part, keys, header, partDigest: recorded } = request;
    const { body, give } = await readAndSeal(request, signal);
    try {
      const prefixLength = part.includesHeader ? (header?.byteLength ?? 0) : 0;
      const digest = await sealedPartDigest(body, prefixLength, keys.frameLength, part.firstSeq);
      checkPartDigest(part.partNumber, digest, recorded);
      await recordDigest(digest);
    } catch (error) {
      // Refused (or failed): sealed bytes that must not be sent are not left in a pooled buffer either.
      body.fill(0);
      give();
      throw error;
    }
    // fetch() copies the body when the request is made; a spooled part gives the buffer back before its PUT.
    return { body, release: give };
  },
};
