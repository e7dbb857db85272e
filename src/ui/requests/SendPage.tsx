/**
 * `/r/<id>#…`: a request link. Says who is asking (the card, opened with the link's secret), checks
 * the server's key against the link's fingerprint, and sends files sealed to that key through the
 * same upload queue as the upload page. The sender cannot read back what they sent.
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { MAX_REQUEST_BYTES } from '../../contract/limits.ts';
import { parseRequestLink } from '../../requests/links.ts';
import { type OpenRequest, openRequest } from '../../requests/sender.ts';
import { clearStaleSpool } from '../../transfer/spool.ts';
import { UploadPageController } from '../../upload/page-controller.ts';
import { UploadQueue } from '../../upload/queue.ts';
import { IndexedDbResumeStore, MemoryResumeStore } from '../../upload/resume-store.ts';
import { api, pageApi } from '../api.ts';
import { describeError, formatBytes, formatExpiry } from '../messages.ts';
import { sharedPool } from '../pool.ts';
import { UploadArea } from '../UploadArea.tsx';

type Opening = { state: 'opening' } | { state: 'open'; request: OpenRequest } | { state: 'failed'; message: string };

function sendController(requestId: string): UploadPageController {
  const queue = new UploadQueue({
    api,
    runner: sharedPool(),
    store: typeof indexedDB === 'undefined' ? new MemoryResumeStore() : new IndexedDbResumeStore(),
    describe: describeError,
    requestId,
  });
  return new UploadPageController({ queue, api, setToken: (token) => queue.setApi(pageApi(token)), clearStaleSpool, describe: describeError });
}

const CLOSED: Record<string, string> = {
  closed: 'The person who asked has closed this request: it takes no more files.',
  expired: 'This request has expired: it takes no more files.',
};

function limitsLine(r: OpenRequest): string {
  // The server's own ceiling is no limit the requester chose: not worth a line.
  const bytes = r.maxBytes < MAX_REQUEST_BYTES ? [`up to ${formatBytes(r.bytesLeft)} in all`] : [];
  return [`${r.filesLeft} more ${r.filesLeft === 1 ? 'file' : 'files'}`, ...bytes, formatExpiry(r.expiresAt)].join(' · ');
}

function Sender({ request, c }: { request: OpenRequest; c: UploadPageController }) {
  const s = useSyncExternalStore(c.subscribe, c.getSnapshot);
  useEffect(() => c.start(), [c]);
  const [message, setMessage] = useState('');
  return (
    <>
      <fieldset className="options">
        <legend>Your message (optional)</legend>
        <label>
          Message to the requester{' '}
          <textarea
            maxLength={2000}
            rows={3}
            value={message}
            onChange={(e) => {
              setMessage(e.currentTarget.value);
              c.setMessage(e.currentTarget.value);
            }}
          />
        </label>
        <p className="hint">It is encrypted with each file you send after writing it.</p>
      </fieldset>
      <p className="note">{limitsLine(request)}</p>
      <UploadArea c={c} s={s} />
    </>
  );
}

export function SendPage() {
  const [opening, setOpening] = useState<Opening>({ state: 'opening' });
  const [controller, setController] = useState<UploadPageController | null>(null);
  useEffect(() => {
    const visit = new AbortController();
    (async () => {
      const link = parseRequestLink(location.pathname, location.hash);
      const request = await openRequest(api, link, visit.signal);
      if (request.state === 'open') {
        const c = sendController(request.id);
        c.setRequest({ id: request.id, keyring: request.keyring });
        setController(c);
      }
      setOpening({ state: 'open', request });
    })().catch((error) => !visit.signal.aborted && setOpening({ state: 'failed', message: describeError(error) }));
    return () => visit.abort();
  }, []);

  return (
    <main>
      <h1>Cipherdrop</h1>
      {opening.state === 'opening' && <p role="status">Opening the request…</p>}
      {opening.state === 'open' && (
        <section aria-label="File request">
          <h2 className="name">{opening.request.title}</h2>
          {opening.request.note && <p className="request-note">{opening.request.note}</p>}
          <p className="lede">
            What you send here is encrypted in your browser to the key of the person who asked: only they can open it. Not the server, not the storage — and not
            you: once sent, you cannot read it back.
          </p>
          {opening.request.state !== 'open' ? (
            <p role="alert" className="error">
              {CLOSED[opening.request.state]}
            </p>
          ) : (
            controller && <Sender request={opening.request} c={controller} />
          )}
        </section>
      )}
      {opening.state === 'failed' && (
        <p role="alert" className="error">
          {opening.message}
        </p>
      )}
      <p>
        <a href="/">Share your own files</a> · <a href="/request">Ask someone for files</a>
      </p>
    </main>
  );
}
