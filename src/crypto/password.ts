/**
 * Password-protected links. The wrapping key comes from both the link secret and the password:
 *
 *   pw  = PBKDF2-HMAC-SHA256(NFC(password), salt, iterations, 32 bytes)
 *   key = HKDF-SHA256(ikm = secret ‖ pw, salt, info = "cipherdrop password link v1", 32 bytes)
 *
 * so a leaked link alone opens nothing and the password alone is useless. The KDF and its
 * parameters are recorded in the raw keyring's key name, in every header:
 *
 *   link-v1;pbkdf2-sha256;<iterations>;<salt, base64url>
 *
 * PBKDF2 rather than Argon2id: it is WebCrypto (no WASM dependency, ~0.1 s in Chromium and
 * ~0.3 s in Node at 600 000 iterations here, `bench/kdf.ts`), and 600 000 is OWASP's figure
 * for PBKDF2-HMAC-SHA256. See docs/FORMAT.md.
 */
import { buf, concatBytes, fromBase64Url, fromUtf8, randomBytes, toBase64Url, utf8 } from './bytes.ts';
import { importWrappingKey } from './cipher.ts';
import { CorruptedError } from './errors.ts';
import { DATA_KEY_LENGTH, IV_LENGTH, KEY_NAME, KEY_NAMESPACE, type MessageHeader } from './format.ts';
import { aesKeyring, type Keyring } from './keyring.ts';

export const PBKDF2_ITERATIONS = 600_000;
/** Readers refuse costs outside this range: too cheap is unsafe, too dear is a denial of service. */
export const MIN_PBKDF2_ITERATIONS = 100_000;
export const MAX_PBKDF2_ITERATIONS = 10_000_000;
export const SALT_LENGTH = 16;
const KDF_ID = 'pbkdf2-sha256';
const HKDF_INFO = utf8('cipherdrop password link v1');

export interface PasswordParams {
  iterations: number;
  salt: Uint8Array;
}

export const newPasswordParams = (): PasswordParams => ({ iterations: PBKDF2_ITERATIONS, salt: randomBytes(SALT_LENGTH) });

export function keyNameFor(params: PasswordParams | null): string {
  return params ? `${KEY_NAME};${KDF_ID};${params.iterations};${toBase64Url(params.salt)}` : KEY_NAME;
}

/** null for a plain link; the KDF parameters for a password link; Corrupted for anything else. */
export function parseKeyName(name: string): PasswordParams | null {
  if (name === KEY_NAME) return null;
  const [base, kdf, iterations, salt, ...rest] = name.split(';');
  const n = Number(iterations);
  const saltBytes = fromBase64Url(salt ?? '');
  if (
    base !== KEY_NAME ||
    kdf !== KDF_ID ||
    rest.length ||
    !Number.isInteger(n) ||
    n < MIN_PBKDF2_ITERATIONS ||
    n > MAX_PBKDF2_ITERATIONS ||
    saltBytes?.byteLength !== SALT_LENGTH
  ) {
    throw new CorruptedError({ field: 'encryptedDataKeys' }, `unknown key name ${JSON.stringify(name.slice(0, 80))}`);
  }
  return { iterations: n, salt: saltBytes };
}

/** The key name of the first data key of our keyring in a header (providerInfo = name ‖ 4 ‖ 4 ‖ iv). */
export function keyNameOf(header: MessageHeader): string {
  const edk = header.encryptedDataKeys.find((e) => e.providerId === KEY_NAMESPACE && e.providerInfo.byteLength > 8 + IV_LENGTH);
  if (!edk) return KEY_NAME;
  try {
    return fromUtf8(edk.providerInfo.subarray(0, edk.providerInfo.byteLength - 8 - IV_LENGTH));
  } catch {
    return KEY_NAME;
  }
}

async function passwordBits(password: string, params: PasswordParams): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey('raw', buf(utf8(password.normalize('NFC'))), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(
    await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: buf(params.salt), iterations: params.iterations }, material, 256),
  );
}

/** The raw wrapping-key bytes of a password link (exported for other SDKs: see docs/FORMAT.md). */
export async function passwordWrappingKeyBytes(secret: Uint8Array, password: string, params: PasswordParams): Promise<Uint8Array> {
  const pw = await passwordBits(password, params);
  const ikm = await crypto.subtle.importKey('raw', buf(concatBytes(secret, pw)), 'HKDF', false, ['deriveBits']);
  pw.fill(0);
  return new Uint8Array(
    await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: buf(params.salt), info: buf(HKDF_INFO) }, ikm, DATA_KEY_LENGTH * 8),
  );
}

/** The raw AES keyring of a link secret, with a password when `params` is given (its key name records them). */
export async function linkKey(secret: Uint8Array, password?: string, params?: PasswordParams | null): Promise<Keyring> {
  if (!params) return aesKeyring(await importWrappingKey(secret), KEY_NAME);
  if (password === undefined) throw new Error('a password link needs a password');
  const bytes = await passwordWrappingKeyBytes(secret, password, params);
  const wrappingKey = await importWrappingKey(bytes);
  bytes.fill(0);
  return aesKeyring(wrappingKey, keyNameFor(params));
}
