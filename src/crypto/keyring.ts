/**
 * Keyrings: what wraps a message's data key into its header and unwraps it again. The message
 * code (message.ts) knows only this interface; two raw keyrings of the AWS Encryption SDK
 * implement it, byte for byte as `@aws-crypto/client-node` writes and reads them:
 *
 *   raw AES (links):     providerId = namespace, providerInfo = keyName ‖ tagBits(4) ‖ ivLength(4) ‖ iv(12),
 *                        EDK = AES-GCM(wrappingKey, iv, aad = context pairs, dataKey) ‖ tag(16)
 *   raw RSA (requests):  providerId = namespace, providerInfo = keyName (UTF-8, nothing else),
 *                        EDK = RSA-OAEP-SHA256(publicKey, dataKey), modulus-length bytes
 *
 * The RSA entry does not bind the encryption context itself (the SDK's does not either): the
 * header tag and the key commitment do. WebCrypto only, so both run in the page, a worker and Node.
 */
import { buf, concatBytes, randomBytes, timingSafeEqual, uint32, utf8 } from './bytes.ts';
import { WrongKeyError } from './errors.ts';
import {
  DATA_KEY_LENGTH,
  type EdkShape,
  type EncryptedDataKey,
  type EncryptionContext,
  IV_LENGTH,
  KEY_NAME,
  KEY_NAMESPACE,
  type MessageHeader,
  REQUEST_KEY_NAME,
  serializeContextPairs,
  TAG_LENGTH,
} from './format.ts';

const subtle = globalThis.crypto.subtle;
const TAG_BITS = TAG_LENGTH * 8;
/** tagLengthBits(4) ‖ ivLength(4), between the key name and the IV of a raw AES provider info */
const AES_INFO_FIELDS = 8;

export interface Keyring {
  /** `namespace/keyName`, for error messages */
  readonly label: string;
  /** Byte lengths of the one EDK this keyring writes, so header sizes are known before a message is made. */
  readonly edkShape: EdkShape;
  wrap(dataKey: Uint8Array, context: EncryptionContext): Promise<EncryptedDataKey>;
  /** The data key from the first EDK of ours that opens; WrongKeyError when none does. */
  unwrap(header: MessageHeader): Promise<Uint8Array>;
}

function wrongKey(label: string): WrongKeyError {
  return new WrongKeyError(`No data key in this message opens with the given key (keyring ${label})`);
}

/** The raw AES keyring (AES-256-GCM, 12-byte IV, 16-byte tag) of share links. */
export function aesKeyring(wrappingKey: CryptoKey, keyName = KEY_NAME): Keyring {
  const algorithm = wrappingKey.algorithm as AesKeyAlgorithm;
  if (algorithm.name !== 'AES-GCM' || algorithm.length !== DATA_KEY_LENGTH * 8) throw new TypeError('a raw AES keyring needs an AES-256-GCM key');
  const name = utf8(keyName);
  const label = `${KEY_NAMESPACE}/${keyName}`;

  const ivOf = (edk: EncryptedDataKey): Uint8Array | null => {
    const info = edk.providerInfo;
    if (edk.providerId !== KEY_NAMESPACE || info.byteLength !== name.byteLength + AES_INFO_FIELDS + IV_LENGTH) return null;
    if (!timingSafeEqual(info.subarray(0, name.byteLength), name)) return null;
    const view = new DataView(info.buffer, info.byteOffset + name.byteLength, AES_INFO_FIELDS);
    if (view.getUint32(0) !== TAG_BITS || view.getUint32(4) !== IV_LENGTH) return null;
    if (edk.encryptedDataKey.byteLength !== DATA_KEY_LENGTH + TAG_LENGTH) return null;
    return info.subarray(name.byteLength + AES_INFO_FIELDS);
  };

  return {
    label,
    edkShape: {
      providerId: KEY_NAMESPACE,
      providerInfoLength: name.byteLength + AES_INFO_FIELDS + IV_LENGTH,
      encryptedKeyLength: DATA_KEY_LENGTH + TAG_LENGTH,
    },
    async wrap(dataKey, context) {
      const iv = randomBytes(IV_LENGTH);
      const sealed = await subtle.encrypt(
        { name: 'AES-GCM', iv: buf(iv), additionalData: buf(serializeContextPairs(context)), tagLength: TAG_BITS },
        wrappingKey,
        buf(dataKey),
      );
      return {
        providerId: KEY_NAMESPACE,
        providerInfo: concatBytes(name, uint32(TAG_BITS), uint32(IV_LENGTH), iv),
        encryptedDataKey: new Uint8Array(sealed),
      };
    },
    async unwrap(header) {
      const aad = serializeContextPairs(header.context);
      for (const edk of header.encryptedDataKeys) {
        const iv = ivOf(edk);
        if (!iv) continue;
        try {
          const opened = await subtle.decrypt(
            { name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad), tagLength: TAG_BITS },
            wrappingKey,
            buf(edk.encryptedDataKey),
          );
          return new Uint8Array(opened);
        } catch {
          // Not this one: another data key in the header may be ours.
        }
      }
      throw wrongKey(label);
    },
  };
}

