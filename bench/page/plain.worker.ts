/// <reference lib="webworker" />
/** The benchmark's plaintext worker: the crypto worker's protocol and code, with the identity sealer and opener. */
import { serveRequests } from '../../src/workers/serve.ts';
import { plainOpener } from './plain-opener.ts';
import { plainSealer } from './plain-sealer.ts';

serveRequests(plainSealer, plainOpener);
