/// <reference lib="webworker" />
/** The crypto worker the page runs (pool.ts): the protocol's requests, sealed with AES-GCM. */
import { aesGcmSealer } from '../upload/sealer.ts';
import { serveRequests } from './serve.ts';

serveRequests(aesGcmSealer);
