/** The page's download limits, apart from the sinks so that the messages naming them need not load the sinks. */
import { MiB } from '../crypto/format.ts';

/** Above this, a download without a service worker is refused rather than held in memory. */
export const MAX_BLOB_DOWNLOAD = 64 * MiB;
