/**
 * In-page previews, only of kinds the browser shows without running the file's script in our
 * origin: images other than SVG, plain text shown as text, and PDF in the browser's own viewer
 * (decrypted, every frame verified, into memory: small files only); audio and video of any size,
 * streamed through the service worker with seeking (media.ts). HTML, SVG and everything else are
 * download-only.
 */
import { MiB } from '../crypto/format.ts';
import type { Sink } from './downloader.ts';

/** In-memory previews (image, text, PDF) are for small files only; larger ones are downloaded. */
export const MAX_PREVIEW_BYTES = 64 * MiB;
/** Text previews show the start of the file. */
export const MAX_TEXT_PREVIEW = 256 * 1024;

export type PreviewKind = 'image' | 'audio' | 'video' | 'text' | 'pdf';

const IMAGE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp']);
const TEXT = new Set(['text/plain', 'text/csv', 'text/markdown', 'application/json']);
const MEDIA = /^(audio|video)\/[\w.+-]+$/;

export function previewKind(type: string, size: number): PreviewKind | null {
  const t = type.toLowerCase().split(';')[0].trim();
  if (MEDIA.test(t)) return t.startsWith('audio/') ? 'audio' : 'video';
  if (size > MAX_PREVIEW_BYTES) return null;
  if (IMAGE.has(t)) return 'image';
  if (TEXT.has(t)) return 'text';
  if (t === 'application/pdf') return 'pdf';
  return null;
}

/** The type a preview Blob is given: never the uploader's own string, only an allow-listed one. */
export function previewBlobType(kind: PreviewKind, type: string): string {
  if (kind === 'pdf') return 'application/pdf';
  if (kind === 'text') return 'text/plain';
  return type.toLowerCase().split(';')[0].trim();
}

/** Collects verified plaintext; `close()` yields it as a Blob of the given (allow-listed) type. */
export class MemorySink implements Sink {
  private readonly chunks: Uint8Array<ArrayBuffer>[] = [];
  blob: Blob | null = null;
  constructor(private readonly type: string) {}
  async write(chunk: Uint8Array<ArrayBuffer>): Promise<void> {
    this.chunks.push(chunk);
  }
  async close(): Promise<void> {
    this.blob = new Blob(this.chunks, { type: this.type });
    this.chunks.length = 0;
  }
  async abort(): Promise<void> {
    this.chunks.length = 0;
  }
}
