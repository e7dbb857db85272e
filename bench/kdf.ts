/**
 * Times PBKDF2-SHA256 (WebCrypto) at the iteration counts we consider, in Node and in Chromium,
 * to choose the password KDF's cost. Run: npx tsx bench/kdf.ts
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../playwright.config.ts';

const COUNTS = [310_000, 600_000, 1_000_000];

async function time(iterations: number): Promise<number> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode('correct horse battery staple'), 'PBKDF2', false, ['deriveBits']);
  const t = performance.now();
  await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(16), iterations }, material, 256);
  return performance.now() - t;
}

const server = http.createServer((_req, res) => res.end('<!doctype html><title>kdf</title>'));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
console.log('| iterations | Node ms | Chromium ms |\n|---|---|---|');
for (const n of COUNTS) {
  const browserMs = await page.evaluate(`(${time.toString()})(${n})`);
  console.log(`| ${n} | ${(await time(n)).toFixed(0)} | ${Number(browserMs).toFixed(0)} |`);
}
await browser.close();
server.close();
