/**
 * The headers the service worker (sw.ts) answers with, kept apart so they are unit-tested
 * (test/unit/browsers/sw-headers.test.ts). Imported by sw.ts only: it is inlined into /sw.js.
 */

/** Relayed bytes are never sniffed or run as a document of this origin. */
export const COMMON = { 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; sandbox" };

function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * The headers of a download's response. `content-length` is the plaintext size: iOS Safari
 * silently truncates a service-worker download that has none (StreamSaver.js issue 373), and
 * browsers show progress from it. A set's ZIP is made as it streams, but its length is known
 * ahead all the same (src/download/zip-size.ts); -1, unknown, sends none.
 */
export function downloadHeaders(relayed: { name: string; size: number; type: string }): Record<string, string> {
  return {
    ...COMMON,
    'content-type': relayed.type,
    'content-disposition': contentDisposition(relayed.name),
    ...(relayed.size >= 0 ? { 'content-length': String(relayed.size) } : {}),
  };
}
