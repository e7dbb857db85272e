/** The shape of test/vectors/vectors.json: messages with their keys (base64url), made by scripts/make-vectors.ts. */
interface VectorFields {
  description: string;
  keyName: string;
  context: Record<string, string>;
  frameLength: number;
  plaintext: string;
  ciphertext: string;
}

/** A share link's message, written by @aws-crypto/client-node under a raw AES keyring. */
export interface AesVector extends VectorFields {
  keyring?: undefined;
  wrappingKey: string;
  /** for password links: the link secret and password the wrapping key derives from */
  secret?: string;
  password?: string;
  /** a set's object (docs/FORMAT.md "Sets"): `context` names the set (and the blob) */
  set?: 'manifest' | 'blob';
}

/** A file request's message under a raw RSA keyring (RSA-OAEP-SHA256), written by client-node or by Cipherdrop. */
export interface RsaVector extends VectorFields {
  keyring: 'rsa';
  writer: 'client-node' | 'cipherdrop';
  /** SPKI DER */
  publicKey: string;
  /** PKCS#8 DER */
  privateKey: string;
}

export type Vector = AesVector | RsaVector;

export const isAesVector = (v: Vector): v is AesVector => v.keyring === undefined;
export const isRsaVector = (v: Vector): v is RsaVector => v.keyring === 'rsa';
