/**
 * The AES-256-GCM of one frame, apart from its framing (frames.ts), joined by one small interface
 * as Tink joins its segment framing and its `SegmentEncrypter`. Two engines, one format:
 *
 * - WebCrypto (`crypto.subtle`): the page and its workers, and any runtime without node:crypto.
 * - node:crypto (`createCipheriv('aes-256-gcm')`): Node. On this project's 2-vCPU VM it seals and
 *   opens 512 KiB frames 3–4 × faster than Node's own `crypto.subtle`, at a quarter of the CPU
 *   (`npm run bench:node`, README). Same key, IV, AAD and tag, so the bytes are identical.
 *
 * Why node:crypto is looked up here rather than injected from src/node/: the format is one module
 * that "runs unchanged" everywhere, and every Node entry (CLI, `cipherdrop` library, `cipherdrop/node/*`,
 * tests, bench) should get the fast engine without having to import something first for its side
 * effect. `process.getBuiltinModule` is an expression, not an import, so Vite never tries to bundle
 * node:crypto; in a browser or worker `globalThis.process` is absent and WebCrypto is used. Node
 * before 20.16 (no getBuiltinModule) also falls back to WebCrypto: slower, never wrong.
 */
import type * as NodeCrypto from 'node:crypto';
import { buf } from './bytes.ts';
import { TAG_LENGTH } from './format.ts';

export interface FrameCipher {
  readonly name: 'webcrypto' | 'node';
  /** Writes ciphertext ‖ tag (`plaintext.byteLength + TAG_LENGTH` bytes) into `out`. */
  seal(key: CryptoKey, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array): Promise<void>;
  /**
   * The plaintext of `sealed` (ciphertext ‖ tag), written into `into` when given (exactly
   * `sealed.byteLength - TAG_LENGTH` bytes), else in a buffer of the engine's own, which the caller
   * then owns; null when it does not authenticate (and `into` then holds zeros). Any other failure
   * (a key without the usage, say) throws.
   */
  open(key: CryptoKey, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array, into?: Uint8Array): Promise<Uint8Array | null>;
}

const TAG_BITS = TAG_LENGTH * 8;

export const webCryptoFrameCipher: FrameCipher = {
  name: 'webcrypto',
  async seal(key, iv, aad, plaintext, out) {
    const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad), tagLength: TAG_BITS }, key, buf(plaintext));
    out.set(new Uint8Array(sealed));
  },
  async open(key, iv, aad, sealed, into) {
    let plain: Uint8Array;
    try {
      plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad), tagLength: TAG_BITS }, key, buf(sealed)));
    } catch (error) {
      // WebCrypto reports a tag mismatch, and only that, as OperationError.
      if (error instanceof DOMException && error.name === 'OperationError') return null;
      throw error;
    }
    if (!into) return plain;
    into.set(plain);
    return into;
  },
};

/**
 * node:crypto's update() returns a fresh buffer per call. Pieces of 64 KiB stay in malloc's reused
 * heap; a whole 512 KiB frame per call lands in fresh mmap'd memory, whose page faults are dear on
 * these VMs (measured: 1.7–1.8 GB/s and 0.61 CPU-s/GiB in 64 KiB pieces, 1.0–1.5 GB/s and 0.7–0.9
 * CPU-s/GiB whole; 16 KiB pieces pay more per call).
 */
const UPDATE_PIECE = 64 * 1024;

function nodeFrameCipherOf(nodeCrypto: typeof NodeCrypto): FrameCipher {
  // KeyObject.from accepts a non-extractable CryptoKey, and the KeyObject it returns CAN be exported:
  // so these never leave this module. In Node the key bytes are in this process either way;
  // non-extractable guards against our own code leaking a key, not against the process.
  const keyObjects = new WeakMap<CryptoKey, NodeCrypto.KeyObject>();
  const keyObjectOf = (key: CryptoKey, usage: KeyUsage): NodeCrypto.KeyObject => {
    // The checks WebCrypto makes on every call, so that both engines refuse the same keys.
    if (key.algorithm.name !== 'AES-GCM' || !key.usages.includes(usage)) {
      throw new DOMException(`the key is not an AES-GCM key for ${usage}`, 'InvalidAccessError');
    }
    let keyObject = keyObjects.get(key);
    if (!keyObject) {
      keyObject = nodeCrypto.KeyObject.from(key);
      keyObjects.set(key, keyObject);
    }
    return keyObject;
  };
  const pump = (cipher: NodeCrypto.Cipher | NodeCrypto.Decipher, input: Uint8Array, out: Uint8Array): number => {
    let at = 0;
    for (let start = 0; start < input.byteLength; start += UPDATE_PIECE) {
      const piece = cipher.update(input.subarray(start, Math.min(start + UPDATE_PIECE, input.byteLength)));
      out.set(piece, at);
      at += piece.byteLength;
    }
    return at;
  };
  return {
    name: 'node',
    async seal(key, iv, aad, plaintext, out) {
      const cipher = nodeCrypto.createCipheriv('aes-256-gcm', keyObjectOf(key, 'encrypt'), iv, { authTagLength: TAG_LENGTH });
      cipher.setAAD(aad);
      const at = pump(cipher, plaintext, out);
      // GCM is a stream mode: final() emits nothing, and everything is already in `out`.
      cipher.final();
      out.set(cipher.getAuthTag(), at);
    },
    async open(key, iv, aad, sealed, into) {
      const length = sealed.byteLength - TAG_LENGTH;
      if (length < 0) return null;
      const decipher = nodeCrypto.createDecipheriv('aes-256-gcm', keyObjectOf(key, 'decrypt'), iv, { authTagLength: TAG_LENGTH });
      decipher.setAAD(aad);
      decipher.setAuthTag(sealed.subarray(length));
      const ciphertext = sealed.subarray(0, length);
      // Without `into` the plaintext must be fresh memory anyway: node:crypto's own buffer from one
      // update() is that, with no second buffer and no copy (measured: 0.5–0.8 CPU-s/GiB against
      // 0.8–1.0 for a new buffer filled in pieces).
      let plain: Uint8Array;
      if (into) {
        pump(decipher, ciphertext, into);
        plain = into;
      } else {
        plain = decipher.update(ciphertext);
      }
      // update() hands out plaintext before the tag is checked: the caller gets it only once
      // final() has checked the tag, and it is wiped when that fails.
      try {
        decipher.final();
        return plain;
      } catch {
        // final() throws only for a tag that does not match (node:crypto gives it no code).
        plain.fill(0);
        return null;
      }
    },
  };
}

const nodeCrypto = globalThis.process?.getBuiltinModule?.('node:crypto');

/** The node:crypto engine, where this runtime has one (Node ≥ 20.16); null in browsers and workers. */
export const nodeFrameCipher: FrameCipher | null = nodeCrypto ? nodeFrameCipherOf(nodeCrypto) : null;

let current: FrameCipher = nodeFrameCipher ?? webCryptoFrameCipher;

/** The engine frames.ts uses: node:crypto where there is one, else WebCrypto. */
export const frameCipher = (): FrameCipher => current;

/**
 * Chooses the engine for this process. Only for tests and bench/node-format.ts, which compare the
 * two in one run; the choice made above is the right one everywhere else.
 */
export function setFrameCipher(cipher: FrameCipher): void {
  current = cipher;
}
