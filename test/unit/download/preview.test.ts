import { describe, expect, it } from 'vitest';
import { MAX_PREVIEW_BYTES, previewBlobType, previewKind } from '../../../src/download/preview.ts';

describe('previewKind', () => {
  it('streams audio and video of any size', () => {
    expect(previewKind('video/webm', 10 * MAX_PREVIEW_BYTES)).toBe('video');
    expect(previewKind('audio/mpeg', 0)).toBe('audio');
    expect(previewKind('Video/MP4; codecs="avc1"', 5)).toBe('video');
  });
  it('previews small images, text and PDF, and nothing of them above the memory limit', () => {
    expect(previewKind('image/png', MAX_PREVIEW_BYTES)).toBe('image');
    expect(previewKind('image/png', MAX_PREVIEW_BYTES + 1)).toBeNull();
    expect(previewKind('text/plain; charset=utf-8', 10)).toBe('text');
    expect(previewKind('application/pdf', 10)).toBe('pdf');
    expect(previewKind('application/pdf', MAX_PREVIEW_BYTES + 1)).toBeNull();
  });
  it('never previews kinds that can run script', () => {
    for (const type of ['text/html', 'image/svg+xml', 'application/xhtml+xml', 'text/xml', 'application/javascript', '', 'video/../html']) {
      expect(previewKind(type, 10)).toBeNull();
    }
  });
  it('gives preview blobs an allow-listed type, never the uploader-chosen string', () => {
    expect(previewBlobType('pdf', 'application/pdf; x=<script>')).toBe('application/pdf');
    expect(previewBlobType('text', 'application/json')).toBe('text/plain');
    expect(previewBlobType('image', 'image/PNG')).toBe('image/png');
  });
});
