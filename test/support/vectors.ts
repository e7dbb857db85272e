/** The shape of test/vectors/vectors.json: messages written by @aws-crypto/client-node, with their keys (base64url). */
export interface Vector {
  description: string;
  keyName: string;
  wrappingKey: string;
  /** for password links: the link secret and password the wrapping key derives from */
  secret?: string;
  password?: string;
  context: Record<string, string>;
  frameLength: number;
  plaintext: string;
  ciphertext: string;
}
