/**
 * Security headers on every response: a strict CSP (no inline script, no third-party origins).
 * `wasm`: allow compiling WebAssembly ('wasm-unsafe-eval' permits no eval of script text); only
 * MD5 needs it (PART_CHECKSUM=md5, S3_SSE=sse-c: crypto/md5.ts).
 */
export function securityHeaders(s3Origin: string, { wasm = false } = {}): Record<string, string> {
  const csp = [
    "default-src 'self'",
    wasm ? "script-src 'self' 'wasm-unsafe-eval'" : "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob:",
    `connect-src 'self' ${s3Origin}`,
    "worker-src 'self'",
    "frame-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'content-security-policy': csp,
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  };
}
