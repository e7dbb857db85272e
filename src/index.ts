/**
 * Cipherdrop's library API: the same modules the page and its workers run, usable from Node.
 * Browser-safe exports only; Node adapters are in `src/node/`.
 */
export { importWrappingKey } from './crypto/cipher.ts';
export * from './crypto/errors.ts';
export {
  ciphertextSize,
  DEFAULT_FRAME_LENGTH,
  KEY_NAME,
  KEY_NAMESPACE,
  type MessageHeader,
  parseCompleteHeader,
  parseHeader,
  REQUEST_KEY_NAME,
  SUITE_ID,
} from './crypto/format.ts';
export { aesKeyring, type Keyring, type RsaKeys, rsaKeyring } from './crypto/keyring.ts';
export { type DecryptOptions, decryptBytes, decryptStream, type EncryptOptions, encryptBytes, encryptStream } from './crypto/message.ts';
export { decodeLinkSecret, encodeLinkSecret, type FileMeta, newLinkSecret, objectContext, openMeta, sealMeta } from './crypto/objects.ts';
export { keyNameFor, keyNameOf, linkKey, newPasswordParams, type PasswordParams, parseKeyName } from './crypto/password.ts';
export { blobSource, decryptRange, openRandomAccess, type RandomAccessSource } from './crypto/random-access.ts';
export {
  generateRequestKeys,
  importRequestPublicKey,
  keyFingerprint,
  openCard,
  openPrivateKey,
  type RequestCard,
  type RequestKeys,
  requestObjectContext,
  sealCard,
  sealPrivateKey,
} from './crypto/request-keys.ts';
