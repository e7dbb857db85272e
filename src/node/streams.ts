/** Node stream adapters over the web-stream API: `pipeline(fs.createReadStream(a), nodeEncryptStream(keyring, …), fs.createWriteStream(b))`. */
import { Duplex } from 'node:stream';
import type { Keyring } from '../crypto/keyring.ts';
import { type DecryptOptions, decryptStream, type EncryptOptions, encryptStream } from '../crypto/message.ts';

// Duplex.fromWeb's types want the DOM-less `stream/web` TransformStream; ours is the same object at runtime.
type WebPair = Parameters<typeof Duplex.fromWeb>[0];

export const nodeEncryptStream = (keyring: Keyring, options: EncryptOptions): Duplex => Duplex.fromWeb(encryptStream(keyring, options) as unknown as WebPair);

export const nodeDecryptStream = (keyring: Keyring, options: DecryptOptions): Duplex => Duplex.fromWeb(decryptStream(keyring, options) as unknown as WebPair);