export interface RsaKeys {
  /** RSA-OAEP with SHA-256: needed to write */
  publicKey?: CryptoKey;
  /** RSA-OAEP with SHA-256: needed to read */
  privateKey?: CryptoKey;
}

function rsaModulusBytes(key: CryptoKey): number {
  const algorithm = key.algorithm as RsaHashedKeyAlgorithm;
  if (algorithm.name !== 'RSA-OAEP' || algorithm.hash.name !== 'SHA-256') throw new TypeError('a raw RSA keyring needs an RSA-OAEP key with SHA-256');
  return algorithm.modulusLength / 8;
}

/**
 * The raw RSA keyring of file requests: RSA-OAEP with SHA-256 for both OAEP and MGF1 (WebCrypto
 * uses the one hash for both, as Node's `oaepHash` does), no OAEP label. A public key alone
 * writes, a private key alone reads.
 */
export function rsaKeyring(keys: RsaKeys, keyName = REQUEST_KEY_NAME): Keyring {
  const { publicKey, privateKey } = keys;
  const some = publicKey ?? privateKey;
  if (!some) throw new TypeError('a raw RSA keyring needs a public or a private key');
  const modulusBytes = rsaModulusBytes(some);
  if (publicKey && privateKey && rsaModulusBytes(privateKey) !== modulusBytes) throw new TypeError('the public and private keys differ in size');
  const name = utf8(keyName);
  const label = `${KEY_NAMESPACE}/${keyName}`;
  const ours = (edk: EncryptedDataKey) =>
    edk.providerId === KEY_NAMESPACE && timingSafeEqual(edk.providerInfo, name) && edk.encryptedDataKey.byteLength === modulusBytes;

  return {
    label,
    edkShape: { providerId: KEY_NAMESPACE, providerInfoLength: name.byteLength, encryptedKeyLength: modulusBytes },
    async wrap(dataKey) {
      if (!publicKey) throw new TypeError(`keyring ${label} has no public key: it cannot encrypt`);
      const sealed = await subtle.encrypt({ name: 'RSA-OAEP' }, publicKey, buf(dataKey));
      return { providerId: KEY_NAMESPACE, providerInfo: name.slice(), encryptedDataKey: new Uint8Array(sealed) };
    },
    async unwrap(header) {
      if (!privateKey) throw new TypeError(`keyring ${label} has no private key: it cannot decrypt`);
      for (const edk of header.encryptedDataKeys) {
        if (!ours(edk)) continue;
        try {
          const opened = new Uint8Array(await subtle.decrypt({ name: 'RSA-OAEP' }, privateKey, buf(edk.encryptedDataKey)));
          if (opened.byteLength === DATA_KEY_LENGTH) return opened;
          opened.fill(0);
        } catch {
          // Not this one: another data key in the header may be ours.
        }
      }
      throw wrongKey(label);
    },
  };
}
