/**
 * Runs of frames: sealing a run of plaintext into consecutive frames, and reading frames back
 * with every structural check (sequence, IV, final marker, lengths) before any plaintext is
 * released. Used whole by the workers (one S3 part or one ranged GET at a time) and piecewise
 * by the streaming decoder. The AES-GCM itself is frame-cipher.ts's (WebCrypto, or node:crypto
 * in Node); each frame is sealed or opened straight into its place in the output.
 */

import { sealedRunSize } from '../layout.ts';
import { timingSafeEqual } from './bytes.ts';
import { frameAad } from './cipher.ts';
import { CorruptedError } from './errors.ts';
import { checkSequenceNumber, finalFrameSize, frameIv, IV_LENGTH, regularFrameSize, SEQUENCE_NUMBER_END, TAG_LENGTH } from './format.ts';
import { frameCipher } from './frame-cipher.ts';

export interface FrameKeys {
  contentKey: CryptoKey;
  messageId: Uint8Array;
  frameLength: number;
}

/**
 * Seals `plaintext` as frames firstSeq, firstSeq+1, … into one buffer, after an optional
 * `prefix` (the header, for the first S3 part). A run that does not end the message must be
 * whole frames, which is what keeps every frame's IV and AAD independent of how parts are cut.
 */
export async function sealRun(
  keys: FrameKeys,
  plaintext: Uint8Array,
  firstSeq: number,
  endsMessage: boolean,
  prefix?: Uint8Array,
  /** a buffer of exactly the sealed size to write into (reused by the workers); a new one if absent */
  into?: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const F = keys.frameLength;
  if (!endsMessage && plaintext.byteLength % F !== 0) throw new RangeError('A run that does not end the message must be whole frames');
  const prefixLength = prefix?.byteLength ?? 0;
  const size = prefixLength + sealedRunSize(plaintext.byteLength, F, endsMessage);
  if (into && into.byteLength !== size) throw new RangeError('the output buffer must be exactly the sealed size');
  const out = into ?? new Uint8Array(size);
  if (prefix) out.set(prefix);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const cipher = frameCipher();
  let at = prefixLength;
  let seq = firstSeq;
  for (let start = 0; ; start += F, seq++) {
    checkSequenceNumber(seq);
    const remaining = plaintext.byteLength - start;
    const final = endsMessage && remaining < F;
    if (!final && remaining <= 0) break;
    const piece = plaintext.subarray(start, final ? plaintext.byteLength : start + F);
    if (final) {
      view.setUint32(at, SEQUENCE_NUMBER_END);
      at += 4;
    }
    const iv = frameIv(seq);
    view.setUint32(at, seq);
    out.set(iv, at + 4);
    at += 4 + IV_LENGTH;
    if (final) {
      view.setUint32(at, piece.byteLength);
      at += 4;
    }
    const sealedLength = piece.byteLength + TAG_LENGTH;
    await cipher.seal(keys.contentKey, iv, frameAad(keys.messageId, seq, final, piece.byteLength), piece, out.subarray(at, at + sealedLength));
    at += sealedLength;
    if (final) break;
  }
  return out;
}

export interface ParsedFrame {
  sequenceNumber: number;
  final: boolean;
  /** ciphertext || tag, a view into the input */
  sealed: Uint8Array;
  /** bytes this frame occupies in the input */
  size: number;
}

/**
 * Reads the frame layout at `offset` and checks it against the expected sequence number.
 * Returns null when the buffer ends before the frame does. Authenticates nothing.
 */
export function readFrame(bytes: Uint8Array, offset: number, frameLength: number, expectedSeq: number): ParsedFrame | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const available = bytes.byteLength - offset;
  if (available < 4) return null;
  const final = view.getUint32(offset) === SEQUENCE_NUMBER_END;
  const headLength = final ? 4 + 4 + IV_LENGTH + 4 : 4 + IV_LENGTH;
  if (available < headLength) return null;
  const seqAt = final ? offset + 4 : offset;
  const sequenceNumber = view.getUint32(seqAt);
  if (sequenceNumber !== expectedSeq) {
    throw new CorruptedError({ frame: expectedSeq, field: 'sequenceNumber' }, `found ${sequenceNumber} (frames dropped, repeated or reordered)`);
  }
  if (!timingSafeEqual(bytes.subarray(seqAt + 4, seqAt + 4 + IV_LENGTH), frameIv(expectedSeq))) {
    throw new CorruptedError({ frame: expectedSeq, field: 'iv' }, 'IV does not match the sequence number');
  }
  const contentLength = final ? view.getUint32(seqAt + 4 + IV_LENGTH) : frameLength;
  if (contentLength > frameLength) {
    throw new CorruptedError({ frame: expectedSeq, field: 'contentLength' }, `${contentLength} exceeds the frame length ${frameLength}`);
  }
  const size = final ? finalFrameSize(contentLength) : regularFrameSize(frameLength);
  if (available < size) return null;
  return { sequenceNumber, final, sealed: bytes.subarray(offset + headLength, offset + size), size };
}

/** Opens one parsed frame into `into` (its plaintext length), or a new buffer; Corrupted, naming the frame, when it does not authenticate. */
export async function openParsedFrame(keys: FrameKeys, frame: ParsedFrame, into?: Uint8Array): Promise<Uint8Array> {
  const { sequenceNumber, final, sealed } = frame;
  const length = sealed.byteLength - TAG_LENGTH;
  if (into && into.byteLength !== length) throw new RangeError("the output buffer must be exactly the frame's plaintext length");
  const aad = frameAad(keys.messageId, sequenceNumber, final, length);
  const plain = await frameCipher().open(keys.contentKey, frameIv(sequenceNumber), aad, sealed, into);
  if (!plain) throw new CorruptedError({ frame: sequenceNumber, field: 'tag' }, 'authentication failed');
  return plain;
}

/**
 * Opens a run of whole frames (one ranged GET) into one plaintext buffer: `into` (a reused buffer,
 * at least `plaintextLength` long) or a new one. `endsMessage` says whether the run must close with
 * the final frame; `plaintextLength` is what the plan expects. Throws before returning anything if
 * any frame fails. Returns a view of exactly `plaintextLength` bytes.
 */
export async function openRun(
  keys: FrameKeys,
  sealed: Uint8Array,
  firstSeq: number,
  endsMessage: boolean,
  plaintextLength: number,
  into?: ArrayBuffer,
): Promise<Uint8Array<ArrayBuffer>> {
  const out = into && into.byteLength >= plaintextLength ? new Uint8Array(into, 0, plaintextLength) : new Uint8Array(plaintextLength);
  let offset = 0;
  let written = 0;
  for (let seq = firstSeq; offset < sealed.byteLength; seq++) {
    const frame = readFrame(sealed, offset, keys.frameLength, seq);
    if (!frame) throw new CorruptedError({ frame: seq, field: 'length' }, 'the range ends inside this frame');
    const isLast = offset + frame.size === sealed.byteLength;
    if (frame.final !== (endsMessage && isLast)) {
      throw new CorruptedError({ frame: seq, field: 'finalFrameMarker' }, frame.final ? 'unexpected final frame' : 'expected the final frame');
    }
    const length = frame.sealed.byteLength - TAG_LENGTH;
    if (written + length > plaintextLength) throw new CorruptedError({ frame: seq, field: 'length' }, 'more plaintext than planned');
    await openParsedFrame(keys, frame, out.subarray(written, written + length));
    written += length;
    offset += frame.size;
  }
  if (written !== plaintextLength) throw new CorruptedError({ frame: firstSeq, field: 'length' }, 'less plaintext than planned');
  return out;
}
