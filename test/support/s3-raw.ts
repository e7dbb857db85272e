/**
 * Talking to the embedded store below the SDK, for the store-guard tests: a SigV4 query signer
 * for any method, path and query (the SDK normalises and encodes, so it cannot send `..`,
 * `%2e%2e` or NUL), and an HTTP/1.1 client on a raw socket that sends the bytes as given.
 */
import { createHash, createHmac } from 'node:crypto';
import net from 'node:net';
import querystring from 'node:querystring';
import { LOCAL_S3_CREDENTIALS } from '../../server/local-s3.ts';

const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

export interface PresignOptions {
  method: string;
  /** host:port as the request's Host header will carry it */
  host: string;
  /** the raw request path, sent as is */
  path: string;
  query?: [string, string][];
  /** when the signature was made (default now) */
  date?: Date;
  expiresSeconds?: number;
  secret?: string;
}

/**
 * A presigned request target (`path?query`), canonicalised the way s3rver checks it (path
 * segments decoded and re-encoded, query parsed by node:querystring), so that any well-formed
 * request it signs really passes s3rver's signature check.
 */
export function presignRaw(o: PresignOptions): string {
  const stamp = (o.date ?? new Date()).toISOString().replace(/[-:]|\.\d+/g, '');
  const day = stamp.slice(0, 8);
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const params: [string, string][] = [
    ...(o.query ?? []),
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${LOCAL_S3_CREDENTIALS.accessKeyId}/${scope}`],
    ['X-Amz-Date', stamp],
    ['X-Amz-Expires', String(o.expiresSeconds ?? 300)],
    ['X-Amz-SignedHeaders', 'host'],
  ];
  const query = params.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
  const canonicalQuery = Object.entries(querystring.parse(query))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .sort()
    .join('&');
  const uri = o.path.split('/').map(decode).join('/').split('/').map(encode).join('/');
  const canonical = [o.method, uri, canonicalQuery, `host:${o.host}\n`, 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', stamp, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key = hmac(`AWS4${o.secret ?? LOCAL_S3_CREDENTIALS.secretAccessKey}`, day);
  for (const part of ['us-east-1', 's3', 'aws4_request']) key = hmac(key, part);
  return `${o.path}?${query}&X-Amz-Signature=${hmac(key, toSign).toString('hex')}`;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends one request on its own connection exactly as given (`target` may hold NUL, `..`, ...).
 * Rejects when no answer arrives within `timeoutMs`: a hang is a failure, not a slow test.
 */
export function rawRequest(
  port: number,
  r: { method: string; target: string; headers?: [string, string][]; body?: Uint8Array },
  timeoutMs = 5_000,
): Promise<RawResponse> {
  const body = Buffer.from(r.body ?? new Uint8Array(0));
  const lines = [`${r.method} ${r.target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close', `Content-Length: ${body.length}`];
  for (const [name, value] of r.headers ?? []) lines.push(`${name}: ${value}`);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    // write, not end: Node's server drops a half-closed connection whose answer is still pending
    const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body])));
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${r.method} ${JSON.stringify(r.target.slice(0, 200))}`));
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    // The server may close before reading an unwanted body (a reset after its answer): the answer counts.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...headerLines] = head.split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0);
      if (!status) return reject(new Error(`no HTTP answer to ${r.method} ${JSON.stringify(r.target.slice(0, 200))}: ${JSON.stringify(text.slice(0, 200))}`));
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const at = line.indexOf(':');
        headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
      }
      resolve({ status, headers, body: rest.join('\r\n\r\n') });
    });
  });
}
