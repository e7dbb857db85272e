/**
 * Measures Chromium's crypto.subtle AES-256-GCM encrypt and decrypt throughput for candidate
 * frame lengths (one thread, 256 MiB per case, rounds alternated), to choose DEFAULT_FRAME_LENGTH.
 * Run: npx tsx bench/frame-size.ts   (no network is involved, so Playwright's Network domain does not distort it)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../playwright.config.ts';

const KiB = 1024;
const candidates = [64 * KiB, 128 * KiB, 256 * KiB, 512 * KiB, 768 * KiB, 1024 * KiB, 4096 * KiB];
const TOTAL = 256 * 1024 * KiB;
const ROUNDS = 3;

// crypto.subtle needs a secure context: serve an empty page on loopback.
const server = http.createServer((_req, res) => res.end('<!doctype html><title>bench</title>'));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
const results: Record<number, { enc: number[]; dec: number[] }> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const size of candidates) {
    const r = await page.evaluate(
      async ({ size, total }) => {
        const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
        const plain = crypto.getRandomValues(new Uint8Array(Math.min(size, 65536)));
        const piece = new Uint8Array(size);
        for (let i = 0; i < size; i += plain.length) piece.set(plain.subarray(0, Math.min(plain.length, size - i)), i);
        const iv = new Uint8Array(12);
        const n = Math.max(1, Math.floor(total / size));
        let t = performance.now();
        let sealed: ArrayBuffer = new ArrayBuffer(0);
        for (let i = 0; i < n; i++) {
          new DataView(iv.buffer).setUint32(8, i + 1);
          sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, piece);
        }
        const enc = (n * size) / ((performance.now() - t) / 1000) / 1e6;
        new DataView(iv.buffer).setUint32(8, n);
        t = performance.now();
        for (let i = 0; i < n; i++) await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, sealed);
        const dec = (n * size) / ((performance.now() - t) / 1000) / 1e6;
        return { enc, dec };
      },
      { size, total: TOTAL },
    );
    results[size] ??= { enc: [], dec: [] };
    results[size].enc.push(r.enc);
    results[size].dec.push(r.dec);
  }
}
await browser.close();
server.close();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('| frame length | encrypt MB/s | decrypt MB/s |\n|---|---|---|');
for (const size of candidates) console.log(`| ${size / KiB} KiB | ${median(results[size].enc).toFixed(0)} | ${median(results[size].dec).toFixed(0)} |`);
