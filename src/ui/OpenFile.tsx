/**
 * A file already opened on this page (a request's received file, a set's member) shown in the same
 * view as a share link's: details, preview, download, each frame verified.
 */
import { useEffect, useState } from 'react';
import type { OpenedLink } from '../download/downloader.ts';
import { type DownloadEngine, DownloadSession } from '../download/session.ts';
import { pageEngine, SessionView } from './DownloadPage.tsx';
import { describeError } from './messages.ts';

/** The download view's engine for a file already opened here: no link to parse, no password. */
function receivedEngine(base: DownloadEngine, link: OpenedLink): DownloadEngine {
  return {
    ...base,
    parseLink: () => ({ id: link.id, secret: new Uint8Array(0) }),
    fetchLink: async () => ({ id: link.id, info: link.info, metaBytes: new Uint8Array(0), keyName: '', passwordParams: null }),
    unlockLink: async () => link,
  };
}

export function OpenFile({ link, onClose, backLabel }: { link: OpenedLink; onClose: () => void; backLabel: string }) {
  const [session] = useState(() => new DownloadSession({ engine: receivedEngine(pageEngine(), link), describe: describeError, pathname: '', hash: '' }));
  useEffect(() => {
    session.open();
    return () => session.close();
  }, [session]);
  return (
    <div className="opened">
      <SessionView session={session} />
      <button type="button" className="secondary" onClick={onClose}>
        {backLabel}
      </button>
    </div>
  );
}
