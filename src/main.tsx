import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { DownloadPage } from './ui/DownloadPage.tsx';
import { UploadPage } from './ui/UploadPage.tsx';
import './ui/styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(<StrictMode>{location.pathname.startsWith('/d/') ? <DownloadPage /> : <UploadPage />}</StrictMode>);
