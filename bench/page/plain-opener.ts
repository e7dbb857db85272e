/**
 * The plaintext download baseline's opener: the same ranged GETs, BYOB reads, workers and ordering
 * as a real download, with the opening left out, so the benchmark measures what decryption costs.
 */
import type { FrameKeys } from '../../src/crypto/frames.ts';
import { readExactly } from '../../src/transfer/http.ts';
import type { FrameOpener } from '../../src/transfer/ranges.ts';

export const plainOpener: FrameOpener = {
  open: (response, { run, into }) => {
    const length = run.end - run.start + 1;
    return readExactly(response, length, into && into.byteLength >= length ? new Uint8Array(into, 0, length) : undefined);
  },
};

let keys: Promise<FrameKeys> | undefined;

/** Keys a request must carry; the plain opener never uses them. */
export const unusedKeys = (): Promise<FrameKeys> => {
  keys ??= crypto.subtle
    .generateKey({ name: 'AES-GCM', length: 256 }, false, ['decrypt'])
    .then((contentKey) => ({ contentKey, messageId: new Uint8Array(32), frameLength: 1 }));
  return keys;
};
