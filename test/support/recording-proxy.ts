/**
 * A transparent HTTP proxy on 127.0.0.1 that records every request passing through it —
 * method, URL, headers and the full body — so tests can prove what left the browser.
 * The Host header is forwarded unchanged, so SigV4 signatures made for the proxy still verify.
 *
 * It can also inject faults (`faults`): for the requests a plan picks, reset the connection,
 * answer 500 or 503 SlowDown (with CORS headers, so the page sees the status), stall before
 * forwarding, hang (never answer), flip a bit of the body on its way, or deliver the response
 * body slowly. Each injection is recorded in `injected`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * `hang`: a black hole — the request is neither forwarded nor answered until the client goes away.
 * `corrupt`: the request body reaches the store with one bit flipped (a damaged network path).
 * `hideETag`: the answer no longer exposes ETag to the page (a bucket CORS rule without it).
 * `trickle`: the body comes at 128 KiB/s (a 16 MiB range takes two minutes): a very slow link.
 */
export type Fault = 'reset' | 'error500' | 'slowDown503' | 'stall' | 'slowBody' | 'trickle' | 'hang' | 'corrupt' | 'hideETag';

/** Decides, per request, whether and how it fails. */
export type FaultPlan = (request: { method: string; url: string; headers: http.IncomingHttpHeaders }) => Fault | null;

export interface InjectedFault {
  fault: Fault;
  method: string;
  url: string;
}

export interface RecordingProxy {
  url: string;
  records: RecordedRequest[];
  injected: InjectedFault[];
  /** replaces the fault plan (null: no faults) */
  setFaults(plan: FaultPlan | null): void;
  close(): Promise<void>;
}

const STALL_MS = 2_500;
const SLOW_BODY_BYTES_PER_TICK = 256 * 1024;
const SLOW_BODY_TICK_MS = 50;
const TRICKLE = { bytes: 32 * 1024, ms: 250 };

const S3_ERRORS = {
  error500: { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' },
  slowDown503: { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
} as const;

function corsHeaders(req: http.IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  return origin ? { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'ETag' } : {};
}

export async function startRecordingProxy(target: string, faults: FaultPlan | null = null): Promise<RecordingProxy> {
  const { hostname, port } = new URL(target);
  const records: RecordedRequest[] = [];
  const injected: InjectedFault[] = [];
  let plan = faults;
  const agent = new http.Agent({ keepAlive: true });

  /** Streams the request upstream as it arrives (a store sees it start when the browser sends it). */
  const forward = (req: http.IncomingMessage, res: http.ServerResponse, slow: { bytes: number; ms: number } | null, hideETag = false) => {
    const upstream = http.request({ host: hostname, port, method: req.method, path: req.url, headers: req.headers, agent }, (up) => {
      const headers = { ...up.headers };
      if (hideETag) {
        const exposed = String(headers['access-control-expose-headers'] ?? '')
          .split(',')
          .map((h) => h.trim())
          .filter((h) => h && h.toLowerCase() !== 'etag');
        headers['access-control-expose-headers'] = exposed.join(', ');
      }
      res.writeHead(up.statusCode ?? 502, headers);
      if (!slow) {
        up.pipe(res);
        return;
      }
      // Deliver the body in small pieces with pauses: a slow network, not a broken one.
      up.on('data', (chunk: Buffer) => {
        up.pause();
        const pieces: Buffer[] = [];
        for (let i = 0; i < chunk.length; i += slow.bytes) pieces.push(chunk.subarray(i, i + slow.bytes));
        const next = () => {
          const piece = pieces.shift();
          if (!piece) return up.resume();
          res.write(piece);
          setTimeout(next, slow.ms);
        };
        next();
      });
      up.on('end', () => res.end());
    });
    upstream.on('error', () => res.destroy());
    return upstream;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    const fault = req.method === 'OPTIONS' ? null : (plan?.({ method: req.method ?? '', url: req.url ?? '', headers: req.headers }) ?? null);
    if (fault) injected.push({ fault, method: req.method ?? '', url: req.url ?? '' });
    const record = () => records.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
    if (fault === 'hang') {
      req.resume(); // drain the body so the browser can finish sending; then never answer
      return;
    }
    if (fault === 'reset') {
      record();
      req.socket.destroy();
      return;
    }
    if (fault === 'error500' || fault === 'slowDown503') {
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        record();
        const e = S3_ERRORS[fault];
        res.writeHead(e.status, { 'content-type': 'application/xml', ...corsHeaders(req) });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${e.code}</Code><Message>${e.message}</Message></Error>`);
      });
      return;
    }
    const start = () => {
      const slow = fault === 'slowBody' ? { bytes: SLOW_BODY_BYTES_PER_TICK, ms: SLOW_BODY_TICK_MS } : fault === 'trickle' ? TRICKLE : null;
      const upstream = forward(req, res, slow, fault === 'hideETag');
      let flipped = fault !== 'corrupt';
      req.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (flipped) return void upstream.write(chunk);
        const damaged = Buffer.from(chunk);
        damaged[damaged.length >> 1] ^= 0x01;
        flipped = true;
        upstream.write(damaged);
      });
      req.on('end', () => {
        record();
        upstream.end();
      });
    };
    if (fault === 'stall') {
      req.pause();
      setTimeout(() => {
        start();
        req.resume();
      }, STALL_MS);
    } else start();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    records,
    injected,
    setFaults: (next) => {
      plan = next;
    },
    close: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
