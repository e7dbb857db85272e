/**
 * The plaintext baseline's sealer: the same plan, reads and PUTs as an encrypted upload, with the
 * sealing left out, so the benchmark measures what encryption costs. Parts are stored at their
 * plaintext size with no header, and each is sent as the file-backed `File.slice`, as an uploader
 * that does not encrypt would. Nothing is sealed, so no nonce needs guarding: no digest is recorded.
 */
import { planParts } from '../../src/layout.ts';
import type { PartSealer } from '../../src/upload/sealer.ts';

export const plainSealer: PartSealer = {
  plan: (plainSize, frameLength, headerLength, partPlaintextSize) =>
    planParts(plainSize, frameLength, headerLength, partPlaintextSize).map((p) => ({ ...p, includesHeader: false, cipherSize: p.plainEnd - p.plainStart })),
  seal: async ({ file, part }) => ({ body: file.slice(part.plainStart, part.plainEnd), release: () => undefined }),
};
