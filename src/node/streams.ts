/** Node stream adapters over the web-stream API: `pipeline(fs.createReadStream(a), nodeEncryptStream(key, …), fs.createWriteStream(b))`. */
import { Duplex } from 'node:stream';
import { type DecryptOptions, decryptStream, type EncryptOptions, encryptStream } from '../crypto/message.ts';

// Duplex.fromWeb's types want the DOM-less `stream/web` TransformStream; ours is the same object at runtime.
type WebPair = Parameters<typeof Duplex.fromWeb>[0];

export const nodeEncryptStream = (wrappingKey: CryptoKey, options: EncryptOptions): Duplex =>
  Duplex.fromWeb(encryptStream(wrappingKey, options) as unknown as WebPair);

export const nodeDecryptStream = (wrappingKey: CryptoKey, options: DecryptOptions): Duplex =>
  Duplex.fromWeb(decryptStream(wrappingKey, options) as unknown as WebPair);
