/**
 * In-page previews of small files: decrypted (every frame verified) into memory and shown from an
 * object URL. Only kinds the browser renders without running script: images other than SVG,
 * audio, video, and plain text shown as text. HTML, SVG, PDF and everything else are download-only.
 */
import { MiB } from '../crypto/format.ts';
import type { Sink } from './downloader.ts';

/** Previews are held in memory, so they are for small files only; larger ones are downloaded. */
export const MAX_PREVIEW_BYTES = 64 * MiB;
/** Text previews show the start of the file. */
export const MAX_TEXT_PREVIEW = 256 * 1024;

export type PreviewKind = 'image' | 'audio' | 'video' | 'text';

const IMAGE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp']);
const TEXT = new Set(['text/plain', 'text/csv', 'text/markdown', 'application/json']);

export function previewKind(type: string, size: number): PreviewKind | null {
  if (size > MAX_PREVIEW_BYTES) return null;
  const t = type.toLowerCase().split(';')[0].trim();
  if (IMAGE.has(t)) return 'image';
  if (t.startsWith('audio/')) return 'audio';
  if (t.startsWith('video/')) return 'video';
  if (TEXT.has(t)) return 'text';
  return null;
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
