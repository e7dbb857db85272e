/**
 * The service worker's download answer (src/platform/sw-headers.ts, used by src/sw.ts): iOS Safari
 * silently truncates a service-worker download without Content-Length (StreamSaver.js issue 373).
 */
import { describe, expect, it } from 'vitest';
import { downloadHeaders } from '../../../src/platform/sw-headers.ts';

describe('service-worker download headers', () => {
  it('carry Content-Length equal to the plaintext size, for every size including 0', () => {
    for (const size of [0, 1, 20 * 1024 * 1024 + 5, 5 * 1024 ** 4]) {
      const headers = new Headers(downloadHeaders({ name: 'a.bin', size, type: 'application/octet-stream' }));
      expect(headers.get('content-length')).toBe(String(size));
    }
  });

  it('have no Content-Length for a set ZIP made as it streams (size -1), and never a wrong one', () => {
    const headers = new Headers(downloadHeaders({ name: 'set.zip', size: -1, type: 'application/octet-stream' }));
    expect(headers.has('content-length')).toBe(false);
  });

  it('save as an attachment under the file name, never sniffed or run as a document', () => {
    const headers = new Headers(downloadHeaders({ name: 'résumé "v2".pdf', size: 3, type: 'application/octet-stream' }));
    expect(headers.get('content-disposition')).toBe(`attachment; filename="r_sum_ _v2_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v2%22.pdf`);
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
  });
});
