/**
 * A seekable test video made in the browser itself: frames of noise (so the file is large and
 * its bytes spread evenly over time) encoded to VP8 by WebCodecs and muxed into WebM with cues by
 * `webm-muxer`. One keyframe a second, so a seek lands near its target.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser } from '@playwright/test';

// The package's exports map hides its UMD build; it sits next to the entry point.
const muxerScript = path.join(path.dirname(createRequire(import.meta.url).resolve('webm-muxer')), 'webm-muxer.js');

export interface VideoSpec {
  seconds: number;
  fps: number;
  width: number;
  height: number;
  bitrate: number;
}

/** Writes the video to `file`; the page runs at `origin` (WebCodecs needs a secure context). */
export async function makeVideo(browser: Browser, origin: string, file: string, spec: VideoSpec): Promise<void> {
  const context = await browser.newContext({ bypassCSP: true, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(origin);
  await page.addScriptTag({ path: muxerScript });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.evaluate(async ({ seconds, fps, width, height, bitrate }) => {
      // The UMD build defines a global; its types are not loaded into this page's scope.
      const { Muxer, ArrayBufferTarget } = (window as unknown as { WebMMuxer: typeof import('webm-muxer') }).WebMMuxer;
      const muxer = new Muxer({ target: new ArrayBufferTarget(), video: { codec: 'V_VP8', width, height, frameRate: fps } });
      let failure: unknown = null;
      const encoder = new VideoEncoder({ output: (chunk, meta) => muxer.addVideoChunk(chunk, meta), error: (e) => (failure = e) });
      encoder.configure({ codec: 'vp8', width, height, bitrate, framerate: fps });
      const canvas = new OffscreenCanvas(width, height);
      const ctx = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
      const image = ctx.createImageData(width, height);
      for (let i = 0; i < seconds * fps; i++) {
        crypto.getRandomValues(image.data.subarray(0, 65536));
        for (let p = 65536; p < image.data.length; p += 65536) image.data.copyWithin(p, 0, 65536);
        for (let p = 3; p < image.data.length; p += 4) image.data[p] = 255;
        ctx.putImageData(image, 0, 0);
        const frame = new VideoFrame(canvas, { timestamp: Math.round((i * 1e6) / fps), duration: Math.round(1e6 / fps) });
        encoder.encode(frame, { keyFrame: i % fps === 0 });
        frame.close();
        if (encoder.encodeQueueSize > 8) await new Promise((r) => setTimeout(r, 5));
      }
      await encoder.flush();
      if (failure) throw failure;
      muxer.finalize();
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([muxer.target.buffer], { type: 'video/webm' }));
      a.download = 'video.webm';
      a.click();
    }, spec),
  ]);
  await download.saveAs(file);
  await context.close();
}
