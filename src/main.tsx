import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { retireOtherServiceWorkers } from './download/sinks.ts';
import { DownloadPage } from './ui/DownloadPage.tsx';
import { InboxPage } from './ui/requests/InboxPage.tsx';
import { RequestPage } from './ui/requests/RequestPage.tsx';
import { SendPage } from './ui/requests/SendPage.tsx';
import { SetPage } from './ui/sets/SetPage.tsx';
import { UploadPage } from './ui/UploadPage.tsx';
import './ui/styles.css';

/** One page per kind of path; the server serves index.html for each (server/app.ts). */
function pageFor(pathname: string) {
  if (pathname.startsWith('/d/')) return <DownloadPage />;
  if (pathname.startsWith('/s/')) return <SetPage />;
  if (pathname.startsWith('/r/')) return <SendPage />;
  if (pathname.startsWith('/i/')) return <InboxPage />;
  if (pathname === '/request') return <RequestPage />;
  return <UploadPage />;
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
void retireOtherServiceWorkers();
createRoot(root).render(<StrictMode>{pageFor(location.pathname)}</StrictMode>);
